"""Full-text search: the FTS5 index over titles, tickets, facts, messages, fixes and notes, built
from what an existing database already holds (SQLite only: PostgreSQL gets its own later).

Revision ID: 0004_search
Revises: 0003_leases
Create Date: 2026-11-29 20:30:00
"""

from __future__ import annotations

from alembic import op

from storage.search import CREATE_TABLE, TABLE, rebuild

revision = "0004_search"
down_revision = "0003_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return
    op.execute(CREATE_TABLE)
    rebuild(connection)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TABLE IF EXISTS {TABLE}")
