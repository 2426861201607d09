"""The assistant's marker protocol (SPEC §5): find the blocks, validate them, strip them.

A block is ``[NAME]`` on its own line, JSON starting with ``{`` or ``[``, then ``[/NAME]`` on
its own line. The technician never sees a block: not when the reply is complete and not
while it streams (a half-received tag or an open block is held back). Anything malformed is
skipped with a warning; nothing here raises on any input.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

MARKER_NAMES = ("QUESTIONS", "ACTIONS", "PROMOTE", "SUGGEST_FIX", "FIX_OUTCOME")
SCRIPT_LANGUAGES = ("powershell", "bash", "batch", "python")
FIX_OUTCOMES = ("success", "failure", "partial")
_OPEN_TAG = re.compile(r"^\s*\[(" + "|".join(MARKER_NAMES) + r")\]\s*$")
_TAGS = [f"[{name}]" for name in MARKER_NAMES] + [f"[/{name}]" for name in MARKER_NAMES]
_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n(.*?)\n\s*```\s*$", re.DOTALL)
_MAX_OPTIONS = 4
_BLANK_RUNS = re.compile(r"\n\s*\n(\s*\n)+")


@dataclass(frozen=True)
class QuestionItem:
    text: str
    context: str = ""
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActionItem:
    label: str
    command: str | None = None
    description: str = ""


@dataclass(frozen=True)
class PromoteMarker:
    """A confirmed fact; without text it is synthesized from the referenced item."""

    text: str | None
    source_ref: str | None


@dataclass(frozen=True)
class SuggestedFixMarker:
    title: str
    description: str = ""
    confidence: int = 0
    template_id: str | None = None
    script: str | None = None
    language: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FixOutcomeMarker:
    fix_id: str
    outcome: str
    reason: str = ""


@dataclass(frozen=True)
class ParsedReply:
    """A reply split into what the technician reads and what the task lane gets."""

    visible_text: str
    questions: tuple[QuestionItem, ...] | None = None  # None: the reply had no block
    actions: tuple[ActionItem, ...] | None = None
    promotions: tuple[PromoteMarker, ...] = ()
    suggested_fix: SuggestedFixMarker | None = None
    fix_outcome: FixOutcomeMarker | None = None
    warnings: tuple[str, ...] = ()

    @property
    def has_markers(self) -> bool:
        return any(
            (
                self.questions is not None,
                self.actions is not None,
                self.promotions,
                self.suggested_fix is not None,
                self.fix_outcome is not None,
            )
        )


def parse_reply(raw: str) -> ParsedReply:
    """Parse a complete reply; malformed or unclosed blocks are skipped with a warning."""
    visible, blocks, warnings = _split(raw, streaming=False)
    collected = _Collector(warnings)
    for name, body in blocks:
        collected.add(name, body)
    for warning in collected.warnings:
        log.warning("assistant reply: %s", warning)
    return ParsedReply(
        visible_text=visible,
        questions=collected.questions,
        actions=collected.actions,
        promotions=tuple(collected.promotions),
        suggested_fix=collected.suggested_fix,
        fix_outcome=collected.fix_outcome,
        warnings=tuple(collected.warnings),
    )


def visible_text_while_streaming(partial: str) -> str:
    """What may be shown of a reply still arriving: no block, and no tag half-received."""
    return _split(partial, streaming=True)[0]


class StreamingFilter:
    """Incremental version of :func:`visible_text_while_streaming` for long replies.

    ``feed(delta)`` returns only the newly visible text, in O(len(delta)) per call, so a
    20,000-token reply streams without re-scanning what came before. Text once returned is
    never taken back: a line that could still turn into a tag is held until it is complete.
    """

    def __init__(self) -> None:
        self._line = ""  # the current, incomplete line
        self._shown = 0  # how much of the current line was already returned
        self._block: str | None = None  # the open block we are inside of, if any

    def feed(self, delta: str) -> str:
        out: list[str] = []
        for piece in delta.split("\n")[:-1] if "\n" in delta else ():
            self._line += piece
            out.append(self._finish_line())
        tail = delta.rsplit("\n", 1)[-1] if "\n" in delta else delta
        self._line += tail
        out.append(self._partial())
        return "".join(out)

    def _finish_line(self) -> str:
        line, shown = self._line, self._shown
        self._line, self._shown = "", 0
        if self._block is not None:
            if line.strip() == f"[/{self._block}]":
                self._block = None
            return ""
        opening = _OPEN_TAG.match(line)
        if opening is not None and shown == 0:
            self._block = opening.group(1)
            return ""
        return line[shown:] + "\n"

    def _partial(self) -> str:
        if self._block is not None or _could_become_tag(self._line):
            return ""
        fresh = self._line[self._shown :]
        self._shown = len(self._line)
        return fresh


# ---- Private


def _split(raw: str, *, streaming: bool) -> tuple[str, list[tuple[str, str]], list[str]]:
    lines = raw.split("\n")
    if streaming and lines and _could_become_tag(lines[-1]):
        lines = lines[:-1]  # wait for the rest of this line before deciding
    visible: list[str] = []
    blocks: list[tuple[str, str]] = []
    warnings: list[str] = []
    index = 0
    while index < len(lines):
        opening = _OPEN_TAG.match(lines[index])
        if opening is None:
            visible.append(lines[index])
            index += 1
            continue
        name = opening.group(1)
        closing = next(
            (i for i in range(index + 1, len(lines)) if lines[i].strip() == f"[/{name}]"),
            None,
        )
        if closing is None:
            if not streaming:
                warnings.append(f"unclosed [{name}] block skipped")
            break  # hide everything from an open block on
        blocks.append((name, "\n".join(lines[index + 1 : closing])))
        visible.append("")  # a removed block still separates paragraphs
        index = closing + 1
    return _BLANK_RUNS.sub("\n\n", "\n".join(visible)).strip(), blocks, warnings


def _could_become_tag(line: str) -> bool:
    stripped = line.strip()
    if not stripped.startswith("["):
        return False
    return any(tag.startswith(stripped) or stripped.startswith(tag) for tag in _TAGS)


class _Collector:
    def __init__(self, warnings: list[str]) -> None:
        self.warnings = warnings
        self.questions: tuple[QuestionItem, ...] | None = None
        self.actions: tuple[ActionItem, ...] | None = None
        self.promotions: list[PromoteMarker] = []
        self.suggested_fix: SuggestedFixMarker | None = None
        self.fix_outcome: FixOutcomeMarker | None = None

    def add(self, name: str, body: str) -> None:
        payload = self._json(name, body)
        if payload is _INVALID:
            return
        handler = getattr(self, f"_add_{name.lower()}")
        handler(payload)

    def _json(self, name: str, body: str) -> Any:
        text = body.strip()
        fenced = _FENCE.match(text)
        if fenced:
            text = fenced.group(1).strip()
        if not text.startswith(("{", "[")):
            self.warnings.append(f"[{name}] block does not hold JSON; skipped")
            return _INVALID
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            self.warnings.append(f"[{name}] block holds malformed JSON; skipped")
            return _INVALID

    def _add_questions(self, payload: Any) -> None:
        items = []
        for entry in _as_list(payload):
            text = _text(entry, "text")
            if text is None:
                self.warnings.append("a question without text was skipped")
                continue
            options = _options(entry.get("options"))
            items.append(QuestionItem(text, _text(entry, "context") or "", options))
        self.questions = tuple(items)

    def _add_actions(self, payload: Any) -> None:
        items = []
        for entry in _as_list(payload):
            label = _text(entry, "label")
            if label is None:
                self.warnings.append("a diagnostic check without a label was skipped")
                continue
            command, description = _text(entry, "command"), _text(entry, "description") or ""
            items.append(ActionItem(label, command, description))
        self.actions = tuple(items)

    def _add_promote(self, payload: Any) -> None:
        if not isinstance(payload, dict):
            self.warnings.append("[PROMOTE] is not an object; skipped")
            return
        text, source_ref = _text(payload, "text"), _text(payload, "source_ref")
        if text is None and source_ref is None:
            self.warnings.append("[PROMOTE] without text or source_ref; skipped")
            return
        self.promotions.append(PromoteMarker(text, source_ref))

    def _add_suggest_fix(self, payload: Any) -> None:
        if not isinstance(payload, dict) or _text(payload, "title") is None:
            self.warnings.append("[SUGGEST_FIX] without a title; skipped")
            return
        language = _text(payload, "language")
        language = language.lower() if language else None
        parameters = payload.get("parameters")
        self.suggested_fix = SuggestedFixMarker(  # the last block of a reply wins
            title=_text(payload, "title") or "",
            description=_text(payload, "description") or "",
            confidence=_confidence(payload.get("confidence")),
            template_id=_text(payload, "template_id"),
            script=_text(payload, "script"),
            language=language if language in SCRIPT_LANGUAGES else None,
            parameters=dict(parameters) if isinstance(parameters, dict) else {},
        )

    def _add_fix_outcome(self, payload: Any) -> None:
        if self.fix_outcome is not None:
            self.warnings.append("more than one [FIX_OUTCOME]; only the first is kept")
            return
        if not isinstance(payload, dict):
            self.warnings.append("[FIX_OUTCOME] is not an object; skipped")
            return
        fix_id, outcome = _text(payload, "fix_id"), _text(payload, "outcome")
        if fix_id is None or outcome not in FIX_OUTCOMES:
            self.warnings.append("[FIX_OUTCOME] needs a fix_id and success|failure|partial")
            return
        self.fix_outcome = FixOutcomeMarker(fix_id, outcome, _text(payload, "reason") or "")


_INVALID = object()


def _as_list(payload: Any) -> list[dict[str, Any]]:
    entries = payload if isinstance(payload, list) else [payload]
    return [entry for entry in entries if isinstance(entry, dict)]


def _text(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _options(value: Any) -> tuple[str, ...]:
    """2–4 short answers for quick-reply buttons; fewer than two make no choice."""
    if not isinstance(value, list):
        return ()
    options = tuple(o.strip() for o in value if isinstance(o, str) and o.strip())[:_MAX_OPTIONS]
    return options if len(options) >= 2 else ()


def _confidence(value: Any) -> int:
    """0–100 from a number or numeric text; anything else is 0."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, str):
        try:
            value = float(value.strip().rstrip("%"))
        except ValueError:
            return 0
    if not isinstance(value, int | float) or not math.isfinite(value):
        return 0
    return max(0, min(100, round(value)))
