"""Demo data (``--demo``): a few realistic sessions so a newcomer sees a populated window."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from resources import resource_path
from storage.database import Database
from storage.models import AiSession, Message, SessionFact, utcnow


def seed_demo_sessions(database: Database, user_id: str) -> int:
    """Add the demo sessions when the user has none yet; return how many were added."""
    return database.run_sync(lambda session: _seed(session, user_id))


def _seed(session: Session, user_id: str) -> int:
    existing = session.scalar(
        select(func.count()).select_from(AiSession).where(AiSession.user_id == user_id)
    )
    if existing:
        return 0
    data = json.loads(resource_path("demo", "sessions.json").read_text(encoding="utf-8"))
    now = utcnow()
    for entry in data["sessions"]:
        moment = now - timedelta(hours=entry["hours_ago"])
        ai_session = AiSession(
            user_id=user_id,
            title=entry["title"],
            ticket_ref=entry["ticket_ref"],
            ticket_snapshot=entry["ticket_snapshot"],
            status=entry["status"],
            state_version=len(entry["facts"]),
            last_activity_at=moment,
            created_at=moment,
            updated_at=moment,
        )
        session.add(ai_session)
        session.flush()
        for fact in entry["facts"]:
            session.add(SessionFact(session_id=ai_session.id, created_at=moment, **fact))
        for offset, message in enumerate(entry["messages"]):
            stamp = moment - timedelta(minutes=len(entry["messages"]) - offset)
            # A reply with markers fills the task lane the way a live reply would.
            raw = message.get("raw_content", message["content"])
            session.add(
                Message(
                    session_id=ai_session.id,
                    role=message["role"],
                    content=message["content"],
                    raw_content=raw,
                    created_at=stamp,
                )
            )
            if raw != message["content"]:
                apply_reply(session, ai_session.id, parse_reply(raw))
    return len(data["sessions"])
