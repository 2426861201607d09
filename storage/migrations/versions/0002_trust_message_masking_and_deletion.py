"""Trust: messages remember "Send unmasked" and can be deleted (undoable); facts get an
indexed duplicate key.

Revision ID: 0002_trust
Revises: 0001_initial
Create Date: 2026-11-29 17:00:00
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0002_trust"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sent_unmasked", sa.Boolean(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("session_facts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("text_hash", sa.String(length=64), server_default="", nullable=False)
        )
    _hash_existing_facts()
    with op.batch_alter_table("session_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_session_facts_text_hash", ["session_id", "text_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("session_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_session_facts_text_hash")
        batch_op.drop_column("text_hash")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
        batch_op.drop_column("sent_unmasked")


def _hash_existing_facts() -> None:
    """The same key as storage.models.fact_text_hash (copied: a migration must not change
    when the model code does)."""
    connection = op.get_bind()
    facts = sa.table(
        "session_facts",
        sa.column("id", sa.String),
        sa.column("text", sa.Text),
        sa.column("text_hash", sa.String),
    )
    rows = connection.execute(sa.select(facts.c.id, facts.c.text)).all()
    for fact_id, text in rows:
        digest = hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()
        connection.execute(facts.update().where(facts.c.id == fact_id).values(text_hash=digest))
