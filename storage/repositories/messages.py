"""Chat messages of a session, in order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import AiSession, Message, utcnow


def list_messages(session: Session, session_id: str) -> list[Message]:
    return list(
        session.scalars(
            select(Message)
            .where(Message.session_id == session_id)
            .order_by(Message.created_at, Message.id)
        )
    )


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
        Message.session_id == session_id, Message.role == role
    )
    if answered:
        query = query.where(Message.error.is_(None))
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


def update_message(session: Session, message_id: str, **fields: Any) -> Message:
    message = session.get(Message, message_id)
    if message is None:
        raise LookupError(message_id)
    for name, value in fields.items():
        setattr(message, name, value)
    session.flush()
    return message


def delete_message(session: Session, message_id: str) -> None:
    message = session.get(Message, message_id)
    if message is not None:
        session.delete(message)
        session.flush()
