"""Triage sessions: the list the technician works from, and its lifecycle writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AiSession, utcnow
from storage.state_version import SessionNotFoundError, bump_state_version


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """What the session list shows of a session."""

    id: str
    title: str
    ticket_ref: str | None
    status: str
    last_activity_at: datetime
    state_version: int


_SUMMARY_COLUMNS = (
    AiSession.id,
    AiSession.title,
    AiSession.ticket_ref,
    AiSession.status,
    AiSession.last_activity_at,
    AiSession.state_version,
)


def list_session_summaries(session: Session, user_id: str) -> list[SessionSummary]:
    """The user's live sessions, most recently active first (one indexed query, no ORM objects)."""
    rows = session.execute(
        select(*_SUMMARY_COLUMNS)
        .where(AiSession.user_id == user_id, AiSession.deleted_at.is_(None))
        .order_by(AiSession.last_activity_at.desc(), AiSession.id)
    )
    return [SessionSummary(*row) for row in rows]


def get_session_summary(session: Session, session_id: str) -> SessionSummary:
    row = session.execute(select(*_SUMMARY_COLUMNS).where(AiSession.id == session_id)).first()
    if row is None:
        raise SessionNotFoundError(session_id)
    return SessionSummary(*row)


def find_session_summary(session: Session, session_id: str) -> SessionSummary | None:
    """The summary, or None when the session is gone (no error: callers expect that)."""
    row = session.execute(select(*_SUMMARY_COLUMNS).where(AiSession.id == session_id)).first()
    return SessionSummary(*row) if row is not None else None


def create_session(
    session: Session, *, user_id: str, title: str, ticket_ref: str | None = None
) -> SessionSummary:
    ai_session = AiSession(user_id=user_id, title=title, ticket_ref=ticket_ref)
    session.add(ai_session)
    session.flush()
    return get_session_summary(session, ai_session.id)


def rename_session(session: Session, session_id: str, title: str) -> SessionSummary:
    _live(session, session_id).title = title
    session.flush()
    return get_session_summary(session, session_id)


def soft_delete_session(session: Session, session_id: str) -> SessionSummary:
    """Hide the session from the list; it stays in the database and can be restored."""
    _live(session, session_id).deleted_at = utcnow()
    session.flush()
    return get_session_summary(session, session_id)


def restore_session(session: Session, session_id: str) -> SessionSummary:
    ai_session = session.get(AiSession, session_id)
    if ai_session is None:
        raise SessionNotFoundError(session_id)
    ai_session.deleted_at = None
    session.flush()
    return get_session_summary(session, session_id)


def _live(session: Session, session_id: str) -> AiSession:
    ai_session = session.get(AiSession, session_id)
    if ai_session is None or ai_session.deleted_at is not None:
        raise SessionNotFoundError(session_id)
    return ai_session


def get_task_lane(session: Session, session_id: str) -> dict[str, Any] | None:
    ai_session = session.get(AiSession, session_id)
    if ai_session is None:
        raise SessionNotFoundError(session_id)
    return ai_session.pending_task_lane


def set_task_lane(session: Session, session_id: str, task_lane: Mapping[str, Any]) -> None:
    """Store the open questions and checks (with answers and results); bumps state_version,
    since a check's result is part of what a resolution or escalation note reports."""
    ai_session = session.get(AiSession, session_id)
    if ai_session is None:
        raise SessionNotFoundError(session_id)
    ai_session.pending_task_lane = dict(task_lane)
    bump_state_version(session, session_id)


def get_ticket_snapshot(session: Session, session_id: str) -> dict[str, Any] | None:
    ai_session = session.get(AiSession, session_id)
    if ai_session is None:
        raise SessionNotFoundError(session_id)
    return ai_session.ticket_snapshot


def set_ticket_snapshot(session: Session, session_id: str, snapshot: dict[str, Any]) -> int:
    """Store what the PSA said about the linked ticket; bumps state_version, since the
    snapshot is part of what a note is written from. Returns the new state_version."""
    _live(session, session_id).ticket_snapshot = snapshot
    return bump_state_version(session, session_id)


@dataclass(frozen=True, slots=True)
class Conclusion:
    """How a session ended: its status and the notes written for it."""

    status: str
    ticket_ref: str | None
    resolution_note: str | None
    resolution_posted_at: datetime | None
    resolution_external_id: str | None
    escalation_package: str | None
    escalation_posted_at: datetime | None
    escalation_external_id: str | None


def get_conclusion(session: Session, session_id: str) -> Conclusion:
    row = _live(session, session_id)
    return Conclusion(
        row.status,
        row.ticket_ref,
        row.resolution_note_markdown,
        row.resolution_note_posted_at,
        row.resolution_note_external_id,
        row.escalation_package_markdown,
        row.escalation_package_posted_at,
        row.escalation_package_external_id,
    )


def conclude_session(
    session: Session, session_id: str, *, status: str, note_kind: str, text: str
) -> None:
    """Mark the session resolved/escalated (or ``_local``) and keep the note it ends with."""
    row = _live(session, session_id)
    row.status = status
    if note_kind == "resolution":
        row.resolution_note_markdown = text
    else:
        row.escalation_package_markdown = text
    row.last_activity_at = utcnow()
    session.flush()


def mark_note_posted(
    session: Session, session_id: str, *, note_kind: str, external_id: str, posted_at: datetime
) -> None:
    row = _live(session, session_id)
    if note_kind == "resolution":
        row.resolution_note_posted_at, row.resolution_note_external_id = posted_at, external_id
    else:
        row.escalation_package_posted_at, row.escalation_package_external_id = (
            posted_at,
            external_id,
        )
    session.flush()
