"""The editor over Scintilla: lexers with theme colours, line numbers, indicators for
placeholders and values. Importing this module raises ImportError where the wheel is missing
(it exists for Linux x86-64, Windows x64 and macOS arm64); ``choose_backend`` relies on that."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from lexilla import Language, create_lexer
from lexilla.pyside6_scintilla import set_lexer
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import QWidget
from pyside6_scintilla import ScintillaEdit

from ui.code_editor.backend import (
    DEFAULT_LANGUAGE,
    INDENT,
    PLACEHOLDER,
    EditorBackend,
    FindingMark,
    value_spans,
)
from ui.code_editor.colours import editor_colours
from ui.theme import current_colours, theme_notifier

_STYLE_DEFAULT, _STYLE_LINENUMBER, _STYLE_INDENTGUIDE = 32, 33, 37
_PLACEHOLDER_INDICATOR = 8
_VALUE_INDICATOR = 9
_INDIC_ROUNDBOX = 7
_ERROR_INDICATOR, _WARNING_INDICATOR = 10, 11
_INDIC_SQUIGGLE_PIXMAP = 13  # a squiggle drawn smoothly
_ERROR_MARKER, _WARNING_MARKER = 20, 21
_MARK_CIRCLE, _MARK_SHORT_ARROW = 0, 4
_MARGIN_NUMBER = 1
_MARGIN_SYMBOL, _MARKER_MARGIN, _MARKER_MARGIN_WIDTH = 0, 1, 14
_LEXERS = {
    "powershell": Language.POWERSHELL,
    "bash": Language.BASH,
    "batch": Language.BATCH,
    "python": Language.PYTHON,
}
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


def _byte_offset(text: str, index: int) -> int:
    """Scintilla positions are UTF-8 byte offsets; the interface speaks characters."""
    return len(text[:index].encode("utf-8"))


class ScintillaBackend(EditorBackend):
    """Scintilla, in the theme's colours (restyled when the theme changes). Placeholders and
    values are indicators, re-marked after every change (SCEN_CHANGE) so they follow typing."""

    name = "Scintilla"

    def __init__(self, parent: QWidget, on_changed: Callable[[], None]) -> None:
        self._on_changed = on_changed
        self._language = DEFAULT_LANGUAGE
        self._values: tuple[str, ...] = ()
        self._editor = ScintillaEdit(parent)
        self._editor.setObjectName("codeEditorScintilla")
        self._setup()

    @property
    def widget(self) -> QWidget:
        return self._editor

    def text(self) -> str:
        length = self._editor.textLength()
        return bytes(self._editor.getText(length + 1)).rstrip(b"\0").decode("utf-8")

    def set_text(self, text: str) -> None:
        editor = self._editor
        read_only = editor.readOnly()
        editor.setReadOnly(False)  # Scintilla refuses SETTEXT when read-only
        editor.setText(text)
        editor.setReadOnly(read_only)
        editor.emptyUndoBuffer()
        editor.colourise(0, -1)
        self._mark()

    def replace_text(self, text: str) -> None:
        self._editor.beginUndoAction()
        self._editor.setText(text)
        self._editor.endUndoAction()
        self._mark()

    def set_language(self, language: str) -> None:
        self._language = language
        set_lexer(self._editor, create_lexer(_LEXERS[language]))
        self._apply_styles()
        self._editor.colourise(0, -1)

    def set_read_only(self, read_only: bool) -> None:
        self._editor.setReadOnly(read_only)

    def mark_values(self, values: tuple[str, ...]) -> None:
        self._values = values
        self._mark()

    def mark_findings(self, marks: tuple[FindingMark, ...]) -> None:
        """Squiggles under the spans (indicators move with edits) and a marker on each line
        in a margin of its own, shown from the first check on so the text does not jump."""
        editor = self._editor
        text = self.text()
        editor.setMarginWidthN(_MARKER_MARGIN, _MARKER_MARGIN_WIDTH)
        for indicator in (_ERROR_INDICATOR, _WARNING_INDICATOR):
            editor.setIndicatorCurrent(indicator)
            editor.indicatorClearRange(0, editor.textLength())
        editor.markerDeleteAll(_ERROR_MARKER)
        editor.markerDeleteAll(_WARNING_MARKER)
        for mark in marks:
            start, end = min(mark.start, len(text)), min(mark.end, len(text))
            byte_start = _byte_offset(text, start)
            editor.setIndicatorCurrent(_ERROR_INDICATOR if mark.error else _WARNING_INDICATOR)
            editor.indicatorFillRange(byte_start, len(text[start:end].encode("utf-8")))
            line = editor.lineFromPosition(byte_start)
            editor.markerAdd(line, _ERROR_MARKER if mark.error else _WARNING_MARKER)

    def cursor(self) -> int:
        position = self._editor.selectionEnd()
        raw = bytes(self._editor.getText(self._editor.textLength() + 1))
        return len(raw[:position].decode("utf-8", "ignore"))

    def select(self, start: int, end: int) -> None:
        text = self.text()
        byte_start = _byte_offset(text, start)
        self._editor.setSel(byte_start, byte_start + len(text[start:end].encode("utf-8")))
        self._editor.scrollCaret()

    # ---- Private

    def _setup(self) -> None:
        editor = self._editor
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
        editor.setMarginTypeN(_MARKER_MARGIN, _MARGIN_SYMBOL)
        editor.setMarginMaskN(_MARKER_MARGIN, 1 << _ERROR_MARKER | 1 << _WARNING_MARKER)
        editor.setMarginWidthN(_MARKER_MARGIN, 0)  # until the script check marks a line
        self._apply_styles()
        editor.notifyChange.connect(self._text_changed)  # SCEN_CHANGE: after every edit
        theme_notifier().sig_theme_changed.connect(self._theme_changed)

    def _apply_styles(self) -> None:
        """The theme, then the language's colours (``styleClearAll`` resets every style)."""
        editor, colours = self._editor, editor_colours()
        editor.styleSetFore(_STYLE_DEFAULT, _bgr(colours.foreground))
        editor.styleSetBack(_STYLE_DEFAULT, _bgr(colours.background))
        editor.styleClearAll()
        editor.styleSetFore(_STYLE_LINENUMBER, _bgr(colours.margin_text))
        editor.styleSetBack(_STYLE_LINENUMBER, _bgr(colours.margin_background))
        editor.styleSetFore(_STYLE_INDENTGUIDE, _bgr(colours.guide))
        editor.setCaretFore(_bgr(colours.foreground))
        editor.setSelBack(True, _bgr(colours.selection))
        editor.setMarginWidthN(0, editor.textWidth(_STYLE_LINENUMBER, "_9999"))
        for style, colour in _STYLE_COLOURS[self._language].items():
            editor.styleSetFore(style, _bgr(colours.syntax(colour)))
        for indicator, colour, alpha in (
            (_PLACEHOLDER_INDICATOR, colours.placeholder_text, 70),
            (_VALUE_INDICATOR, colours.value_text, 60),
        ):
            editor.indicSetStyle(indicator, _INDIC_ROUNDBOX)
            editor.indicSetFore(indicator, _bgr(colour))
            editor.indicSetAlpha(indicator, alpha)
            editor.indicSetUnder(indicator, True)
        theme = current_colours()
        for indicator, marker, symbol, colour in (
            (_ERROR_INDICATOR, _ERROR_MARKER, _MARK_CIRCLE, theme.danger),
            (_WARNING_INDICATOR, _WARNING_MARKER, _MARK_SHORT_ARROW, theme.warning),
        ):
            editor.indicSetStyle(indicator, _INDIC_SQUIGGLE_PIXMAP)
            editor.indicSetFore(indicator, _bgr(colour))
            editor.markerDefine(marker, symbol)
            editor.markerSetBack(marker, _bgr(colour))
            editor.markerSetFore(marker, _bgr(colour))

    def _theme_changed(self, _name: str) -> None:
        if shiboken6.isValid(self._editor):
            self._apply_styles()
            self._editor.colourise(0, -1)

    def _text_changed(self) -> None:
        self._mark()
        self._on_changed()

    def _mark(self) -> None:
        """Redraw both indicators from scratch: cheap at script sizes, and never stale."""
        editor = self._editor
        text = self.text()
        placeholders = [(m.start(), m.end()) for m in PLACEHOLDER.finditer(text)]
        for indicator, spans in (
            (_PLACEHOLDER_INDICATOR, placeholders),
            (_VALUE_INDICATOR, value_spans(text, self._values)),
        ):
            editor.setIndicatorCurrent(indicator)
            editor.indicatorClearRange(0, editor.textLength())
            for start, end in spans:
                byte_start = _byte_offset(text, start)
                editor.indicatorFillRange(byte_start, len(text[start:end].encode("utf-8")))
