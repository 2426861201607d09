"""Time entries: the session work timer (active seconds, first and last work event), one row
per session, kept across restarts (issue 21).

Revision ID: 0005_work_time
Revises: 0004_search
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_work_time"
down_revision = "0004_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "session_work_time",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("active_seconds", sa.Float(), nullable=False),
        sa.Column("first_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("active_seconds >= 0", name=op.f("ck_session_work_time_active_seconds")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["ai_sessions.id"],
            name=op.f("fk_session_work_time_session_id_ai_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_work_time")),
    )


def downgrade() -> None:
    op.drop_table("session_work_time")
