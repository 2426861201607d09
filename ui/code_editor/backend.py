"""What ``CodeEditor`` needs from an editing widget, and the helpers both backends share.

The interface is deliberately small: find, replace all, the find bar and the span queries are
written once in ``CodeEditor`` over these methods, so a backend holds only what differs
between widgets (offsets, undo, read-only quirks, how marks are drawn).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from PySide6.QtWidgets import QWidget

PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")
INDENT = 4
LANGUAGES = ("powershell", "bash", "batch", "python")
"""The languages with a lexer; anything else is shown as PowerShell (the default)."""
DEFAULT_LANGUAGE = "powershell"


@dataclass(frozen=True)
class FindingMark:
    """One finding of the script check, as a backend draws it: ``[start, end)`` in characters."""

    start: int
    end: int
    error: bool
    """An error (red) rather than a warning (amber)."""


class EditorBackend(ABC):
    """One editing widget behind ``CodeEditor``. Offsets are in characters, never bytes."""

    name: ClassVar[str]
    """Which editor runs, as the About box shows it."""

    @abstractmethod
    def __init__(self, parent: QWidget, on_changed: Callable[[], None]) -> None:
        """Build the widget under ``parent``; call ``on_changed`` after every edit of the text
        (typing, ``set_text``, ``replace_text``), once the marks are up to date."""

    @property
    @abstractmethod
    def widget(self) -> QWidget:
        """The widget that edits: laid out, focused and given keys by ``CodeEditor``."""

    @abstractmethod
    def text(self) -> str: ...

    @abstractmethod
    def set_text(self, text: str) -> None:
        """Replace the text and forget the undo history; works while read-only too."""

    @abstractmethod
    def replace_text(self, text: str) -> None:
        """Replace the whole text as one undo step (replace all)."""

    @abstractmethod
    def set_language(self, language: str) -> None:
        """``language`` is one of ``LANGUAGES``; a backend without lexers may ignore it."""

    @abstractmethod
    def set_read_only(self, read_only: bool) -> None: ...

    @abstractmethod
    def mark_values(self, values: tuple[str, ...]) -> None:
        """Mark these texts (longest first) wherever they occur, now and after every edit."""

    @abstractmethod
    def mark_findings(self, marks: tuple[FindingMark, ...]) -> None:
        """Mark the script check's findings (a squiggle under each span, and where the widget
        has one, a marker in the margin on its line), replacing the previous ones."""

    @abstractmethod
    def cursor(self) -> int:
        """Where a search starts: the end of the selection."""

    @abstractmethod
    def select(self, start: int, end: int) -> None:
        """Select ``[start, end)`` and scroll it into view."""


def value_spans(text: str, values: tuple[str, ...]) -> list[tuple[int, int]]:
    """Occurrences of ``values`` (longest first, never overlapping), in text order."""
    spans: list[tuple[int, int]] = []
    for value in values:
        for match in re.finditer(re.escape(value), text):
            if all(match.end() <= s or match.start() >= e for s, e in spans):
                spans.append((match.start(), match.end()))
    return sorted(spans)
