"""Prompt texts and the session context the assistant is given.

The system prompt is byte-identical across turns and sessions (no timestamps, no ids); the
session context is rendered here and sent in the newest user turn (``layout``), where its
changes never invalidate the cached conversation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from flowpilot_desktop.assistant.task_lane import TaskLane
from psa.provider import TicketSnapshot
from resources import resource_path

PROMPT_FILES = ("system.md", "script_builder.md")


@cache
def prompt_text(name: str) -> str:
    return resource_path("prompts", name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class SessionContext:
    """What the assistant is told about the session besides the conversation."""

    title: str
    ticket_ref: str | None
    ticket_snapshot: TicketSnapshot | None
    facts: tuple[str, ...]
    task_lane: TaskLane | None
    active_fix: dict[str, Any] | None
    templates: tuple[str, ...] = ()  # the team's script templates, one line each
    seen_before: tuple[str, ...] = ()  # resolved sessions like this one: fix and outcome


def system_prompt() -> str:
    return prompt_text("system.md")


def script_builder_prompt() -> str:
    return prompt_text("script_builder.md")


def render_context(context: SessionContext) -> str:
    lines = ["# Session context", f"Session title: {context.title}"]
    if context.ticket_ref:
        lines.append(f"ConnectWise ticket: #{context.ticket_ref}")
    ticket = context.ticket_snapshot
    if ticket is not None:
        for key, value in (
            ("summary", ticket.summary),
            ("description", ticket.description),
            ("company", ticket.company),
            ("contact", ticket.contact),
            ("board", ticket.board),
            ("status", ticket.status),
        ):
            if value:
                lines.append(f"Ticket {key}: {value}")
    lane = context.task_lane or {}
    _section(
        lines, "What we know", [f"- {fact}" for fact in context.facts], "Nothing confirmed yet."
    )
    _section(
        lines,
        "Open questions for the end user",
        [f"- id {q['id']}: {q['text']}" for q in lane.get("questions") or []],
        "None.",
    )
    _section(
        lines,
        "Open diagnostic checks",
        [f"- id {a['id']}: {a['label']}" for a in lane.get("actions") or []],
        "None.",
    )
    fix = context.active_fix
    _section(
        lines,
        "Active suggested fix",
        [json.dumps(fix, ensure_ascii=False, default=str)] if fix else [],
        "None suggested yet.",
    )
    _section(
        lines,
        "Team script templates (name one in SUGGEST_FIX template_id when it fits)",
        list(context.templates),
        "None yet.",
    )
    if context.seen_before:
        _section(
            lines,
            "Seen before (resolved sessions like this one: the fix applied and its outcome as "
            "the technician confirmed it; a hint, not evidence about this machine)",
            [f"- {line}" for line in context.seen_before],
            "",
        )
    return "\n".join(lines)


def _section(lines: list[str], title: str, items: list[str], empty: str) -> None:
    lines.extend(["", f"## {title}", *(items or [empty])])
