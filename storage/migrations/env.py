"""Alembic environment, driven from code (storage.migrate), so it also runs in the bundle."""

from __future__ import annotations

from alembic import context

from storage.models import Base, add_postgresql_conditions

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through storage.migrate, which hands over a connection")
# The whole upgrade, batch-mode table rebuilds and the version stamp included, must be the one
# transaction storage.engine.transactional_ddl opened: Alembic then neither begins nor commits
# one of its own (begin_transaction below is a no-op inside an external transaction).
if not connection.in_transaction():
    raise RuntimeError("storage.migrate hands over a connection inside its one transaction")

if connection.dialect.name == "postgresql":
    add_postgresql_conditions()  # the partial indexes' conditions, as the migrations have them

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite can barely ALTER: batch mode recreates tables where needed.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
