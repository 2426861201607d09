"""Draft templates: scripts run during a session, waiting to be offered to the team library."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storage.models import AiSession, DraftTemplate, utcnow


@dataclass(frozen=True, slots=True)
class DraftRecord:
    id: str
    session_id: str
    fix_id: str | None
    name: str
    templated_body: str
    parameters_schema: list[dict[str, Any]]
    language: str
    status: str
    promoted_template_id: str | None


def _record(row: DraftTemplate) -> DraftRecord:
    return DraftRecord(
        row.id,
        row.session_id,
        row.fix_id,
        row.name,
        row.templated_body,
        list(row.parameters_schema or []),
        row.language,
        row.status,
        row.promoted_template_id,
    )


_Select = TypeVar("_Select", bound="Select[Any]")


def add_draft(session: Session, **fields: Any) -> str:
    draft = DraftTemplate(status="pending", **fields)
    session.add(draft)
    session.flush()
    return draft.id


def get_draft(session: Session, draft_id: str) -> DraftRecord | None:
    row = session.get(DraftTemplate, draft_id)
    return _record(row) if row is not None else None


def pending_drafts(session: Session, session_id: str | None = None) -> list[DraftRecord]:
    """A session's pending drafts, or every live session's (``None``), oldest first."""
    query = _pending(select(DraftTemplate))
    if session_id is not None:
        query = query.where(DraftTemplate.session_id == session_id)
    rows = session.scalars(query.order_by(DraftTemplate.created_at, DraftTemplate.id))
    return [_record(row) for row in rows]


def pending_count(session: Session) -> int:
    return int(session.scalar(_pending(select(func.count()).select_from(DraftTemplate))) or 0)


def _pending(query: _Select) -> _Select:
    """Pending drafts of sessions that are not deleted (a deleted session's wait for Undo)."""
    return query.join(AiSession, AiSession.id == DraftTemplate.session_id).where(
        DraftTemplate.status == "pending", AiSession.deleted_at.is_(None)
    )


def close_draft(
    session: Session, draft_id: str, status: str, promoted_template_id: str | None = None
) -> None:
    row = session.get(DraftTemplate, draft_id)
    if row is None:
        raise LookupError(draft_id)
    row.status = status
    row.promoted_template_id = promoted_template_id
    row.resolved_at = utcnow()
    session.flush()
