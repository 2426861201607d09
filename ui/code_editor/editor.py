"""``CodeEditor``, the widget every script surface uses, and the factory that picks its backend.

Everything both backends share lives here, written once over ``EditorBackend``: the language
fallback, the span queries, find and replace all, the find bar and its shortcuts, and how the
keyboard gets out: Tab indents while editing, but Ctrl+Tab / Ctrl+Shift+Tab always leave the
editor, Esc then Tab leaves it too, a read-only editor never keeps Tab, and Esc inside a
dialog's editor cancels the dialog (an editor is never a keyboard trap).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.scripts.check import Finding
from ui.code_editor.backend import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    PLACEHOLDER,
    EditorBackend,
    FindingMark,
    value_spans,
)
from ui.code_editor.plain_backend import PlainTextBackend
from ui.widgets.shortcuts import local_shortcut


def choose_backend() -> type[EditorBackend]:
    """Scintilla where its wheel imports, else the plain-text fallback."""
    try:
        from ui.code_editor.scintilla_backend import ScintillaBackend
    except ImportError:  # no wheel for this platform (Intel macOS)
        return PlainTextBackend
    return ScintillaBackend


@cache
def default_backend() -> type[EditorBackend]:
    """Chosen once, when the first editor is made (not at import: loading Scintilla is not
    start-up work): every editor in the application runs the same one."""
    return choose_backend()


def editor_backend_name() -> str:
    """Which editor runs, as the About box shows it."""
    return default_backend().name


class CodeEditor(QWidget):
    """Text in and out, a language, read-only, find and replace: nothing else leaks out."""

    sig_changed = Signal()
    """The text changed (typing, replace, set_text)."""

    def __init__(
        self, parent: QWidget | None = None, *, backend: type[EditorBackend] | None = None
    ) -> None:
        """``backend`` defaults to the one chosen at import; tests pass one to run both."""
        super().__init__(parent)
        self.setObjectName("codeEditor")
        self.language = DEFAULT_LANGUAGE
        self._marked_values: tuple[str, ...] = ()
        self._read_only = False
        self._released = False  # Esc was pressed: the next Tab moves the focus on
        self._backend = (backend or default_backend())(self, self.sig_changed.emit)
        self._backend.set_language(DEFAULT_LANGUAGE)  # coloured from the start
        editor = self._backend.widget
        editor.setAccessibleName("Script")
        editor.installEventFilter(self)
        self.setFocusProxy(editor)

        self.find_edit = QLineEdit(self)
        self.find_edit.setObjectName("codeFind")
        self.find_edit.setAccessibleName("Find in the script")
        self.find_edit.setPlaceholderText("Find (Enter: next)")
        self.find_edit.returnPressed.connect(lambda: self.find(self.find_edit.text()))
        self.replace_edit = QLineEdit(self)
        self.replace_edit.setObjectName("codeReplace")
        self.replace_edit.setAccessibleName("Replace with")
        self.replace_edit.setPlaceholderText("Replace with")
        self.replace_all_button = QPushButton("Replace all", self)
        self.replace_all_button.setObjectName("codeReplaceAll")
        self.replace_all_button.setAccessibleName("Replace every match")
        self.replace_all_button.clicked.connect(
            lambda: self.replace_all(self.find_edit.text(), self.replace_edit.text())
        )
        self.find_bar = QWidget(self)
        bar = QHBoxLayout(self.find_bar)
        bar.setContentsMargins(0, 4, 0, 0)
        bar.addWidget(self.find_edit, 1)
        bar.addWidget(self.replace_edit, 1)
        bar.addWidget(self.replace_all_button)
        self.find_bar.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(editor, 1)
        layout.addWidget(self.find_bar)
        local_shortcut(QKeySequence.StandardKey.Find, self, self._open_find)
        local_shortcut("Ctrl+H", self, self._open_replace)
        local_shortcut("Esc", self.find_bar, self._close_find)

    # ---- Keyboard

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._backend.widget and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if self._handle_key(event):
                return True
        return super().eventFilter(watched, event)

    def _handle_key(self, event: QKeyEvent) -> bool:
        key, modifiers = event.key(), event.modifiers()
        tab = key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
        ctrl = bool(modifiers & Qt.KeyboardModifier.ControlModifier)
        if tab and (ctrl or self._read_only or self._released):
            self._released = False
            forward = key == Qt.Key.Key_Tab and not modifiers & Qt.KeyboardModifier.ShiftModifier
            self.focusNextPrevChild(forward)
            return True
        if key == Qt.Key.Key_Escape and self.find_bar.isHidden():
            dialog = self.window()
            if isinstance(dialog, QDialog):
                dialog.reject()  # Esc cancels the dialog, from the editor as from anywhere
            else:
                self._released = True
            return True
        if key not in (Qt.Key.Key_Shift, Qt.Key.Key_Control, Qt.Key.Key_Alt, Qt.Key.Key_Meta):
            self._released = False
        return False

    # ---- The interface

    @property
    def backend(self) -> str:
        """The name of the backend this editor runs (``EDITOR_BACKEND`` unless a test chose)."""
        return self._backend.name

    def text(self) -> str:
        return self._backend.text()

    def set_text(self, text: str) -> None:
        """Replace the text, even when read-only (the program fills read-only editors). The
        findings marked on the old text go with it."""
        self._backend.set_text(text)
        self.clear_findings()

    def set_language(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._backend.set_language(self.language)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._backend.set_read_only(read_only)

    def placeholder_spans(self) -> list[tuple[int, int]]:
        """(start, end) character offsets of the ``{{param}}`` placeholders."""
        return [(m.start(), m.end()) for m in PLACEHOLDER.finditer(self.text())]

    def mark_values(self, values: list[str]) -> None:
        """Mark every occurrence of these texts (e.g. the values a template would replace)."""
        self._marked_values = tuple(sorted({v for v in values if v.strip()}, key=len, reverse=True))
        self._backend.mark_values(self._marked_values)

    def marked_value_spans(self) -> list[tuple[int, int]]:
        """(start, end) character offsets of the marked values, longest match first."""
        return value_spans(self.text(), self._marked_values)

    def show_findings(self, findings: Sequence[Finding]) -> None:
        """Mark the script check's findings: a squiggle from each one's line:column to the end
        of the word there (red for errors, amber for warnings), and a margin marker where the
        backend has a margin."""
        text = self.text()
        starts = _line_starts(text)
        marks = []
        for finding in findings:
            start, end = _finding_span(text, starts, finding.line, finding.column)
            marks.append(FindingMark(start, end, finding.severity == "error"))
        self._backend.mark_findings(tuple(marks))

    def clear_findings(self) -> None:
        self._backend.mark_findings(())

    def go_to(self, line: int, column: int) -> None:
        """Put the cursor at a 1-based line:column (a finding's place) and focus the text."""
        text = self.text()
        offset = _offset(text, _line_starts(text), line, column)
        self._backend.select(offset, offset)
        self.setFocus()  # the focus proxy: ScintillaEdit's own setFocus is Scintilla's

    def cursor_line_column(self) -> tuple[int, int]:
        """Where the cursor is, as a 1-based (line, column)."""
        before = self.text()[: self._backend.cursor()]
        return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1

    def find(self, needle: str, *, case: bool = False) -> bool:
        """Select the next match after the cursor, wrapping around; False when none."""
        if not needle:
            return False
        text = self.text()
        haystack, wanted = (text, needle) if case else (text.lower(), needle.lower())
        start = self._backend.cursor()
        index = haystack.find(wanted, start)
        if index < 0:
            index = haystack.find(wanted)
        if index < 0:
            return False
        self._backend.select(index, index + len(needle))
        return True

    def replace_all(self, needle: str, replacement: str) -> int:
        """Replace every match (case-sensitive); the count. One undo step. A read-only
        editor (a generated script) is never changed, on either backend."""
        if not needle or self._read_only:
            return 0
        text = self.text()
        count = text.count(needle)
        if count:
            self._backend.replace_text(text.replace(needle, replacement))
        return count

    # ---- Private

    def _open_find(self) -> None:
        self.find_bar.show()
        self.replace_edit.hide()
        self.replace_all_button.hide()
        self.find_edit.setFocus()
        self.find_edit.selectAll()

    def _open_replace(self) -> None:
        self._open_find()
        self.replace_edit.show()
        self.replace_all_button.show()

    def _close_find(self) -> None:
        self.find_bar.hide()
        self.setFocus()


_WORD = re.compile(r"\S+")


def _line_starts(text: str) -> list[int]:
    return [0, *(match.end() for match in re.finditer("\n", text))]


def _finding_span(text: str, starts: list[int], line: int, column: int) -> tuple[int, int]:
    """Character offsets from a 1-based line:column to the end of the word there; a place
    past the line's end (a missing ``}`` at the end of the script) marks the character
    before it, so there is always something to see."""
    if not text:
        return 0, 0
    start = _offset(text, starts, line, column)
    word = _WORD.match(text, start, _line_end(text, start))
    if word is not None:
        return start, word.end()
    if start > 0 and text[start - 1] != "\n":
        return start - 1, start
    return start, min(start + 1, len(text))


def _offset(text: str, starts: list[int], line: int, column: int) -> int:
    """The character offset of a 1-based line:column, kept within the text and the line."""
    row = min(max(line, 1), len(starts)) - 1
    return min(starts[row] + max(column, 1) - 1, _line_end(text, starts[row]))


def _line_end(text: str, position: int) -> int:
    end = text.find("\n", position)
    return len(text) if end < 0 else end
