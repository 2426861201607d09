"""The assistant's marker protocol (SPEC §5): find the blocks, validate them, strip them.

A block is ``[NAME]`` on its own line, JSON starting with ``{`` or ``[``, then ``[/NAME]``.
Models also write blocks inline (``Noted. [PROMOTE]{"text": "…"}[/PROMOTE] Next, …``); those
are applied too, because otherwise they would show raw JSON and be lost. An inline ``[NAME]``
opens a block only when JSON follows it (after a separator such as ``:`` or ``-`` at most),
so prose that mentions a marker stays as it is. An inline block is read leniently: it ends
where its JSON value ends (brackets counted outside strings), so a missing or wrong closing
tag loses neither the fact nor the prose after it; what still isn't JSON is hidden and logged.

The technician never sees a block or a tag: not when the reply is complete and not while it
streams (a half-received tag, or an open tag whose next characters are not known yet, is
held back). Anything malformed is skipped with a warning; nothing here raises on any input.
A hostile reply costs linear time, and at most MAX_PROMOTIONS facts, MAX_QUESTIONS questions
and MAX_CHECKS checks are taken from one reply (applying thousands stalled the app), with one
warning per kind for the rest.
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
MAX_PROMOTIONS = 20  # [PROMOTE] blocks per reply
MAX_QUESTIONS = 10  # items across the reply's [QUESTIONS] blocks
MAX_CHECKS = 10  # items across the reply's [ACTIONS] blocks
_TAG = re.compile(r"\[(/?)(" + "|".join(MARKER_NAMES) + r")\]")
_TAGS = [f"[{name}]" for name in MARKER_NAMES] + [f"[/{name}]" for name in MARKER_NAMES]
_LONGEST_TAG = max(len(tag) for tag in _TAGS)
# Whitespace allowed between an open tag and its JSON (or its line end). Bounded, so what is
# held back while streaming stays small and feed() stays O(len(delta)).
_GAP = 256
_OWN_LINE_END = re.compile(rf"[^\S\n]{{0,{_GAP}}}(?:\n|\Z)")
# Between an inline open tag and its JSON: spaces, and at most one short separator (": ", " - ").
_LEAD = rf"\s{{0,{_GAP}}}(?:[:=>\-–—]{{1,3}}\s{{0,{_GAP}}})?"
# JSON (or JSON-like: single quotes, unquoted keys) or a code fence follows the open tag.
_JSON_START = re.compile(
    _LEAD + rf"(?P<value>\{{\s{{0,{_GAP}}}[\"'}}\w]|\[\s{{0,{_GAP}}}[\[{{\"'\]]|(?P<fence>```))"
)
_MAYBE_JSON_START = re.compile(_LEAD + rf"(?:\{{\s{{0,{_GAP}}}|\[\s{{0,{_GAP}}}|`{{1,2}})?\Z")
_JSON_STOP = re.compile(r'["{}\[\]]')  # what changes the state of an inline JSON value
_STRING_STOP = re.compile(r'["\\]')
_OPENERS = re.compile(r"[{\[]+")
_CLOSERS = re.compile(r"[}\]]+")
# Characters of inline JSON followed bracket by bracket per reply (a reply is ~16 KB at most):
# past it, inline blocks end only at their closing tag, so hostile input stays cheap.
_FOLLOWED_JSON_MAX = 100_000
_CLOSER_GAP = re.compile(rf"\s{{0,{_GAP}}}")  # between an inline block's JSON and its closing tag
_SPACES = re.compile(r"[^\S\n]*")
_FENCE = re.compile(r"^```[\w-]*\s*(.*?)\s*```$", re.DOTALL)
_MAX_OPTIONS = 4
_BLANK_RUNS = re.compile(r"\n(?:[^\S\n]*\n){2,}")  # linear: no nested ambiguity
_SPACE_LINES = re.compile(r"^[^\S\n]+$", re.MULTILINE)  # e.g. left by an indented block


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


def parse_reply(raw: str) -> ParsedReply:
    """Parse a complete reply; malformed or unclosed blocks are skipped with a warning."""
    scanner = _Scanner(collect=True)
    visible = scanner.feed(raw) + scanner.feed("", final=True)
    collected = _Collector()
    for name, body in scanner.blocks:
        collected.add(name, body)
    if scanner.open_block is not None:
        collected.warn(f"unclosed [{scanner.open_block}] block skipped")
    warnings = collected.finish()
    for warning in warnings:
        log.warning("assistant reply: %s", warning)
    return ParsedReply(
        visible_text=_tidy(visible),
        questions=collected.questions,
        actions=collected.actions,
        promotions=tuple(collected.promotions),
        suggested_fix=collected.suggested_fix,
        fix_outcome=collected.fix_outcome,
        warnings=warnings,
    )


def visible_text_while_streaming(partial: str) -> str:
    """What may be shown of a reply still arriving: no block, and no tag half-received."""
    return _tidy(_Scanner(collect=False).feed(partial))


class StreamingFilter:
    """Incremental version of :func:`visible_text_while_streaming` for long replies.

    ``feed(delta)`` returns only the newly visible text, in O(len(delta)) per call, so a
    20,000-token reply streams without re-scanning what came before. Text once returned is
    never taken back: what could still turn into a tag or a block (a partial tag, an open
    tag whose next characters decide) is held until it is decided. ``finish()`` releases
    what was held at the end of the stream (a ``[QUES`` that never became a tag).
    """

    def __init__(self) -> None:
        self._scanner = _Scanner(collect=False)

    def feed(self, delta: str) -> str:
        return self._scanner.feed(delta)

    def finish(self) -> str:
        return self._scanner.feed("", final=True)


# ---- Private


class _Scanner:
    """One pass over a reply, fed in pieces: visible text out, blocks collected.

    Outside a block, text up to the next tag goes out at once; an open tag starts a block
    when it stands on its own line or JSON follows it, else it is text. Inside a block on its
    own lines, only its closing tag is looked for. Inside an inline block, the JSON value is
    followed (depth and strings, runs of brackets at once) until it closes or its closing tag
    turns up outside a string; a closing tag right after the JSON is taken with the block.
    What is carried from one piece to the next is a partial tag, an undecided open tag with
    its bounded lookahead, a partial closing tag, or the gap after an inline block's JSON: a
    few hundred characters at most. Stray closing tags are never shown.
    """

    def __init__(self, *, collect: bool) -> None:
        self._collect = collect
        self._carry = ""  # undecided text, re-read with the next piece
        self._body: list[str] = []
        self._line_blank = True  # only spaces shown since the last line break
        self._last_blank = True  # nothing shown yet, or it ended with whitespace
        self._skip_spaces = False  # after a removed block: no double space, no blank indent
        # an inline block's JSON value: open brackets (None: a block on its own lines)
        self._depth: int | None = None
        self._in_string = False
        self._escaped = False  # a backslash in a string ended the last piece
        self._json_budget = _FOLLOWED_JSON_MAX
        self._closer_may_follow: str | None = None  # an inline block ended at its JSON
        self.open_block: str | None = None  # the block we are inside of
        self.blocks: list[tuple[str, str]] = []

    def feed(self, text: str, *, final: bool = False) -> str:
        """The newly visible text; ``final``: the reply ends here, decide everything held."""
        buffer = self._carry + text if self._carry else text
        self._carry = ""
        out: list[str] = []
        index = 0
        while index < len(buffer):
            if self.open_block is None:
                index = self._outside(buffer, index, out, final)
            elif self._depth is None:
                index = self._inside(buffer, index, final)
            else:
                index = self._inside_json(buffer, index, final)
        return "".join(out)

    def _inside(self, buffer: str, index: int, final: bool) -> int:
        closing = f"[/{self.open_block}]"
        found = buffer.find(closing, index)
        if found == -1:
            keep = len(buffer) if final else max(index, len(buffer) - len(closing) + 1)
            self._add_body(buffer[index:keep])
            self._carry = buffer[keep:]  # could be the start of the closing tag
            return len(buffer)
        self._add_body(buffer[index:found])
        self._end_block()
        return found + len(closing)

    def _inside_json(self, buffer: str, index: int, final: bool) -> int:
        """Follow an inline block's JSON value: linear, each bracket run one step, and within
        the reply's budget (then the block ends at its closing tag only)."""
        closing = f"[/{self.open_block}]"
        start, depth = index, self._depth or 0
        limit = min(len(buffer), index + self._json_budget)  # an offset in the reply
        while index < limit:
            if self._escaped:
                index, self._escaped = index + 1, False
                continue
            if self._in_string:
                stop = _STRING_STOP.search(buffer, index, limit)
                if stop is None:
                    index = limit
                    break
                index = stop.end()
                self._escaped, self._in_string = stop.group() == "\\", stop.group() != '"'
                continue
            stop = _JSON_STOP.search(buffer, index, limit)
            if stop is None:
                index = limit
                break
            char, at = stop.group(), stop.start()
            if char == '"':
                self._in_string, index = True, at + 1
            elif char == "[" and buffer.startswith(closing, at):  # closed before its JSON did
                self._spend(at + len(closing) - start)
                self._add_body(buffer[start:at])
                self._end_block()
                return at + len(closing)
            elif char == "[" and not final and _is_prefix(buffer, at, closing):
                self._spend(at - start)
                self._add_body(buffer[start:at])
                self._carry, self._depth = buffer[at:], depth
                return len(buffer)
            elif char in "{[":
                run = _OPENERS.match(buffer, at, limit)
                end = run.end() if run else at + 1
                after = buffer[end] if end < len(buffer) else None
                # a "[" ending the run may open the closing tag: it is looked at alone
                may_close = after == "/" or (after is None and not final)
                if end - 1 > at and buffer[end - 1] == "[" and may_close:
                    end -= 1
                depth, index = depth + end - at, end
            else:
                run = _CLOSERS.match(buffer, at, limit)
                count = (run.end() if run else at + 1) - at
                if count >= depth:  # the value is complete
                    end = at + depth
                    self._spend(end - start)
                    self._add_body(buffer[start:end])
                    self._closer_may_follow = self.open_block
                    self._end_block()
                    return end
                depth, index = depth - count, at + count
        self._spend(index - start)
        self._add_body(buffer[start:index])
        self._depth = depth
        if self._json_budget == 0:  # hostile: from here, only the closing tag ends it
            self._depth, self._in_string, self._escaped = None, False, False
        return index

    def _spend(self, characters: int) -> None:
        self._json_budget = max(0, self._json_budget - characters)

    def _add_body(self, text: str) -> None:
        if self._collect and text:
            self._body.append(text)

    def _end_block(self) -> None:
        if self._collect:
            self.blocks.append((self.open_block or "", "".join(self._body)))
        self._body = []
        self.open_block = None
        self._depth, self._in_string, self._escaped = None, False, False
        self._skip_spaces = self._last_blank

    def _outside(self, buffer: str, index: int, out: list[str], final: bool) -> int:
        if self._closer_may_follow is not None:
            closing = f"[/{self._closer_may_follow}]"
            after = _CLOSER_GAP.match(buffer, index)
            gap_end = after.end() if after else index
            if buffer.startswith(closing, gap_end):
                self._closer_may_follow = None
                return gap_end + len(closing)
            if not final and _is_prefix(buffer, gap_end, closing):
                self._carry = buffer[index:]  # the closing tag may still come
                return len(buffer)
            self._closer_may_follow = None
        if self._skip_spaces:
            spaces = _SPACES.match(buffer, index)
            index = spaces.end() if spaces else index
            if index == len(buffer):
                return index
            self._skip_spaces = False
        tag = _TAG.search(buffer, index)
        if tag is None:
            end = len(buffer)
            if not final:  # hold a tag that may be half-received
                start = buffer.rfind("[", max(index, end - _LONGEST_TAG + 1))
                if start != -1 and _is_tag_prefix(buffer[start:]):
                    end, self._carry = start, buffer[start:]
            self._show(buffer[index:end], out)
            return len(buffer)
        self._show(buffer[index : tag.start()], out)
        if tag.group(1):  # a closing tag without its block
            self._skip_spaces = self._last_blank
            return tag.end()
        opens = self._opens_block(buffer, tag.end(), final)
        if opens is None:
            self._carry = buffer[tag.start() :]
            return len(buffer)
        if opens is False:
            self._show(tag.group(), out)
            return tag.end()
        self.open_block = tag.group(2)
        if opens is True:
            return tag.end()
        if opens.group("fence") is None:
            self._depth = 0  # follow the JSON value
        return opens.start("value")  # the separator before the JSON goes with the tag

    def _opens_block(self, buffer: str, end: int, final: bool) -> re.Match[str] | bool | None:
        """Whether the open tag ending at ``end`` starts a block; None: not known yet.

        True: a block on its own lines; a match: inline, with the JSON (or fence) at its
        ``value`` group. At the end of a reply an undecided tag counts as an (unclosed)
        block: a dangling marker is a reply cut short, never prose.
        """
        if self._line_blank:
            own_line = _OWN_LINE_END.match(buffer, end)
            if own_line is not None and own_line.group().endswith("\n"):
                return True  # the tag has its line to itself
        inline = _JSON_START.match(buffer, end)
        if inline is not None:
            return inline
        if _MAYBE_JSON_START.match(buffer, end):
            return True if final else None
        return False

    def _show(self, text: str, out: list[str]) -> None:
        if not text:
            return
        out.append(text)
        line_break = text.rfind("\n")
        if line_break == -1:
            self._line_blank = self._line_blank and not text.strip()
        else:
            self._line_blank = not text[line_break + 1 :].strip()
        self._last_blank = text[-1].isspace()


def _is_prefix(buffer: str, at: int, tag: str) -> bool:
    """Whether ``buffer`` from ``at`` is the start of ``tag`` (could become it)."""
    return len(buffer) - at < len(tag) and tag.startswith(buffer[at:])


def _is_tag_prefix(text: str) -> bool:
    return any(tag.startswith(text) for tag in _TAGS)


def _tidy(visible: str) -> str:
    """Runs of blank lines (left where blocks were removed) become one; no outer blanks."""
    return _BLANK_RUNS.sub("\n\n", _SPACE_LINES.sub("", visible)).strip()


class _Collector:
    """Validates blocks into markers, within the per-reply caps, and gathers the warnings:
    each distinct warning once (with a count), and one per kind for what the caps dropped."""

    def __init__(self) -> None:
        self._warnings: dict[str, int] = {}
        self._dropped: dict[str, int] = {}
        self._fixes = 0
        self.questions: tuple[QuestionItem, ...] | None = None
        self.actions: tuple[ActionItem, ...] | None = None
        self.promotions: list[PromoteMarker] = []
        self.suggested_fix: SuggestedFixMarker | None = None
        self.fix_outcome: FixOutcomeMarker | None = None

    def warn(self, warning: str) -> None:
        self._warnings[warning] = self._warnings.get(warning, 0) + 1

    def add(self, name: str, body: str) -> None:
        if name == "PROMOTE" and len(self.promotions) >= MAX_PROMOTIONS:
            self._drop("PROMOTE")  # not even parsed: a hostile reply costs no more
            return
        if name == "FIX_OUTCOME" and self.fix_outcome is not None:
            self._drop("FIX_OUTCOME")
            return
        payload = self._json(name, body)
        if payload is _INVALID:
            return
        handler = getattr(self, f"_add_{name.lower()}")
        handler(payload)

    def finish(self) -> tuple[str, ...]:
        """The warnings, each once; repeated ones say how often."""
        if self._fixes > 1:
            self._drop("SUGGEST_FIX", self._fixes - 1)
        for kind, count in self._dropped.items():
            self.warn(_DROPPED[kind].format(count=count, s="" if count == 1 else "s"))
        return tuple(
            warning if count == 1 else f"{warning} ({count} times)"
            for warning, count in self._warnings.items()
        )

    def _drop(self, kind: str, count: int = 1) -> None:
        self._dropped[kind] = self._dropped.get(kind, 0) + count

    def _json(self, name: str, body: str) -> Any:
        text = body.strip()
        fenced = _FENCE.match(text)
        if fenced:
            text = fenced.group(1).strip()
        if not text.startswith(("{", "[")):
            self.warn(f"[{name}] block does not hold JSON; skipped")
            return _INVALID
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            self.warn(f"[{name}] block holds malformed JSON; skipped")
            return _INVALID

    def _add_questions(self, payload: Any) -> None:
        """Items of all [QUESTIONS] blocks, each text once, up to MAX_QUESTIONS."""
        items = list(self.questions or ())
        for entry in _as_list(payload):
            text = _text(entry, "text")
            if text is None:
                self.warn("a question without text was skipped")
            elif any(item.text == text for item in items):
                continue
            elif len(items) >= MAX_QUESTIONS:
                self._drop("questions")
            else:
                options = _options(entry.get("options"))
                items.append(QuestionItem(text, _text(entry, "context") or "", options))
        self.questions = tuple(items)

    def _add_actions(self, payload: Any) -> None:
        """Items of all [ACTIONS] blocks, each label once, up to MAX_CHECKS."""
        items = list(self.actions or ())
        for entry in _as_list(payload):
            label = _text(entry, "label")
            if label is None:
                self.warn("a diagnostic check without a label was skipped")
            elif any(item.label == label for item in items):
                continue
            elif len(items) >= MAX_CHECKS:
                self._drop("checks")
            else:
                command, description = _text(entry, "command"), _text(entry, "description")
                items.append(ActionItem(label, command, description or ""))
        self.actions = tuple(items)

    def _add_promote(self, payload: Any) -> None:
        if not isinstance(payload, dict):
            self.warn("[PROMOTE] is not an object; skipped")
            return
        text, source_ref = _text(payload, "text"), _text(payload, "source_ref")
        if text is None and source_ref is None:
            self.warn("[PROMOTE] without text or source_ref; skipped")
            return
        self.promotions.append(PromoteMarker(text, source_ref))

    def _add_suggest_fix(self, payload: Any) -> None:
        if not isinstance(payload, dict) or _text(payload, "title") is None:
            self.warn("[SUGGEST_FIX] without a title; skipped")
            return
        language = _text(payload, "language")
        language = language.lower() if language else None
        parameters = payload.get("parameters")
        self._fixes += 1
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
        if not isinstance(payload, dict):
            self.warn("[FIX_OUTCOME] is not an object; skipped")
            return
        fix_id, outcome = _text(payload, "fix_id"), _text(payload, "outcome")
        if fix_id is None or outcome not in FIX_OUTCOMES:
            self.warn("[FIX_OUTCOME] needs a fix_id and success|failure|partial")
            return
        self.fix_outcome = FixOutcomeMarker(fix_id, outcome, _text(payload, "reason") or "")


_DROPPED = {
    "PROMOTE": f"{{count}} [PROMOTE] block{{s}} over the limit of {MAX_PROMOTIONS} dropped",
    "questions": f"{{count}} question{{s}} over the limit of {MAX_QUESTIONS} dropped",
    "checks": f"{{count}} diagnostic check{{s}} over the limit of {MAX_CHECKS} dropped",
    "SUGGEST_FIX": "{count} earlier [SUGGEST_FIX] block{s} dropped; the last one is kept",
    "FIX_OUTCOME": "{count} more [FIX_OUTCOME] block{s} dropped; only the first is kept",
}
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
