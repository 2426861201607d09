"""The data model of SPEC §4 as SQLAlchemy 2.0 typed models.

The database holds every invariant it can: NOT NULL, CHECK on enumerations, foreign keys,
and the partial unique indexes (one active fix per session; one inline script-builder
session per user and triage session). Invariants it cannot hold live in one service method.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, validates

# Enumerations, stored as text with a CHECK constraint (SQLite has no enum type, and a
# CHECK is cheap to extend in a batch migration).
SESSION_STATUSES = (
    "active",
    "paused",
    "resolved",
    "escalated",
    "resolved_local",
    "escalated_local",
)
MESSAGE_ROLES = ("user", "assistant")
FACT_SOURCE_TYPES = ("ai_promote", "engineer_note", "question", "diagnostic_check")
FIX_DECISIONS = ("one_off", "draft_template", "build_template", "dismissed")


class FixStatus(StrEnum):
    """Where a suggested fix stands (SPEC §8); the transitions are in
    flowpilot_desktop.fix_outcome, which re-exports this. Equal to its text, as stored."""

    PROPOSED = "proposed"
    APPLIED_SUCCESS = "applied_success"
    APPLIED_FAILED = "applied_failed"
    APPLIED_PARTIAL = "applied_partial"
    APPLIED_PENDING = "applied_pending"
    DISMISSED = "dismissed"


FIX_STATUSES = tuple(status.value for status in FixStatus)
SCRIPT_LANGUAGES = ("powershell", "bash", "batch", "python")
DRAFT_TEMPLATE_STATUSES = ("pending", "accepted", "rejected")
SCRIPT_BUILDER_ORIGINS = ("standalone", "pilot_inline")
OUTBOX_KINDS = ("resolution_note", "escalation_package", "status_transition", "time_entry")
OUTBOX_STATES = ("pending", "in_flight", "done", "failed")

# Stable constraint names, so batch migrations on SQLite can find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def one_of(column: str, values: tuple[str, ...], *, nullable: bool = False) -> str:
    """SQL for a CHECK that ``column`` holds one of ``values``."""
    listed = ", ".join(f"'{value}'" for value in values)
    check = f"{column} IN ({listed})"
    return f"{column} IS NULL OR {check}" if nullable else check


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class FixStatusText(TypeDecorator[FixStatus]):
    """A FixStatus stored as its text (the column stays VARCHAR with a CHECK, as migrated)."""

    impl = String(20)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        # Plain text to the driver; an unknown value is left for the CHECK constraint to refuse.
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> FixStatus | None:
        return None if value is None else FixStatus(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index over the rows matching ``where`` (a SQL condition), on SQLite now and on
    PostgreSQL once an engine for it is made (``add_postgresql_conditions``): naming
    ``postgresql_where`` here would load SQLAlchemy's PostgreSQL dialect at every start of the
    desktop app (~35 ms). The migrations create both; this keeps the models telling the same."""
    index = Index(name, *columns, unique=unique, sqlite_where=text(where))
    index.info["where"] = where
    return index


def add_postgresql_conditions(metadata: MetaData | None = None) -> None:
    """Give every partial index its PostgreSQL condition (idempotent; for PostgreSQL engines)."""
    for table in (metadata or Base.metadata).tables.values():
        for index in table.indexes:
            where = index.info.get("where")
            if where is not None and index.dialect_options["postgresql"]["where"] is None:
                index.dialect_options["postgresql"]["where"] = text(where)


