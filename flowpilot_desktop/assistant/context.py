"""What the assistant is told about the session besides the conversation, read in one unit of
work together with the conversation itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from flowpilot_desktop.assistant.prompts import SessionContext
from flowpilot_desktop.assistant.task_lane import stored_task_lane
from flowpilot_desktop.tickets import kept_snapshot
from storage.models import Message, SessionSuggestedFix
from storage.repositories import facts, fixes, messages, templates
from storage.repositories import sessions as session_repository
from storage.repositories.templates import TemplateRecord
from storage.seen_before import PastFix, similar_resolved

MAX_TEMPLATES = 60  # the catalogue in the session context stays a few thousand tokens


def request_inputs(session: Session, session_id: str) -> tuple[SessionContext, list[Message]]:
    """The session context and the conversation a turn sends."""
    summary = session_repository.get_session_summary(session, session_id)
    fix = fixes.active_fix(session, session_id)
    context = SessionContext(
        title=summary.title,
        ticket_ref=summary.ticket_ref,
        ticket_snapshot=kept_snapshot(session_repository.get_ticket_snapshot(session, session_id)),
        facts=tuple(f.text for f in facts.live_facts(session, session_id)),
        task_lane=stored_task_lane(session_repository.get_task_lane(session, session_id)),
        active_fix=_fix_context(fix) if fix is not None else None,
        templates=tuple(
            _template_line(t) for t in templates.list_templates(session, limit=MAX_TEMPLATES)
        ),
        seen_before=tuple(seen_before_line(past) for past in similar_resolved(session, session_id)),
    )
    return context, messages.list_messages(session, session_id)


def seen_before_line(past: PastFix) -> str:
    ticket = f" (#{past.ticket_ref})" if past.ticket_ref else ""
    return f"“{past.title}”{ticket}: fix “{past.fix_title}” — {past.record}"


def _template_line(template: TemplateRecord) -> str:
    names = ", ".join(p.get("name", "") for p in template.parameters_schema) or "none"
    about = f" — {template.description[:160]}" if template.description else ""
    return f"- id {template.id}: {template.name} ({template.language}; parameters: {names}){about}"


def _fix_context(fix: SessionSuggestedFix) -> dict[str, Any]:
    return {
        "id": fix.id,
        "title": fix.title,
        "confidence": fix.confidence,
        "status": fix.status,
        "decision": fix.user_decision,
        "template_id": fix.template_id,
        "applied": fix.applied_at is not None,
    }
