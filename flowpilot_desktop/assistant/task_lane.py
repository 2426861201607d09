"""Questions and diagnostic checks of the task lane, with ids that survive later turns.

An item keeps its UUID (and whatever the technician recorded on it) when a later reply
repeats its exact text (questions) or label (checks); new items get new ids. A reply without
a [QUESTIONS] or [ACTIONS] block leaves that list as it was.
"""

from __future__ import annotations

import uuid
from typing import Any

from flowpilot_desktop.assistant.markers import ActionItem, ParsedReply, QuestionItem


def merge_task_lane(previous: dict[str, Any] | None, parsed: ParsedReply) -> dict[str, Any]:
    """The session's next ``pending_task_lane`` after ``parsed`` (a new dict; inputs untouched)."""
    previous = previous or {}
    questions = list(previous.get("questions") or [])
    actions = list(previous.get("actions") or [])
    if parsed.questions is not None:
        questions = _merge(questions, parsed.questions, "text", _question)
    if parsed.actions is not None:
        actions = _merge(actions, parsed.actions, "label", _action)
    return {"questions": questions, "actions": actions}


def find_item(task_lane: dict[str, Any] | None, item_id: str) -> dict[str, Any] | None:
    """The question or check with this id, or None."""
    for item in (task_lane or {}).get("questions", []) + (task_lane or {}).get("actions", []):
        if item.get("id") == item_id:
            return item
    return None


def _merge(
    existing: list[dict[str, Any]], incoming: tuple[Any, ...], key: str, build: Any
) -> list[dict[str, Any]]:
    by_key = {item.get(key): item for item in existing if isinstance(item, dict)}
    merged = []
    for marker in incoming:
        fresh = build(marker)
        kept = by_key.get(fresh[key])
        if kept is not None:
            fresh = {**kept, **{k: v for k, v in fresh.items() if k != "id"}, "id": kept["id"]}
        merged.append(fresh)
    return merged


def _question(item: QuestionItem) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "text": item.text,
        "context": item.context,
        "options": list(item.options),
    }


def _action(item: ActionItem) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "label": item.label,
        "command": item.command,
        "description": item.description,
    }
