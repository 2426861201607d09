"""Questions and diagnostic checks of the task lane, with ids that survive later turns.

An item keeps its UUID (and whatever the technician recorded on it) when a later reply
repeats its exact text (questions) or label (checks); new items get new ids. A reply without
a [QUESTIONS] or [ACTIONS] block leaves that list as it was.

The lane is stored as JSON (``ai_sessions.pending_task_lane``); the TypedDicts below say what
it holds. They stay dicts because the screens read them as such.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, Required, TypedDict, TypeVar, cast, final

from flowpilot_desktop.assistant.markers import ActionItem, ParsedReply, QuestionItem


@final
class LaneQuestion(TypedDict, total=False):
    """A question for the end user."""

    id: Required[str]
    text: Required[str]
    context: str
    options: list[str]
    answer: str  # recorded by the technician


@final
class LaneCheck(TypedDict, total=False):
    """A diagnostic check for the technician to run (an [ACTIONS] item)."""

    id: Required[str]
    label: Required[str]
    command: str | None
    description: str
    result: str  # what it showed, recorded by the technician
    done: bool  # set with the result


LaneItem = LaneQuestion | LaneCheck


class TaskLane(TypedDict, total=False):
    questions: list[LaneQuestion]
    actions: list[LaneCheck]  # the checks


_Item = TypeVar("_Item", LaneQuestion, LaneCheck)
_Marker = TypeVar("_Marker", QuestionItem, ActionItem)


def stored_task_lane(raw: Mapping[str, Any] | None) -> TaskLane | None:
    """The stored lane JSON, typed: it is only written from a TaskLane (``merge_task_lane``,
    and the task lane service recording answers and results)."""
    return cast("TaskLane | None", raw)


def merge_task_lane(previous: TaskLane | None, parsed: ParsedReply) -> TaskLane:
    """The session's next ``pending_task_lane`` after ``parsed`` (a new dict; inputs untouched)."""
    previous = previous or {}
    questions = list(previous.get("questions") or [])
    actions = list(previous.get("actions") or [])
    if parsed.questions is not None:
        questions = _merge(questions, parsed.questions, _question, lambda q: q.get("text"))
    if parsed.actions is not None:
        actions = _merge(actions, parsed.actions, _action, lambda a: a.get("label"))
    return {"questions": questions, "actions": actions}


def find_item(task_lane: TaskLane | None, item_id: str) -> LaneItem | None:
    """The question or check with this id, or None."""
    lane = task_lane or {}
    items: list[LaneItem] = [*lane.get("questions", []), *lane.get("actions", [])]
    for item in items:
        if item.get("id") == item_id:
            return item
    return None


def _merge(
    existing: list[_Item],
    incoming: tuple[_Marker, ...],
    build: Callable[[_Marker], _Item],
    key: Callable[[_Item], object],
) -> list[_Item]:
    by_key = {key(item): item for item in existing if isinstance(item, dict)}
    merged = []
    for marker in incoming:
        fresh = build(marker)
        kept = by_key.get(key(fresh))
        if kept is not None:
            # the kept item with the fresh fields, under the kept id
            updated = kept.copy()
            updated.update(fresh)
            updated["id"] = kept["id"]
            fresh = updated
        merged.append(fresh)
    return merged


def _question(item: QuestionItem) -> LaneQuestion:
    return {
        "id": str(uuid.uuid4()),
        "text": item.text,
        "context": item.context,
        "options": list(item.options),
    }


def _action(item: ActionItem) -> LaneCheck:
    return {
        "id": str(uuid.uuid4()),
        "label": item.label,
        "command": item.command,
        "description": item.description,
    }
