"""Initial schema: every table of SPEC §4.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-25 00:09:18.886989
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_settings",
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("preferences", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_settings")),
    )
    op.create_table(
        "ai_sessions",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("ticket_ref", sa.String(length=64), nullable=True),
        sa.Column("ticket_snapshot", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="active", nullable=False),
        sa.Column("state_version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("pending_task_lane", sa.JSON(), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolution_note_markdown", sa.Text(), nullable=True),
        sa.Column("resolution_note_posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_note_external_id", sa.String(length=64), nullable=True),
        sa.Column("escalation_package_markdown", sa.Text(), nullable=True),
        sa.Column("escalation_package_posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_package_external_id", sa.String(length=64), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'resolved', 'escalated', 'resolved_local', 'escalated_local')",
            name=op.f("ck_ai_sessions_status"),
        ),
        sa.CheckConstraint("state_version >= 0", name=op.f("ck_ai_sessions_state_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ai_sessions")),
    )
    with op.batch_alter_table("ai_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ai_sessions_live_by_activity", ["deleted_at", "last_activity_at"], unique=False
        )

    op.create_table(
        "template_categories",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_template_categories_name")),
    )
    op.create_table(
        "messages",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("raw_content", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=100), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("cache_creation_input_tokens", sa.Integer(), nullable=True),
        sa.Column("cache_read_input_tokens", sa.Integer(), nullable=True),
        sa.Column("stopped", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('user', 'assistant')", name=op.f("ck_messages_role")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["ai_sessions.id"],
            name=op.f("fk_messages_session_id_ai_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_messages_session_created", ["session_id", "created_at"], unique=False
        )

    op.create_table(
        "psa_outbox",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('resolution_note', 'escalation_package', 'status_transition', 'time_entry')",
            name=op.f("ck_psa_outbox_kind"),
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'in_flight', 'done', 'failed')", name=op.f("ck_psa_outbox_state")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_psa_outbox_attempts")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["ai_sessions.id"],
            name=op.f("fk_psa_outbox_session_id_ai_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_psa_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_psa_outbox_idempotency_key")),
    )
    with op.batch_alter_table("psa_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_psa_outbox_due", ["state", "next_attempt_at"], unique=False)

    op.create_table(
        "script_builder_sessions",
        sa.Column("user_id", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("ai_session_id", sa.String(length=36), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("script", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(origin = 'pilot_inline' AND ai_session_id IS NOT NULL) OR (origin = 'standalone' AND ai_session_id IS NULL)",
            name=op.f("ck_script_builder_sessions_origin_session"),
        ),
        sa.CheckConstraint(
            "language IS NULL OR language IN ('powershell', 'bash', 'batch', 'python')",
            name=op.f("ck_script_builder_sessions_lang"),
        ),
        sa.CheckConstraint(
            "origin IN ('standalone', 'pilot_inline')",
            name=op.f("ck_script_builder_sessions_origin"),
        ),
        sa.ForeignKeyConstraint(
            ["ai_session_id"],
            ["ai_sessions.id"],
            name=op.f("fk_script_builder_sessions_ai_session_id_ai_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_script_builder_sessions")),
    )
    with op.batch_alter_table("script_builder_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_script_builder_sessions_inline",
            ["user_id", "ai_session_id"],
            unique=True,
            sqlite_where=sa.text("origin = 'pilot_inline'"),
            postgresql_where=sa.text("origin = 'pilot_inline'"),
        )

    op.create_table(
        "script_templates",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("parameters_schema", sa.JSON(), nullable=False),
        sa.Column("source_session_id", sa.String(length=36), nullable=True),
        sa.Column("source_user_id", sa.String(length=200), nullable=True),
        sa.Column("source_ticket_ref", sa.String(length=64), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "language IN ('powershell', 'bash', 'batch', 'python')",
            name=op.f("ck_script_templates_lang"),
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["template_categories.id"],
            name=op.f("fk_script_templates_category_id_template_categories"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_session_id"],
            ["ai_sessions.id"],
            name=op.f("fk_script_templates_source_session_id_ai_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_script_templates")),
    )
    op.create_table(
        "session_facts",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source_type", sa.String(length=20), nullable=False),
        sa.Column("source_ref", sa.String(length=36), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source_type IN ('ai_promote', 'engineer_note', 'question', 'diagnostic_check')",
            name=op.f("ck_session_facts_source_type"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["ai_sessions.id"],
            name=op.f("fk_session_facts_session_id_ai_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_facts")),
    )
    with op.batch_alter_table("session_facts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_session_facts_session", ["session_id", "deleted_at"], unique=False
        )

    op.create_table(
        "script_generations",
        sa.Column("template_id", sa.String(length=36), nullable=True),
        sa.Column("ai_session_id", sa.String(length=36), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("rendered_script", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ai_session_id"],
            ["ai_sessions.id"],
            name=op.f("fk_script_generations_ai_session_id_ai_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["script_templates.id"],
            name=op.f("fk_script_generations_template_id_script_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_script_generations")),
    )
    op.create_table(
        "session_suggested_fixes",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.String(length=36), nullable=True),
        sa.Column("ai_drafted_script", sa.Text(), nullable=True),
        sa.Column("ai_drafted_parameters", sa.JSON(), nullable=True),
        sa.Column("script_language", sa.String(length=16), nullable=True),
        sa.Column("edited_script", sa.Text(), nullable=True),
        sa.Column("user_decision", sa.String(length=20), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="proposed", nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("partial_notes", sa.Text(), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("pending_reason", sa.Text(), nullable=True),
        sa.Column("ai_outcome_proposal", sa.JSON(), nullable=True),
        sa.Column("ai_outcome_proposal_rejected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "script_language IS NULL OR script_language IN ('powershell', 'bash', 'batch', 'python')",
            name=op.f("ck_session_suggested_fixes_lang"),
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'applied_success', 'applied_failed', 'applied_partial', 'applied_pending', 'dismissed')",
            name=op.f("ck_session_suggested_fixes_status"),
        ),
        sa.CheckConstraint(
            "user_decision IS NULL OR user_decision IN ('one_off', 'draft_template', 'build_template', 'dismissed')",
            name=op.f("ck_session_suggested_fixes_decision"),
        ),
        sa.CheckConstraint(
            "confidence BETWEEN 0 AND 100", name=op.f("ck_session_suggested_fixes_confidence")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["ai_sessions.id"],
            name=op.f("fk_session_suggested_fixes_session_id_ai_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["script_templates.id"],
            name=op.f("fk_session_suggested_fixes_template_id_script_templates"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_suggested_fixes")),
    )
    with op.batch_alter_table("session_suggested_fixes", schema=None) as batch_op:
        batch_op.create_index(
            "uq_session_suggested_fixes_active",
            ["session_id"],
            unique=True,
            sqlite_where=sa.text("superseded_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL"),
        )

    op.create_table(
        "draft_templates",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("fix_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("templated_body", sa.Text(), nullable=False),
        sa.Column("parameters_schema", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("promoted_template_id", sa.String(length=36), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "language IN ('powershell', 'bash', 'batch', 'python')",
            name=op.f("ck_draft_templates_lang"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected')", name=op.f("ck_draft_templates_status")
        ),
        sa.ForeignKeyConstraint(
            ["fix_id"],
            ["session_suggested_fixes.id"],
            name=op.f("fk_draft_templates_fix_id_session_suggested_fixes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["promoted_template_id"],
            ["script_templates.id"],
            name=op.f("fk_draft_templates_promoted_template_id_script_templates"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["ai_sessions.id"],
            name=op.f("fk_draft_templates_session_id_ai_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_templates")),
    )
    with op.batch_alter_table("draft_templates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_draft_templates_pending",
            ["session_id"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("draft_templates", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_draft_templates_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.drop_table("draft_templates")
    with op.batch_alter_table("session_suggested_fixes", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_session_suggested_fixes_active",
            sqlite_where=sa.text("superseded_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL"),
        )

    op.drop_table("session_suggested_fixes")
    op.drop_table("script_generations")
    with op.batch_alter_table("session_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_session_facts_session")

    op.drop_table("session_facts")
    op.drop_table("script_templates")
    with op.batch_alter_table("script_builder_sessions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_script_builder_sessions_inline",
            sqlite_where=sa.text("origin = 'pilot_inline'"),
            postgresql_where=sa.text("origin = 'pilot_inline'"),
        )

    op.drop_table("script_builder_sessions")
    with op.batch_alter_table("psa_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_psa_outbox_due")

    op.drop_table("psa_outbox")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_session_created")

    op.drop_table("messages")
    op.drop_table("template_categories")
    with op.batch_alter_table("ai_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_ai_sessions_live_by_activity")

    op.drop_table("ai_sessions")
    op.drop_table("account_settings")
