"""The one outbound scrubber: credentials become stable typed placeholders.

Everything FlowPilot sends to Anthropic or posts to ConnectWise goes through ``Scrubber.scrub``.
A value maps to the same placeholder for the whole scope (a session), so the model can still
tell "the same password as before" from "another one", and numbering is per kind in order of
first appearance. Once masked, a value is masked wherever it turns up again in the scope, even
outside a credential-shaped context ("they say it is still <password>"). The value→placeholder
map lives in memory only: no secret, and no hash of one, is ever written anywhere.

Scrubbing is idempotent (placeholders are never detected again), because the stored history
is re-scrubbed on every request and its bytes must stay identical for prompt caching.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flowpilot_desktop import logging_setup
from flowpilot_desktop.scrubbing.detectors import (
    PLACEHOLDER_RE,
    Finding,
    find_credentials,
    placeholder_spans,
)

PLACEHOLDER_PATTERN: re.Pattern[str] = PLACEHOLDER_RE

_SECRET_KIND = "secret"
_MIN_KNOWN_LENGTH = 4  # shorter values found earlier are not searched for on their own
_MAX_PASSES = 4  # masking can expose a neighbour (a shape cut short by a secret); rescan


def registered_secrets() -> tuple[str, ...]:
    """The secrets the app registered for log redaction (API keys, PSA keys …), copied under
    ``logging_setup``'s lock so a concurrent ``register_secret`` cannot break the iteration."""
    with logging_setup._lock:
        return tuple(logging_setup._secrets)


@dataclass(frozen=True)
class Masked:
    """One placeholder written into the output; the span is in the OUTPUT text."""

    kind: str
    placeholder: str
    start: int
    end: int


@dataclass(frozen=True)
class Scrubbed:
    """The scrubbed text and what this call masked (placeholders already present don't count)."""

    text: str
    masked: tuple[Masked, ...]

    @property
    def count(self) -> int:
        return len(self.masked)

    @property
    def changed(self) -> bool:
        return bool(self.masked)


@dataclass
class _Scope:
    placeholders: dict[str, str] = field(default_factory=dict)  # value -> placeholder
    counters: dict[str, int] = field(default_factory=dict)  # kind -> highest number used

    def bump(self, text: str) -> None:
        """Never hand out a number that a placeholder in ``text`` already uses."""
        for match in PLACEHOLDER_RE.finditer(text):
            kind, number = match.group("kind"), int(match.group("number"))
            if number > self.counters.get(kind, 0):
                self.counters[kind] = number

    def known_values(self) -> list[tuple[str, str]]:
        """(value, kind) of every value masked in the scope so far, longest first."""
        values = sorted(self.placeholders, key=len, reverse=True)
        return [
            (value, self.placeholders[value][1 : self.placeholders[value].rindex(" #")])
            for value in values
            if len(value) >= _MIN_KNOWN_LENGTH
        ]

    def placeholder(self, value: str, kind: str) -> str:
        existing = self.placeholders.get(value)
        if existing is None:
            number = self.counters.get(kind, 0) + 1
            self.counters[kind] = number
            existing = self.placeholders[value] = f"[{kind} #{number}]"
        return existing


class Scrubber:
    """Thread-safe (a lock): called from worker threads."""

    def __init__(self, known_secrets: Callable[[], Iterable[str]] = registered_secrets) -> None:
        self._known_secrets = known_secrets
        self._lock = threading.Lock()
        self._scopes: dict[str | None, _Scope] = {}

    def scrub(self, text: str, *, scope: str | None = None, detect: bool = True) -> Scrubbed:
        """Replace every registered secret (always) and, when ``detect``, credential-shaped
        strings and the values already masked in the scope wherever they turn up again ("it is
        still <password>"). The same value gets the same placeholder within one scope (a
        session id; None is one shared scope), numbered per kind in order of first appearance.
        ``detect=False`` is the technician's "Send unmasked" on a false positive."""
        if not text:
            return Scrubbed(text, ())
        secrets = sorted(set(self._known_secrets()), key=len, reverse=True)
        masked: list[Masked] = []
        for _ in range(_MAX_PASSES):
            literals = [(secret, _SECRET_KIND) for secret in secrets]
            if detect:
                with self._lock:
                    state = self._scopes.get(scope)
                    literals += state.known_values() if state is not None else []
            findings = _findings(text, literals, detect=detect)
            if not findings:
                break
            with self._lock:
                state = self._scopes.setdefault(scope, _Scope())
                state.bump(text)
                replacements = [
                    (f, state.placeholder(text[f.start : f.end], f.kind)) for f in findings
                ]
            text, masked = _apply(text, replacements, masked)
        return Scrubbed(text, tuple(masked))

    def scrub_value(self, value: str, *, scope: str | None = None) -> str:
        """Convenience: the scrubbed text of one value."""
        return self.scrub(value, scope=scope).text

    def seed(self, scope: str, texts: Iterable[str]) -> None:
        """Continue numbering after the highest placeholder number per kind already present in
        ``texts`` (stored, already-masked messages of the session after a restart), so a new
        value never reuses a number that meant another value."""
        with self._lock:
            state = self._scopes.setdefault(scope, _Scope())
            for text in texts:
                state.bump(text)

    def forget(self, scope: str | None) -> None:
        """Drop a scope's value map (the session was closed); its values are gone from memory."""
        with self._lock:
            self._scopes.pop(scope, None)