class Timestamped:
    """``id`` (UUID text), ``created_at`` and ``updated_at`` (UTC) on every table."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AiSession(Timestamped, Base):
    """A triage session, usually for one PSA ticket."""

    __tablename__ = "ai_sessions"
    __table_args__ = (
        CheckConstraint(one_of("status", SESSION_STATUSES), name="status"),
        CheckConstraint("state_version >= 0", name="state_version"),
        Index("ix_ai_sessions_live_by_activity", "deleted_at", "last_activity_at"),
    )

    user_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    ticket_ref: Mapped[str | None] = mapped_column(String(64))
    ticket_snapshot: Mapped[dict[str, Any] | None]
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    state_version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    pending_task_lane: Mapped[dict[str, Any] | None]
    # Last time the technician did something in the session: the order of the session list.
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolution_note_markdown: Mapped[str | None] = mapped_column(Text)
    resolution_note_posted_at: Mapped[datetime | None]
    resolution_note_external_id: Mapped[str | None] = mapped_column(String(64))
    escalation_package_markdown: Mapped[str | None] = mapped_column(Text)
    escalation_package_posted_at: Mapped[datetime | None]
    escalation_package_external_id: Mapped[str | None] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None]


class Message(Timestamped, Base):
    """One chat message as the technician saw it, plus what the model really sent."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(one_of("role", MESSAGE_ROLES), name="role"),
        Index("ix_messages_session_created", "session_id", "created_at"),
    )

    session_id: Mapped[str] = mapped_column(ForeignKey("ai_sessions.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    raw_content: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str | None] = mapped_column(String(100))
    input_tokens: Mapped[int | None]
    output_tokens: Mapped[int | None]
    cache_creation_input_tokens: Mapped[int | None]
    cache_read_input_tokens: Mapped[int | None]
    stopped: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[Any] | None]
    # The technician chose "Send unmasked" for this message (a detector's false positive):
    # later requests send its text as stored, registered secrets still masked.
    sent_unmasked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    # Deleted from the conversation (undo restores it): never sent to the model again.
    deleted_at: Mapped[datetime | None]
    # A reply still arriving: saved every few seconds while it streams. One found streaming
    # at start-up was interrupted (the process died) and is shown as such, with Retry.
    streaming: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))


