"""Chat messages of a session, in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import AiSession, Message, utcnow
from storage.state_version import bump_state_version


def list_messages(session: Session, session_id: str) -> list[Message]:
    """The conversation as shown and sent: messages the technician deleted are left out."""
    return list(
        session.scalars(
            select(Message)
            .where(Message.session_id == session_id, Message.deleted_at.is_(None))
            .order_by(Message.created_at, Message.id)
        )
    )


def message_texts(session: Session, session_id: str) -> list[str]:
    """Every stored text of the session, deleted messages included (for placeholder numbering)."""
    return list(session.scalars(select(Message.content).where(Message.session_id == session_id)))


def count_messages(
    session: Session,
    session_id: str,
    role: str,
    *,
    after: datetime | None = None,
    answered: bool = False,
) -> int:
    """How many messages of ``role`` the session has: only after ``after`` if given, and
    with ``answered`` only those that did not fail."""
    query = select(func.count(Message.id)).where(
        Message.session_id == session_id, Message.role == role, Message.deleted_at.is_(None)
    )
    if answered:
        query = query.where(Message.error.is_(None), Message.streaming.is_(False))
    if after is not None:
        query = query.where(Message.created_at > after)
    return session.scalar(query) or 0


def add_message(session: Session, session_id: str, role: str, **fields: Any) -> Message:
    """Append a message and mark the session as just active."""
    now = utcnow()
    message = Message(session_id=session_id, role=role, created_at=now, updated_at=now, **fields)
    session.add(message)
    session.execute(
        update(AiSession).where(AiSession.id == session_id).values(last_activity_at=now)
    )
    session.flush()
    return message


def set_message_deleted(
    session: Session, session_id: str, message_id: str, deleted: bool
) -> Message:
    """Soft-delete (or restore) one message; the session's derived state moves."""
    message = session.get(Message, message_id)
    if message is None or message.session_id != session_id:
        raise LookupError(message_id)
    message.deleted_at = utcnow() if deleted else None
    bump_state_version(session, session_id)
    session.flush()
    return message


def finish_reply(session: Session, session_id: str, reply_id: str | None, **fields: Any) -> Message:
    """The streamed reply, complete (or stopped, or failed): its row updated in place, or
    added now when it could not be created at the start."""
    message = session.get(Message, reply_id) if reply_id is not None else None
    if message is None:
        return add_message(session, session_id, "assistant", **fields)
    for name, value in fields.items():
        setattr(message, name, value)
    message.streaming = False
    session.flush()
    return message


def save_partial(session: Session, reply_id: str, visible_text: str) -> None:
    """What a streaming reply has shown so far (markers never: they are not applied yet)."""
    session.execute(
        update(Message)
        .where(Message.id == reply_id, Message.streaming.is_(True))
        .values(content=visible_text, raw_content=visible_text)
    )


def mark_interrupted(session: Session, message: Message, error: str) -> None:
    """A reply cut off by a crash: kept as it was last saved, no longer streaming."""
    message.streaming = False
    message.error = error
    session.flush()


def delete_message(session: Session, message_id: str) -> None:
    message = session.get(Message, message_id)
    if message is not None:
        session.delete(message)
        session.flush()
