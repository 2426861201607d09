"""Alembic environment, driven from code (storage.migrate), so it also runs in the bundle."""

from __future__ import annotations

from alembic import context

from storage.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through storage.migrate, which hands over a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite can barely ALTER: batch mode recreates tables where needed.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
