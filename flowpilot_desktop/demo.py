"""Demo data (``--demo``): a few realistic sessions and team script templates, so a newcomer
sees a populated window and library."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.scripts.templates import check_template, parse_schema
from resources import resource_path
from storage.database import Database
from storage.models import (
    AiSession,
    Message,
    ScriptBuilderSession,
    ScriptTemplate,
    SessionFact,
    TemplateCategory,
    utcnow,
)


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
    sessions: dict[str, AiSession] = {}
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
        sessions[entry["title"]] = ai_session
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
    _seed_templates(session, data.get("templates", []), sessions, user_id)
    _seed_standalone_scripts(session, data.get("standalone_scripts", []), user_id)
    return len(data["sessions"])


def _seed_standalone_scripts(session: Session, entries: list[dict[str, Any]], user_id: str) -> None:
    """A script written in the standalone Script Builder, still open under Scripts."""
    for entry in entries:
        messages = [
            {"role": "user", "content": entry["request"]},
            {"role": "assistant", "content": entry["answer"]},
        ]
        session.add(
            ScriptBuilderSession(
                user_id=user_id,
                origin="standalone",
                messages=messages,
                script=entry["script"],
                language=entry["language"],
            )
        )


def _seed_templates(
    session: Session, entries: list[dict[str, Any]], sessions: dict[str, AiSession], user_id: str
) -> None:
    """The library, unless the team already has one; one template promoted from a session."""
    if session.scalar(select(func.count()).select_from(ScriptTemplate)):
        return
    categories: dict[str, TemplateCategory] = {}
    for entry in entries:
        check_template(entry["body"], parse_schema(entry["parameters"]), entry["language"])
        name = entry["category"]
        if name not in categories:
            categories[name] = TemplateCategory(name=name)
            session.add(categories[name])
            session.flush()
        source = sessions.get(entry.get("from_session", ""))
        session.add(
            ScriptTemplate(
                name=entry["name"],
                category_id=categories[name].id,
                description=entry["description"],
                language=entry["language"],
                body=entry["body"],
                parameters_schema=entry["parameters"],
                source_session_id=source.id if source else None,
                source_user_id=user_id if source else None,
                source_ticket_ref=source.ticket_ref if source else None,
            )
        )
