"""Showing masked text: placeholders such as ``[password #1]`` (and the ``•••`` of known
secrets) highlighted in an editor, so the technician sees what will not leave the machine."""

from __future__ import annotations

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit

from flowpilot_desktop.logging_setup import MASK
from flowpilot_desktop.scrubbing import PLACEHOLDER_PATTERN
from ui.theme import current_colours


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a placeholder or a mask (Python indices)."""
    spans = [(m.start(), m.end()) for m in PLACEHOLDER_PATTERN.finditer(text)]
    start = text.find(MASK)
    while start >= 0:
        spans.append((start, start + len(MASK)))
        start = text.find(MASK, start + len(MASK))
    return sorted(spans)


def mark_placeholders(
    editor: QPlainTextEdit | QTextEdit, text: str, spans: list[tuple[int, int]]
) -> None:
    """Highlight ``spans`` (Python indices into ``text``, the editor's text) without changing
    the text; an empty list clears the marks."""

    done, units = 0, 0

    def position(index: int) -> int:
        """Qt counts UTF-16 code units; counted from the previous span (spans are sorted)."""
        nonlocal done, units
        units += len(text[done:index].encode("utf-16-le")) // 2
        done = index
        return units

    colours = current_colours()
    highlight = QTextCharFormat()
    highlight.setBackground(QColor(colours.warning_chip_bg))
    highlight.setForeground(QColor(colours.warning_text))
    marks = []
    for start, end in sorted(spans):
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(editor.document())
        cursor.setPosition(position(start))
        cursor.setPosition(position(end), QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor  # type: ignore[attr-defined]
        selection.format = highlight  # type: ignore[attr-defined]
        marks.append(selection)
    editor.setExtraSelections(marks)
