"""Facts of "What we know"; every write bumps the session's state_version."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import SessionFact, fact_text_hash, utcnow
from storage.state_version import bump_state_version


def live_facts(session: Session, session_id: str) -> list[SessionFact]:
    return list(
        session.scalars(
            select(SessionFact)
            .where(SessionFact.session_id == session_id, SessionFact.deleted_at.is_(None))
            .order_by(SessionFact.created_at, SessionFact.id)
        )
    )


def add_fact(
    session: Session,
    session_id: str,
    text: str,
    source_type: str,
    source_ref: str | None = None,
) -> SessionFact | None:
    """Add a fact unless the same text is already known (None then): re-applying is harmless.

    The check is one index lookup on the text's hash, however many facts the session has.
    """
    normalised = " ".join(text.split())
    if has_live_fact(session, session_id, normalised):
        return None
    fact = SessionFact(
        session_id=session_id, text=normalised, source_type=source_type, source_ref=source_ref
    )
    session.add(fact)
    bump_state_version(session, session_id)
    return fact


def has_live_fact(session: Session, session_id: str, text: str) -> bool:
    digest = fact_text_hash(text)
    candidates = session.scalars(
        select(SessionFact.text).where(
            SessionFact.session_id == session_id,
            SessionFact.text_hash == digest,
            SessionFact.deleted_at.is_(None),
        )
    )
    normalised = " ".join(text.split())
    return any(" ".join(candidate.split()) == normalised for candidate in candidates)


EDITABLE_SOURCES = frozenset({"ai_promote", "engineer_note"})


def get_fact(session: Session, session_id: str, fact_id: str) -> SessionFact:
    fact = session.get(SessionFact, fact_id)
    if fact is None or fact.session_id != session_id:
        raise LookupError(fact_id)
    return fact


def edit_fact(session: Session, session_id: str, fact: SessionFact, text: str) -> None:
    fact.text = " ".join(text.split())
    bump_state_version(session, session_id)


def set_fact_deleted(session: Session, session_id: str, fact: SessionFact, deleted: bool) -> None:
    """Soft delete (or restore) a fact; bumps state_version."""
    fact.deleted_at = utcnow() if deleted else None
    bump_state_version(session, session_id)
