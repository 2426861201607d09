"""One code editor for every script surface (GUIDE: a narrow interface over a wide widget).

Over Scintilla (``pyside6-scintilla`` + ``lexilla``): PowerShell, Bash, Batch and Python
lexers, line numbers, a monospace font, indentation with spaces and guides, ``{{param}}``
placeholders marked with an indicator, chosen values (the assistant's proposed parameter
values) marked with another, and find / replace (Ctrl+F, Ctrl+H). Where the binding
can't be imported (no wheel for Intel macOS), the same interface over QPlainTextEdit, with the
placeholders highlighted; ``EDITOR_BACKEND`` says which one runs (the About box shows it).
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QKeySequence,
    QShortcut,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

try:  # the wheel exists for Linux x86-64, Windows x64 and macOS arm64
    from lexilla import Language, create_lexer
    from lexilla.pyside6_scintilla import set_lexer
    from pyside6_scintilla import ScintillaEdit
except ImportError:  # pragma: no cover - exercised on machines without the wheel
    ScintillaEdit = None

PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}")
EDITOR_BACKEND = "Scintilla" if ScintillaEdit is not None else "plain text (Scintilla unavailable)"
INDENT = 4

_STYLE_DEFAULT, _STYLE_LINENUMBER, _STYLE_INDENTGUIDE = 32, 33, 37
_PLACEHOLDER_INDICATOR = 8
_VALUE_INDICATOR = 9
_VALUE_COLOUR = "#fbbf24"
_INDIC_ROUNDBOX = 7
_MARGIN_NUMBER = 1
_FOREGROUND, _BACKGROUND, _MUTED = "#e2e8f0", "#0b1220", "#64748b"
# lexer style ids -> colour, per language (comments, strings, numbers, variables, operators)
_STYLE_COLOURS: dict[str, dict[int, str]] = {
    "powershell": {1: "#7c8b9c", 13: "#7c8b9c", 2: "#fbbf24", 3: "#fbbf24", 14: "#fbbf24",
                   15: "#fbbf24", 4: "#c4b5fd", 5: "#7dd3fc", 6: "#f9a8d4", 8: "#93c5fd",
                   9: "#93c5fd"},
    "bash": {2: "#7c8b9c", 3: "#c4b5fd", 4: "#93c5fd", 5: "#fbbf24", 6: "#fbbf24",
             7: "#f9a8d4", 9: "#7dd3fc", 10: "#7dd3fc"},
    "batch": {1: "#7c8b9c", 2: "#93c5fd", 3: "#c4b5fd", 5: "#93c5fd", 6: "#7dd3fc",
              7: "#f9a8d4"},
    "python": {1: "#7c8b9c", 12: "#7c8b9c", 2: "#c4b5fd", 3: "#fbbf24", 4: "#fbbf24",
               6: "#fbbf24", 7: "#fbbf24", 5: "#93c5fd", 10: "#f9a8d4"},
}  # fmt: skip


def _bgr(colour: str) -> int:
    """Scintilla takes colours as 0xBBGGRR."""
    value = QColor(colour)
    return value.red() | value.green() << 8 | value.blue() << 16


class CodeEditor(QWidget):
    """Text in and out, a language, read-only, find and replace: nothing else leaks out."""

    sig_changed = Signal()
    """The text changed (typing, replace, set_text)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("codeEditor")
        self.language = "powershell"
        self._marked_values: tuple[str, ...] = ()
        self._scintilla: Any = None
        self._plain: QPlainTextEdit | None = None
        if ScintillaEdit is not None:
            self._scintilla = ScintillaEdit(self)
            self._scintilla.setObjectName("codeEditorScintilla")
            self._setup_scintilla()
            editor: QWidget = self._scintilla
        else:
            self._plain = QPlainTextEdit(self)
            self._plain.setObjectName("codeEditorPlain")
            self._plain.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            self._plain.setTabStopDistance(self._plain.fontMetrics().horizontalAdvance(" ") * 4)
            self._plain.textChanged.connect(self.sig_changed)
            self._highlighter = _PlaceholderHighlighter(self._plain.document())
            editor = self._plain
        editor.setAccessibleName("Script")
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
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence.StandardKey.Find, self, self._open_find, context=context)
        QShortcut(QKeySequence("Ctrl+H"), self, self._open_replace, context=context)
        QShortcut(QKeySequence("Esc"), self.find_bar, self._close_find, context=context)

    # ---- The interface

    @property
    def backend(self) -> str:
        return EDITOR_BACKEND

    def text(self) -> str:
        if self._scintilla is not None:
            length = self._scintilla.textLength()
            return bytes(self._scintilla.getText(length + 1)).rstrip(b"\0").decode("utf-8")
        assert self._plain is not None
        return self._plain.toPlainText()

    def set_text(self, text: str) -> None:
        if self._scintilla is not None:
            read_only = self._scintilla.readOnly()
            self._scintilla.setReadOnly(False)  # Scintilla refuses SETTEXT when read-only
            self._scintilla.setText(text)
            self._scintilla.setReadOnly(read_only)
            self._scintilla.emptyUndoBuffer()
            self._scintilla.colourise(0, -1)
            self._mark_placeholders()
        else:
            assert self._plain is not None
            self._plain.setPlainText(text)

    def set_language(self, language: str) -> None:
        self.language = language if language in _STYLE_COLOURS else "powershell"
        if self._scintilla is None:
            return
        lexers = {
            "powershell": Language.POWERSHELL,
            "bash": Language.BASH,
            "batch": Language.BATCH,
            "python": Language.PYTHON,
        }
        set_lexer(self._scintilla, create_lexer(lexers[self.language]))
        self._apply_styles()
        self._scintilla.colourise(0, -1)

    def set_read_only(self, read_only: bool) -> None:
        if self._scintilla is not None:
            self._scintilla.setReadOnly(read_only)
        else:
            assert self._plain is not None
            self._plain.setReadOnly(read_only)

    def placeholder_spans(self) -> list[tuple[int, int]]:
        """(start, end) character offsets of the ``{{param}}`` placeholders."""
        return [(m.start(), m.end()) for m in PLACEHOLDER.finditer(self.text())]

    def mark_values(self, values: list[str]) -> None:
        """Mark every occurrence of these texts (e.g. the values a template would replace)."""
        self._marked_values = tuple(sorted({v for v in values if v.strip()}, key=len, reverse=True))
        if self._scintilla is not None:
            self._mark_placeholders()
        else:
            self._highlighter.values = self._marked_values
            self._highlighter.rehighlight()

    def marked_value_spans(self) -> list[tuple[int, int]]:
        """(start, end) character offsets of the marked values, longest match first."""
        return _value_spans(self.text(), self._marked_values)

    def find(self, needle: str, *, case: bool = False) -> bool:
        """Select the next match after the cursor, wrapping around; False when none."""
        if not needle:
            return False
        text = self.text()
        haystack, wanted = (text, needle) if case else (text.lower(), needle.lower())
        start = self._cursor()
        index = haystack.find(wanted, start)
        if index < 0:
            index = haystack.find(wanted)
        if index < 0:
            return False
        self._select(index, index + len(needle))
        return True

    def replace_all(self, needle: str, replacement: str) -> int:
        """Replace every match (case-sensitive); the count. One undo step."""
        if not needle:
            return 0
        text = self.text()
        count = text.count(needle)
        if count:
            new_text = text.replace(needle, replacement)
            if self._scintilla is not None:
                self._scintilla.beginUndoAction()
                self._scintilla.setText(new_text)
                self._scintilla.endUndoAction()
                self._mark_placeholders()
            else:
                assert self._plain is not None
                cursor = self._plain.textCursor()
                cursor.select(QTextCursor.SelectionType.Document)
                cursor.insertText(new_text)
        return count

    # ---- Private

    def _setup_scintilla(self) -> None:
        editor = self._scintilla
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        editor.styleSetFont(_STYLE_DEFAULT, font.family())
        editor.styleSetSize(_STYLE_DEFAULT, max(9, font.pointSize()))
        editor.setTabWidth(INDENT)
        editor.setIndent(INDENT)
        editor.setUseTabs(False)
        editor.setIndentationGuides(3)  # look both ways
        editor.setScrollWidth(1)  # a horizontal scroll bar only when a line is wider
        editor.setScrollWidthTracking(True)
        editor.setMarginTypeN(0, _MARGIN_NUMBER)
        editor.setMarginWidthN(1, 0)
        editor.indicSetStyle(_PLACEHOLDER_INDICATOR, _INDIC_ROUNDBOX)
        editor.indicSetFore(_PLACEHOLDER_INDICATOR, _bgr("#38bdf8"))
        editor.indicSetAlpha(_PLACEHOLDER_INDICATOR, 70)
        editor.indicSetUnder(_PLACEHOLDER_INDICATOR, True)
        editor.indicSetStyle(_VALUE_INDICATOR, _INDIC_ROUNDBOX)
        editor.indicSetFore(_VALUE_INDICATOR, _bgr(_VALUE_COLOUR))
        editor.indicSetAlpha(_VALUE_INDICATOR, 60)
        editor.indicSetUnder(_VALUE_INDICATOR, True)
        self._apply_styles()
        editor.notifyChange.connect(self._text_changed)  # SCEN_CHANGE: after every edit

    def _apply_styles(self) -> None:
        editor = self._scintilla
        editor.styleSetFore(_STYLE_DEFAULT, _bgr(_FOREGROUND))
        editor.styleSetBack(_STYLE_DEFAULT, _bgr(_BACKGROUND))
        editor.styleClearAll()
        editor.styleSetFore(_STYLE_LINENUMBER, _bgr(_MUTED))
        editor.styleSetBack(_STYLE_LINENUMBER, _bgr("#111827"))
        editor.styleSetFore(_STYLE_INDENTGUIDE, _bgr("#1e293b"))
        editor.setCaretFore(_bgr(_FOREGROUND))
        editor.setSelBack(True, _bgr("#1d4ed8"))
        editor.setMarginWidthN(0, editor.textWidth(_STYLE_LINENUMBER, "_9999"))
        for style, colour in _STYLE_COLOURS[self.language].items():
            editor.styleSetFore(style, _bgr(colour))

    def _text_changed(self) -> None:
        self._mark_placeholders()
        self.sig_changed.emit()

    def _mark_placeholders(self) -> None:
        editor = self._scintilla
        text = self.text()
        for indicator, spans in (
            (_PLACEHOLDER_INDICATOR, self.placeholder_spans()),
            (_VALUE_INDICATOR, _value_spans(text, self._marked_values)),
        ):
            editor.setIndicatorCurrent(indicator)
            editor.indicatorClearRange(0, editor.textLength())
            for start, end in spans:
                byte_start = len(text[:start].encode("utf-8"))
                editor.indicatorFillRange(byte_start, len(text[start:end].encode("utf-8")))

    def _cursor(self) -> int:
        if self._scintilla is not None:
            position = self._scintilla.selectionEnd()
            raw = bytes(self._scintilla.getText(self._scintilla.textLength() + 1))
            return len(raw[:position].decode("utf-8", "ignore"))
        assert self._plain is not None
        return self._plain.textCursor().selectionEnd()

    def _select(self, start: int, end: int) -> None:
        if self._scintilla is not None:
            text = self.text()
            byte_start = len(text[:start].encode("utf-8"))
            byte_end = byte_start + len(text[start:end].encode("utf-8"))
            self._scintilla.setSel(byte_start, byte_end)
            self._scintilla.scrollCaret()
            return
        assert self._plain is not None
        cursor = self._plain.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self._plain.setTextCursor(cursor)

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


def _value_spans(text: str, values: tuple[str, ...]) -> list[tuple[int, int]]:
    """Occurrences of ``values`` (longest first, never overlapping), in text order."""
    spans: list[tuple[int, int]] = []
    for value in values:
        for match in re.finditer(re.escape(value), text):
            if all(match.end() <= s or match.start() >= e for s, e in spans):
                spans.append((match.start(), match.end()))
    return sorted(spans)


class _PlaceholderHighlighter(QSyntaxHighlighter):
    """The fallback editor marks ``{{param}}`` and chosen values the way the Scintilla
    indicators do."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.values: tuple[str, ...] = ()
        self._format = QTextCharFormat()
        self._format.setBackground(QColor("#0c4a6e"))
        self._format.setForeground(QColor("#7dd3fc"))
        self._value_format = QTextCharFormat()
        self._value_format.setBackground(QColor("#78350f"))
        self._value_format.setForeground(QColor(_VALUE_COLOUR))

    def highlightBlock(self, text: str) -> None:
        for match in PLACEHOLDER.finditer(text):
            self.setFormat(match.start(), match.end() - match.start(), self._format)
        for start, end in _value_spans(text, self.values):
            self.setFormat(start, end - start, self._value_format)