def _findings(text: str, literals: list[tuple[str, str]], *, detect: bool) -> list[Finding]:
    """Literal values (registered secrets, then values known in the scope; longest first)
    merged with detected credentials. Where spans overlap their union is masked, and a
    registered secret's kind wins. Known scope values must stand alone (not inside a word)."""
    taken = placeholder_spans(text)
    starts = [start for start, _ in taken]
    spans: list[tuple[int, int, str]] = []
    for value, kind in literals:
        if not value:
            continue
        whole_word = kind != _SECRET_KIND
        index = text.find(value)
        while index != -1:
            end = index + len(value)
            position = bisect.bisect_left(starts, end)
            overlaps = position > 0 and taken[position - 1][1] > index
            if overlaps or (whole_word and not _stands_alone(text, index, end)):
                index = text.find(value, index + 1)
                continue
            taken.insert(position, (index, end))
            starts.insert(position, index)
            spans.append((index, end, kind))
            index = text.find(value, end)
    detected = find_credentials(text) if detect else []
    if not spans:
        return detected
    spans.extend((f.start, f.end, f.kind) for f in detected)
    spans.sort()
    merged: list[Finding] = []
    for start, end, kind in spans:
        if merged and start < merged[-1].end:
            last = merged[-1]
            kind = _SECRET_KIND if _SECRET_KIND in (kind, last.kind) else last.kind
            merged[-1] = Finding(last.start, max(last.end, end), kind)
        else:
            merged.append(Finding(start, end, kind))
    return merged


def _stands_alone(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` is not part of a longer word (a known "Admin1" in "Admin1stration")."""
    before = start > 0 and text[start - 1].isalnum() and text[start].isalnum()
    after = end < len(text) and text[end].isalnum() and text[end - 1].isalnum()
    return not (before or after)


def _apply(
    text: str, replacements: list[tuple[Finding, str]], masked: list[Masked]
) -> tuple[str, list[Masked]]:
    """``text`` with each finding replaced; earlier masks shifted to the new coordinates."""
    pieces: list[str] = []
    new_masked: list[Masked] = []
    shifts: list[tuple[int, int]] = []  # (old end, cumulative delta after it)
    cursor = 0
    delta = 0
    for finding, placeholder in replacements:
        pieces.append(text[cursor : finding.start])
        start = finding.start + delta
        pieces.append(placeholder)
        new_masked.append(Masked(finding.kind, placeholder, start, start + len(placeholder)))
        delta += len(placeholder) - (finding.end - finding.start)
        shifts.append((finding.end, delta))
        cursor = finding.end
    pieces.append(text[cursor:])
    ends = [end for end, _ in shifts]
    for old in masked:
        i = bisect.bisect_right(ends, old.start)
        offset = shifts[i - 1][1] if i else 0
        new_masked.append(Masked(old.kind, old.placeholder, old.start + offset, old.end + offset))
    new_masked.sort(key=lambda m: m.start)
    return "".join(pieces), new_masked


_default: Scrubber | None = None
_default_lock = threading.Lock()


def default_scrubber() -> Scrubber:
    """The one process-wide scrubber (its scopes are the app's sessions)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Scrubber()
        return _default
