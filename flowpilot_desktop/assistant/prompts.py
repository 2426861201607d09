"""Prompt texts and the request's system blocks.

The first system block is the stable prompt with ``cache_control``: byte-identical across turns
and sessions (no timestamps, no ids), so every turn reads it from the prompt cache. The
session's context (ticket, facts, open items, active fix) goes in a second block after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from flowpilot_desktop.assistant.task_lane import TaskLane
from psa.provider import TicketSnapshot
from resources import resource_path

PROMPT_FILES = ("system.md",)


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


def system_blocks(
    context: SessionContext, scrub: Callable[[str], str] = lambda text: text
) -> list[dict[str, Any]]:
    """The stable prompt, then the session context as it may leave the machine (``scrub``:
    the ticket, facts and fix can hold what a technician pasted or a customer wrote)."""
    return [
        {"type": "text", "text": prompt_text("system.md"), "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": scrub(render_context(context))},
    ]


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
    return "\n".join(lines)


def _section(lines: list[str], title: str, items: list[str], empty: str) -> None:
    lines.extend(["", f"## {title}", *(items or [empty])])
