"""The one place that bumps a session's ``state_version``.

``state_version`` keys everything derived from a session (the resolve/escalate preview
cache above all). It must move exactly when the session's triage state moves, so the bump is
a single ``UPDATE ... SET state_version = state_version + 1`` issued in the same transaction
as the write it stands for: both commit together or neither does.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from storage.models import AiSession, utcnow


class SessionNotFoundError(LookupError):
    """The triage session does not exist (or was deleted for good)."""


def bump_state_version(session: Session, ai_session_id: str) -> int:
    """Increment the session's state_version inside the caller's transaction; return the new value.

    Call it from the same unit of work as the write (facts, fixes, outcomes, script edits,
    script generations linked to the session). Pending ORM changes are flushed first so a
    write that fails does so before the bump, and the rollback undoes both.
    """
    session.flush()
    now = utcnow()
    new_version = session.execute(
        update(AiSession)
        .where(AiSession.id == ai_session_id)
        .values(state_version=AiSession.state_version + 1, updated_at=now, last_activity_at=now)
        .returning(AiSession.state_version)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if new_version is None:
        raise SessionNotFoundError(ai_session_id)
    # Keep an already-loaded AiSession consistent with the row.
    loaded = session.identity_map.get(Session.identity_key(AiSession, ai_session_id))
    if loaded is not None:
        session.expire(loaded, ["state_version", "updated_at", "last_activity_at"])
    return new_version
