"""Command palette (Ctrl+K / ⌘K): type a few letters of any action, arrows, Enter.

Modelled on Spyder's switcher: a line edit over a filtered list; the keys that move the
selection are forwarded from the line edit so the text keeps focus.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ui.actions import ActionRegistry, ActionSpec

HINT_ROLE = Qt.ItemDataRole.UserRole + 1

_NAVIGATION_KEYS = {
    Qt.Key.Key_Up,
    Qt.Key.Key_Down,
    Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown,
}


def fuzzy_score(query: str, candidate: str) -> int | None:
    """Score how well ``query`` matches ``candidate`` as a subsequence; None when it does not.

    Higher is better: consecutive letters and letters at word starts count more, so
    "ns" ranks "New session" above "Rename session".
    """
    query = query.lower().strip()
    if not query:
        return 0
    text = candidate.lower()
    score = 0
    position = 0
    previous_match = -2
    for char in query:
        if char == " ":
            continue
        found = text.find(char, position)
        if found < 0:
            return None
        bonus = 1
        if found == previous_match + 1:
            bonus += 3
        if found == 0 or not text[found - 1].isalnum():
            bonus += 5
        score += bonus
        previous_match = found
        position = found + 1
    return score * 100 - len(text)


GOOD_MATCH_PER_LETTER = 300  # about every letter consecutive or at a word start


def _good(query: str, score: int) -> bool:
    """Whether the best match is good enough for Enter to run it without asking (letters
    scattered across a long name, or a match on keywords only, are not)."""
    letters = sum(1 for char in query if not char.isspace())
    return score >= letters * GOOD_MATCH_PER_LETTER - 200


class _ActionRowDelegate(QStyledItemDelegate):
    """Draws the action's name on the left and its category and shortcut, dimmed, on the right."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        hint = index.data(HINT_ROLE) or ""
        super().paint(painter, option, index)
        if not hint:
            return
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        role = (
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        )
        painter.setPen(option.palette.color(role))
        area = QRect(option.rect).adjusted(0, 0, -10, 0)
        painter.drawText(area, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, hint)
        painter.restore()


class CommandPalette(QDialog):
    """A popup over the main window listing every enabled action of the registry."""

    def __init__(self, registry: ActionRegistry, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self._registry = registry
        self.setObjectName("commandPalette")
        self.setAccessibleName("Command palette")

        self.search = QLineEdit(self)
        self.search.setObjectName("paletteSearch")
        self.search.setAccessibleName("Search actions")
        self.search.setPlaceholderText("Type a command…  (↑↓ to move, Enter to run, Esc to close)")
        self.search.setClearButtonEnabled(True)

        self.results = QListWidget(self)
        self.results.setObjectName("paletteResults")
        self.results.setAccessibleName("Matching actions")
        self.results.setUniformItemSizes(True)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.results.setItemDelegate(_ActionRowDelegate(self.results))

        self.empty_label = QLabel("No action matches.", self)
        self.empty_label.setObjectName("paletteEmpty")
        self.empty_label.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        layout.addWidget(self.empty_label)

        self.search.textChanged.connect(self._populate)
        self.search.returnPressed.connect(self._run_current)
        self.search.installEventFilter(self)
        self.results.itemActivated.connect(lambda _item: self._run_clicked())
        self._picked = False
        self._good_match = True

    # ---- Public API

    def popup(self) -> None:
        """Show centred near the top of the parent window, empty query, first row selected."""
        parent = self.parentWidget()
        width = min(640, max(420, parent.width() - 120))
        self.resize(width, 380)
        top_left = parent.mapToGlobal(parent.rect().topLeft())
        self.move(top_left.x() + (parent.width() - width) // 2, top_left.y() + 60)
        self._registry.refresh()
        self.search.clear()
        self._populate("")
        self.show()
        self.raise_()
        self.activateWindow()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)

    def visible_action_ids(self) -> list[str]:
        return [
            self.results.item(row).data(Qt.ItemDataRole.UserRole)
            for row in range(self.results.count())
        ]

    # ---- Qt overrides

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in _NAVIGATION_KEYS:
                self._move(event.key())
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.close()
                return True
        return super().eventFilter(watched, event)

    # ---- Private

    def _populate(self, query: str) -> None:
        ranked: list[tuple[int, ActionSpec]] = []
        for spec in self._registry.specs():
            if not self._registry.is_enabled(spec.id):
                continue
            haystack = " ".join((spec.text, spec.category, *spec.keywords))
            score = fuzzy_score(query, spec.text)
            if score is None:
                score = fuzzy_score(query, haystack)
                if score is not None:
                    score -= 10_000  # matches on the name first, then on other words
            if score is not None:
                ranked.append((score, spec))
        if query.strip():
            ranked.sort(key=lambda pair: -pair[0])
        self._picked = False
        self._good_match = not query.strip() or bool(ranked and _good(query, ranked[0][0]))
        self.results.clear()
        for _score, spec in ranked:
            shortcut = self._registry.shortcut_text(spec.id)
            item = QListWidgetItem(spec.text.replace("&", ""))
            item.setData(Qt.ItemDataRole.UserRole, spec.id)
            item.setData(HINT_ROLE, f"{spec.category}   {shortcut}".strip())
            item.setToolTip(spec.description or spec.text)
            self.results.addItem(item)
        self.empty_label.setText(
            "No action matches."
            if not self.results.count()
            else "Nothing matches well: pick one with ↑↓, or type more."
        )
        self.empty_label.setVisible(not self.results.count() or not self._good_match)
        if self.results.count():
            self.results.setCurrentRow(0)

    def _move(self, key: int) -> None:
        count = self.results.count()
        if not count:
            return
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -8}.get(key, 8)
        row = max(0, min(count - 1, self.results.currentRow() + step))
        self.results.setCurrentRow(row)
        self._picked = True  # chosen with the arrows: Enter runs it, however loose the match

    def _run_clicked(self) -> None:
        self._picked = True
        self._run_current()

    def _run_current(self) -> None:
        item = self.results.currentItem()
        if item is None or not (self._good_match or self._picked):
            return  # Enter on a weak match runs nothing: the technician picks, or types on
        action_id = item.data(Qt.ItemDataRole.UserRole)
        self.close()
        self._registry.trigger(action_id)
