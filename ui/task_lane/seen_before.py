"""Seen before: up to three resolved sessions like this one, each with the fix that was applied
and how it went as the technician confirmed it ("worked 3 of 3"). Enter opens one.

Titles and fixes come from earlier sessions (the model's and ConnectWise's words): plain text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from flowpilot_desktop.task_lane_service import PastFix
from ui.safe_text import plain_label
from ui.widgets.labels import meta_label
from ui.widgets.wrapping import breakable


class SeenBeforeRow(QFrame):
    """One past session: its title and ticket, the fix and its record. Enter opens it."""

    sig_open = Signal(str)

    def __init__(self, past: PastFix, parent: QWidget) -> None:
        super().__init__(parent)
        self.past = past
        self.setObjectName("seenBeforeRow")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        ticket = f" · #{past.ticket_ref}" if past.ticket_ref else ""
        self.setAccessibleName(
            f"Seen before: {past.title}{ticket}. Fix {past.fix_title}, {past.record}. "
            "Enter opens it."
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(1)
        title = plain_label(breakable(past.title + ticket), self, "seenBeforeTitle")
        title.setWordWrap(True)
        fix = meta_label(breakable(f"{past.fix_title} — {past.record}"), self, "seenBeforeFix")
        fix.setWordWrap(True)
        fix.setProperty("role", "header-meta" if past.confirmed else "empty-state")
        layout.addWidget(title)
        layout.addWidget(fix)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.sig_open.emit(self.past.session_id)
            return
        super().keyPressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.sig_open.emit(self.past.session_id)
            return
        super().mouseReleaseEvent(event)


class SeenBeforeSection(QWidget):
    """Hidden while nothing resembles the session."""

    sig_open_session = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("seenBefore")
        self.rows: list[SeenBeforeRow] = []
        self.session_id: str | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        title = QLabel("SEEN BEFORE", self)
        title.setObjectName("seenBeforeSectionTitle")
        title.setProperty("role", "section-title")
        title.setToolTip("Resolved sessions like this one, with the fix that was applied")
        self._layout.addWidget(title)
        self.hide()

    def show_matches(self, session_id: str | None, matches: list[PastFix]) -> None:
        self.session_id = session_id
        for row in self.rows:
            row.hide()
            row.deleteLater()
        self.rows = []
        for past in matches:
            row = SeenBeforeRow(past, self)
            row.sig_open.connect(self.sig_open_session)
            self._layout.addWidget(row)
            self.rows.append(row)
        self.setVisible(bool(matches))
