"""The fallback editor over QPlainTextEdit, for platforms without the Scintilla wheel: no
lexers or line numbers, but the same monospace text, offsets and marks, so every script
surface works the same."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from ui.code_editor.backend import INDENT, PLACEHOLDER, EditorBackend, FindingMark, value_spans
from ui.code_editor.colours import editor_colours
from ui.theme import current_colours, theme_notifier


class PlainTextBackend(EditorBackend):
    """QPlainTextEdit themed by the application style sheet; a syntax highlighter stands in
    for Scintilla's indicators."""

    name = "plain text (Scintilla unavailable)"

    def __init__(self, parent: QWidget, on_changed: Callable[[], None]) -> None:
        self._editor = QPlainTextEdit(parent)
        self._editor.setObjectName("codeEditorPlain")
        self._editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._editor.setTabStopDistance(self._editor.fontMetrics().horizontalAdvance(" ") * INDENT)
        self._editor.textChanged.connect(on_changed)
        self._highlighter = _PlaceholderHighlighter(self._editor.document())
        theme_notifier().sig_theme_changed.connect(self._theme_changed)

    @property
    def widget(self) -> QWidget:
        return self._editor

    def _theme_changed(self, _name: str) -> None:
        if shiboken6.isValid(self._highlighter):
            self._highlighter.follow_theme()
            self._highlighter.rehighlight()

    def text(self) -> str:
        return self._editor.toPlainText()

    def set_text(self, text: str) -> None:
        self._editor.setPlainText(text)  # also clears the undo history; ignores read-only

    def replace_text(self, text: str) -> None:
        cursor = self._editor.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)  # one edit block, so one undo step

    def set_language(self, language: str) -> None:
        """No lexers here: the text looks the same in every language."""

    def set_read_only(self, read_only: bool) -> None:
        self._editor.setReadOnly(read_only)

    def mark_values(self, values: tuple[str, ...]) -> None:
        self._highlighter.values = values
        self._highlighter.rehighlight()

    def mark_findings(self, marks: tuple[FindingMark, ...]) -> None:
        """Wavy underlines as extra selections: they move with the text as it is edited."""
        colours = current_colours()
        selections = []
        length = len(self._editor.toPlainText())
        for mark in marks:
            selection = QTextEdit.ExtraSelection()
            selection.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            selection.format.setUnderlineColor(
                QColor(colours.danger if mark.error else colours.warning)
            )
            cursor = self._editor.textCursor()
            cursor.setPosition(min(mark.start, length))
            cursor.setPosition(min(mark.end, length), QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selections.append(selection)
        self._editor.setExtraSelections(selections)

    def cursor(self) -> int:
        return self._editor.textCursor().selectionEnd()

    def select(self, start: int, end: int) -> None:
        cursor = self._editor.textCursor()
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self._editor.setTextCursor(cursor)  # scrolls it into view


class _PlaceholderHighlighter(QSyntaxHighlighter):
    """Marks ``{{param}}`` and chosen values the way the Scintilla indicators do."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.values: tuple[str, ...] = ()
        self._format = QTextCharFormat()
        self._value_format = QTextCharFormat()
        self.follow_theme()

    def follow_theme(self) -> None:
        """Take the current theme's mark colours (the surface itself is the stylesheet's)."""
        colours = editor_colours()
        self._format.setBackground(QColor(colours.placeholder_background))
        self._format.setForeground(QColor(colours.placeholder_text))
        self._value_format.setBackground(QColor(colours.value_background))
        self._value_format.setForeground(QColor(colours.value_text))

    def highlightBlock(self, text: str) -> None:
        for match in PLACEHOLDER.finditer(text):
            self.setFormat(match.start(), match.end() - match.start(), self._format)
        for start, end in value_spans(text, self.values):
            self.setFormat(start, end - start, self._value_format)
