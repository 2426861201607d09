"""Script Builder sessions (SPEC §10): one ``pilot_inline`` builder per (user, triage session),
and up to a few ``standalone`` builders per user under Scripts.

The inline builder is got-or-created through the partial unique index
``uq_script_builder_sessions_inline``: two callers racing both end up with the one row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import AiSession, ScriptBuilderSession, utcnow

INLINE = "pilot_inline"
STANDALONE = "standalone"


class BuilderNotFoundError(LookupError):
    """No such builder for this user (deleted, or another user's)."""


def get_or_create_inline(
    session: Session, user_id: str, ai_session_id: str
) -> ScriptBuilderSession:
    """The triage session's builder; the session must be this user's and not deleted."""
    owner = session.get(AiSession, ai_session_id)
    if owner is None or owner.deleted_at is not None or owner.user_id != user_id:
        raise BuilderNotFoundError(ai_session_id)
    found = _inline(session, user_id, ai_session_id)
    if found is not None:
        return found
    try:
        with session.begin_nested():  # a concurrent create wins the index: use its row
            row = ScriptBuilderSession(user_id=user_id, origin=INLINE, ai_session_id=ai_session_id)
            session.add(row)
    except IntegrityError:
        found = _inline(session, user_id, ai_session_id)
        if found is None:
            raise
        return found
    return row


def open_standalone(session: Session, user_id: str) -> list[ScriptBuilderSession]:
    """The user's standalone builders not yet closed, oldest first (inline ones never)."""
    return list(
        session.scalars(
            select(ScriptBuilderSession)
            .where(
                ScriptBuilderSession.user_id == user_id,
                ScriptBuilderSession.origin == STANDALONE,
                ScriptBuilderSession.submitted_at.is_(None),
            )
            .order_by(ScriptBuilderSession.created_at, ScriptBuilderSession.id)
        )
    )


def create_standalone(session: Session, user_id: str) -> ScriptBuilderSession:
    row = ScriptBuilderSession(user_id=user_id, origin=STANDALONE, ai_session_id=None)
    session.add(row)
    session.flush()
    return row


def get_builder(session: Session, user_id: str, builder_id: str) -> ScriptBuilderSession:
    row = session.get(ScriptBuilderSession, builder_id)
    if row is None or row.user_id != user_id:
        raise BuilderNotFoundError(builder_id)
    return row


def append_messages(row: ScriptBuilderSession, *messages: dict[str, Any]) -> None:
    row.messages = [*(row.messages or []), *messages]  # a new list: the JSON column is saved


def set_script(row: ScriptBuilderSession, script: str, language: str | None) -> None:
    row.script = script
    row.language = language


def close(row: ScriptBuilderSession) -> None:
    """Submitted (inline) or closed (standalone): no longer open."""
    row.submitted_at = utcnow()


def reopen(row: ScriptBuilderSession) -> None:
    row.submitted_at = None


def _inline(session: Session, user_id: str, ai_session_id: str) -> ScriptBuilderSession | None:
    return session.scalar(
        select(ScriptBuilderSession).where(
            ScriptBuilderSession.user_id == user_id,
            ScriptBuilderSession.origin == INLINE,
            ScriptBuilderSession.ai_session_id == ai_session_id,
        )
    )