class SessionFact(Timestamped, Base):
    """A confirmed fact in "What we know"."""

    __tablename__ = "session_facts"
    __table_args__ = (
        CheckConstraint(one_of("source_type", FACT_SOURCE_TYPES), name="source_type"),
        Index("ix_session_facts_session", "session_id", "deleted_at"),
        Index("ix_session_facts_text_hash", "session_id", "text_hash"),
    )

    session_id: Mapped[str] = mapped_column(ForeignKey("ai_sessions.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    # SHA-256 of the normalised text: the duplicate check is an index lookup, not a scan
    # (a long text can't be a portable index key).
    text_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    source_type: Mapped[str] = mapped_column(String(20))
    # A task-lane item id: polymorphic, so no foreign key (the service checks it).
    source_ref: Mapped[str | None] = mapped_column(String(36))
    deleted_at: Mapped[datetime | None]

    @validates("text")
    def _hash_text(self, _key: str, value: str) -> str:
        self.text_hash = fact_text_hash(value)
        return value


def fact_text_hash(text: str) -> str:
    """The duplicate key of a fact: its text with whitespace runs collapsed, hashed."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


class SessionSuggestedFix(Timestamped, Base):
    """The fix the assistant suggests; exactly one is active (not superseded) per session."""

    __tablename__ = "session_suggested_fixes"
    __table_args__ = (
        CheckConstraint("confidence BETWEEN 0 AND 100", name="confidence"),
        CheckConstraint(one_of("user_decision", FIX_DECISIONS, nullable=True), name="decision"),
        CheckConstraint(one_of("status", FIX_STATUSES), name="status"),
        CheckConstraint(one_of("script_language", SCRIPT_LANGUAGES, nullable=True), name="lang"),
        partial_index(
            "uq_session_suggested_fixes_active",
            "session_id",
            unique=True,
            where="superseded_at IS NULL",
        ),
    )

    session_id: Mapped[str] = mapped_column(ForeignKey("ai_sessions.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[int] = mapped_column(Integer, default=0)
    template_id: Mapped[str | None] = mapped_column(
        ForeignKey("script_templates.id", ondelete="SET NULL")
    )
    ai_drafted_script: Mapped[str | None] = mapped_column(Text)
    ai_drafted_parameters: Mapped[dict[str, Any] | None]
    script_language: Mapped[str | None] = mapped_column(String(16))
    edited_script: Mapped[str | None] = mapped_column(Text)
    user_decision: Mapped[str | None] = mapped_column(String(20))
    superseded_at: Mapped[datetime | None]
    status: Mapped[FixStatus] = mapped_column(
        FixStatusText(), default=FixStatus.PROPOSED, server_default=FixStatus.PROPOSED.value
    )
    applied_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    partial_notes: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    pending_reason: Mapped[str | None] = mapped_column(Text)
    ai_outcome_proposal: Mapped[dict[str, Any] | None]
    ai_outcome_proposal_rejected_at: Mapped[datetime | None]


class TemplateCategory(Timestamped, Base):
    __tablename__ = "template_categories"

    name: Mapped[str] = mapped_column(String(120), unique=True)


class ScriptTemplate(Timestamped, Base):
    """A team script with ``{{param}}`` placeholders and a parameter schema."""

    __tablename__ = "script_templates"
    __table_args__ = (CheckConstraint(one_of("language", SCRIPT_LANGUAGES), name="lang"),)

    name: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[str | None] = mapped_column(
        ForeignKey("template_categories.id", ondelete="SET NULL")
    )
    description: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    parameters_schema: Mapped[list[Any]] = mapped_column(default=list)
    source_session_id: Mapped[str | None] = mapped_column(
        ForeignKey("ai_sessions.id", ondelete="SET NULL")
    )
    source_user_id: Mapped[str | None] = mapped_column(String(200))
    source_ticket_ref: Mapped[str | None] = mapped_column(String(64))


class ScriptGeneration(Timestamped, Base):
    """A rendered template; sensitive parameter values are redacted before storing."""

    __tablename__ = "script_generations"

    template_id: Mapped[str | None] = mapped_column(
        ForeignKey("script_templates.id", ondelete="SET NULL")
    )
    ai_session_id: Mapped[str | None] = mapped_column(
        ForeignKey("ai_sessions.id", ondelete="CASCADE")
    )
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rendered_script: Mapped[str] = mapped_column(Text)


class DraftTemplate(Timestamped, Base):
    """A script run during a session, waiting to be offered as a team template."""

    __tablename__ = "draft_templates"
    __table_args__ = (
        CheckConstraint(one_of("status", DRAFT_TEMPLATE_STATUSES), name="status"),
        CheckConstraint(one_of("language", SCRIPT_LANGUAGES), name="lang"),
        partial_index("ix_draft_templates_pending", "session_id", where="status = 'pending'"),
    )

    session_id: Mapped[str] = mapped_column(ForeignKey("ai_sessions.id", ondelete="CASCADE"))
    fix_id: Mapped[str | None] = mapped_column(
        ForeignKey("session_suggested_fixes.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(200))
    templated_body: Mapped[str] = mapped_column(Text)
    parameters_schema: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    promoted_template_id: Mapped[str | None] = mapped_column(
        ForeignKey("script_templates.id", ondelete="SET NULL")
    )
    resolved_at: Mapped[datetime | None]


class ScriptBuilderSession(Timestamped, Base):
    """A script-writing chat: standalone, or inline for one triage session."""

    __tablename__ = "script_builder_sessions"
    __table_args__ = (
        CheckConstraint(one_of("origin", SCRIPT_BUILDER_ORIGINS), name="origin"),
        CheckConstraint(
            "(origin = 'pilot_inline' AND ai_session_id IS NOT NULL)"
            " OR (origin = 'standalone' AND ai_session_id IS NULL)",
            name="origin_session",
        ),
        CheckConstraint(one_of("language", SCRIPT_LANGUAGES, nullable=True), name="lang"),
        partial_index(
            "uq_script_builder_sessions_inline",
            "user_id",
            "ai_session_id",
            unique=True,
            where="origin = 'pilot_inline'",
        ),
    )

    user_id: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(16))
    ai_session_id: Mapped[str | None] = mapped_column(
        ForeignKey("ai_sessions.id", ondelete="CASCADE")
    )
    messages: Mapped[list[Any]] = mapped_column(default=list)
    script: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    submitted_at: Mapped[datetime | None]


class AccountSettings(Base):
    """One row per account, created lazily; ``preferences`` is merged, never replaced."""

    __tablename__ = "account_settings"

    account_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PsaOutbox(Timestamped, Base):
    """Work for the PSA, queued locally and sent at most once (idempotency key)."""

    __tablename__ = "psa_outbox"
    __table_args__ = (
        CheckConstraint(one_of("kind", OUTBOX_KINDS), name="kind"),
        CheckConstraint(one_of("state", OUTBOX_STATES), name="state"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_psa_outbox_due", "state", "next_attempt_at"),
    )

    session_id: Mapped[str] = mapped_column(ForeignKey("ai_sessions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(64))
    next_attempt_at: Mapped[datetime | None]
    # Who is sending the job (a worker id) and until when: exactly once across processes.
    # A claim is a conditional UPDATE; recovery takes back only leases that have expired.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]


class SessionWorkTime(Base):
    """The technician's active work on a session (issue 21's timer): the time between work
    events (focus, typing, lane actions) counted when the gap is short, kept across restarts."""

    __tablename__ = "session_work_time"
    __table_args__ = (CheckConstraint("active_seconds >= 0", name="active_seconds"),)

    session_id: Mapped[str] = mapped_column(
        ForeignKey("ai_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    active_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    first_event_at: Mapped[datetime]
    last_event_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
