"""The widgets inside the Sessions dock: filter box, list with two-line rows, empty states."""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListView,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.sessions import SNIPPET_END, SNIPPET_START, SearchHit, SessionSummary
from ui.sessions_dock.model import (
    ACTIVITY_ROLE,
    HIT_ROLE,
    STATUS_ROLE,
    SUMMARY_ROLE,
    TICKET_ROLE,
    SessionFilterModel,
    SessionListModel,
    describe_age,
)
from ui.theme import status_colour
from ui.widgets.status_text import SESSION_STATUS_LABELS

ROW_HEIGHT = 48
SEARCH_DELAY_MS = 120  # the full-text search waits for a pause in the typing


class SessionRowDelegate(QStyledItemDelegate):
    """Title on the first line; ticket number, status and last activity on the second."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        painter.save()
        style = option.widget.style() if option.widget else None
        background = QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        if style is not None:
            style.drawControl(
                QStyle.ControlElement.CE_ItemViewItem, background, painter, option.widget
            )

        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        dim_role = (
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        )
        rect = option.rect.adjusted(10, 5, -10, -5)

        title_font = QFont(option.font)
        title_font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(title_font)
        painter.setPen(option.palette.color(text_role))
        title = QFontMetrics(title_font).elidedText(
            index.data(Qt.ItemDataRole.DisplayRole) or "", Qt.TextElideMode.ElideRight, rect.width()
        )
        top_line = QRect(rect.left(), rect.top(), rect.width(), rect.height() // 2)
        painter.drawText(
            top_line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title
        )

        small_font = QFont(option.font)
        small_font.setPointSizeF(max(7.0, option.font.pointSizeF() * 0.88))
        painter.setFont(small_font)
        metrics = QFontMetrics(small_font)
        bottom_line = QRect(
            rect.left(), rect.top() + rect.height() // 2, rect.width(), rect.height() // 2
        )
        x = bottom_line.left()
        ticket = index.data(TICKET_ROLE)
        if ticket:
            ticket_text = f"#{ticket}"
            painter.setPen(option.palette.color(text_role))
            painter.drawText(
                QRect(
                    x,
                    bottom_line.top(),
                    metrics.horizontalAdvance(ticket_text) + 2,
                    bottom_line.height(),
                ),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                ticket_text,
            )
            x += metrics.horizontalAdvance(ticket_text) + 10
        hit = index.data(HIT_ROLE)
        if hit is not None and hit.source != "title":
            # what matched, instead of status and age: the terms in bold
            self._paint_snippet(painter, option, bottom_line, x, hit, dim_role, text_role)
            painter.restore()
            return
        status = index.data(STATUS_ROLE) or ""
        status_text = SESSION_STATUS_LABELS.get(status, status)
        dot_colour = status_colour(status)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(dot_colour)
        dot = 7
        painter.drawEllipse(x, bottom_line.center().y() - dot // 2, dot, dot)
        x += dot + 5
        painter.setPen(option.palette.color(dim_role))
        activity = index.data(ACTIVITY_ROLE)
        age = describe_age(activity) if activity is not None else ""
        painter.drawText(
            QRect(x, bottom_line.top(), bottom_line.right() - x, bottom_line.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            f"{status_text}  ·  {age}",
        )
        painter.restore()

    @staticmethod
    def _paint_snippet(
        painter: QPainter,
        option: QStyleOptionViewItem,
        line: QRect,
        x: int,
        hit: SearchHit,
        dim_role: QPalette.ColorRole,
        text_role: QPalette.ColorRole,
    ) -> None:
        plain = QFont(painter.font())
        bold = QFont(plain)
        bold.setWeight(QFont.Weight.Bold)
        label = f"{SOURCE_LABELS.get(hit.source, hit.source)}: "
        painter.setPen(option.palette.color(dim_role))
        painter.drawText(
            QRect(x, line.top(), line.right() - x, line.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            label,
        )
        x += QFontMetrics(plain).horizontalAdvance(label)
        for text, matched in snippet_parts(hit.snippet):
            font = bold if matched else plain
            metrics = QFontMetrics(font)
            room = line.right() - x
            if room <= 0:
                break
            shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
            painter.setFont(font)
            painter.setPen(option.palette.color(text_role if matched else dim_role))
            painter.drawText(
                QRect(x, line.top(), room, line.height()),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                shown,
            )
            x += metrics.horizontalAdvance(shown)
            if shown != text:
                break


_STATUS_WORDS = frozenset(
    word.strip("()").casefold()
    for label in SESSION_STATUS_LABELS.values()
    for word in label.split()
)


def _is_status_word(word: str) -> bool:
    return any(status.startswith(word) for status in _STATUS_WORDS)


SOURCE_LABELS = {
    "ticket": "ticket",
    "fact": "fact",
    "message": "message",
    "fix": "fix",
    "note": "note",
}


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """A search snippet as (text, matched) runs, on one line (plain text, never markup)."""
    parts: list[tuple[str, bool]] = []
    for piece in " ".join(snippet.split()).split(SNIPPET_START):
        matched, _, rest = piece.partition(SNIPPET_END) if SNIPPET_END in piece else ("", "", piece)
        if matched:
            parts.append((matched, True))
        if rest:
            parts.append((rest, False))
    return parts


class SessionsPanel(QWidget):
    """Filter box over the session list, with an empty state for "none yet" and "no match"."""

    sig_selection_changed = Signal(object)
    """The selected session is now this SessionSummary, or None."""
    sig_search_requested = Signal(str)
    """The words typed settled: search the sessions' full text for them."""
    sig_open_at_message = Signal(str, str)
    """(session id, message id): Enter on a search hit in a message — show that message."""
    sig_activated = Signal(object)
    """Enter (or double-click) on a session: the technician wants to work in it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sessionsPanel")
        self.model = SessionListModel(self)
        self.proxy = SessionFilterModel(self.model, self)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setObjectName("sessionsFilter")
        self.filter_edit.setAccessibleName("Search sessions")
        self.filter_edit.setClearButtonEnabled(True)

        self.list_view = QListView(self)
        self.list_view.setObjectName("sessionsList")
        self.list_view.setAccessibleName("Triage sessions")
        self.list_view.setModel(self.proxy)
        self.list_view.setItemDelegate(SessionRowDelegate(self.list_view))
        self.list_view.setUniformItemSizes(True)
        self.list_view.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.list_view.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.list_view.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)

        self.empty_label = QLabel(self)
        self.empty_label.setObjectName("sessionsEmpty")
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)  # quotes the filter text
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setProperty("role", "empty-state")
        self._new_session_keys = "Ctrl+N"
        self._shown_id: str | None = None  # the session the list last selected
        self._quiet = False

        self._stack = QStackedWidget(self)
        self._stack.addWidget(self.list_view)
        self._stack.addWidget(self.empty_label)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self._stack, 1)

        self.filter_edit.textChanged.connect(self._apply_filter)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._request_search)
        self.filter_edit.installEventFilter(self)
        self.list_view.installEventFilter(self)
        self.list_view.selectionModel().currentChanged.connect(self._current_changed)
        self.list_view.activated.connect(self._emit_activated)
        for signal in (self.proxy.rowsInserted, self.proxy.rowsRemoved, self.proxy.modelReset):
            signal.connect(self._update_empty_state)
        self._update_empty_state()

    # ---- Public API

    def set_sessions(self, sessions: list[SessionSummary]) -> None:
        self.model.set_sessions(sessions)
        self._update_empty_state()

    def current_summary(self) -> SessionSummary | None:
        index = self.list_view.currentIndex()
        if not index.isValid() or not self.list_view.selectionModel().isSelected(index):
            return None
        return index.data(SUMMARY_ROLE)

    def select_session(self, session_id: str) -> bool:
        """Select a session by id, clearing the filter if it hides it."""
        row = self.model.row_of(session_id)
        if row is None:
            return False
        proxy_index = self.proxy.mapFromSource(self.model.index(row))
        if not proxy_index.isValid():
            self.filter_edit.clear()
            proxy_index = self.proxy.mapFromSource(self.model.index(row))
        self._select_proxy_row(proxy_index.row())
        return True

    def select_relative(self, step: int) -> None:
        """Move the selection by ``step`` rows among the visible sessions (wraps around)."""
        count = self.proxy.rowCount()
        if not count:
            return
        current = self.list_view.currentIndex()
        row = (
            (current.row() + step) % count if current.isValid() else (0 if step > 0 else count - 1)
        )
        self._select_proxy_row(row)

    def current_row(self) -> int:
        """The selected row among the visible sessions (-1: none)."""
        return self.list_view.currentIndex().row()

    def select_first(self) -> None:
        self.select_row(0)

    def select_row(self, row: int) -> bool:
        """Select the visible row ``row`` (clamped to the last one); False when none is visible."""
        count = self.proxy.rowCount()
        if not count:
            return False
        self._select_proxy_row(min(row, count - 1))
        return True

    def visible_titles(self) -> list[str]:
        return [
            self.proxy.index(row, 0).data(Qt.ItemDataRole.DisplayRole)
            for row in range(self.proxy.rowCount())
        ]

    def set_shortcut_hints(self, *, new_session: str, filter_sessions: str) -> None:
        """The shortcuts the hints mention (they follow rebinding and the platform's names)."""
        self._new_session_keys = new_session
        self.filter_edit.setPlaceholderText(
            f"Search sessions: title, #ticket, facts, messages…  ({filter_sessions})"
        )
        self._update_empty_state()

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def focus_list(self) -> None:
        self.list_view.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if not self.list_view.currentIndex().isValid():
            self.select_first()

    # ---- Qt overrides

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if watched is self.filter_edit:
            if key == Qt.Key.Key_Down or key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.focus_list()
                return True
            if key == Qt.Key.Key_Escape and self.filter_edit.text():
                self.filter_edit.clear()
                return True
        elif watched is self.list_view:
            at_top = self.list_view.currentIndex().row() <= 0
            if key == Qt.Key.Key_Up and at_top:
                self.focus_filter()
                return True
        return super().eventFilter(watched, event)

    # ---- Private

    def _select_proxy_row(self, row: int) -> None:
        index = self.proxy.index(row, 0)
        self.list_view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        self.list_view.scrollTo(index)

    def _apply_filter(self, text: str) -> None:
        """Filtering never opens another session (at 10,000 sessions each keystroke would
        load a conversation): the shown session stays selected while it matches, and stays
        shown, unselected in the list, while it does not; ↓ or Enter then picks a match."""
        self._quiet = True  # Qt moves the current row off a hidden one: not the technician
        try:
            self.proxy.set_filter_text(text)
            self._keep_shown_selected()
        finally:
            self._quiet = False
        self._update_empty_state()
        self._search_timer.start()  # then the full text, once the typing pauses

    def show_search_hits(self, text: str, hits: list[SearchHit]) -> None:
        """The full-text search's answer (ignored when other words are typed by now)."""
        self._quiet = True
        try:
            if not self.proxy.set_search_hits(text, hits):
                return
            self._keep_shown_selected()
        finally:
            self._quiet = False
        self._update_empty_state()

    def _request_search(self) -> None:
        """Status words ("resolved", "paused") keep the quick filter: they filter, they don't
        search (the full text would rank sessions that merely mention them)."""
        words = SessionFilterModel.words_of(self.filter_edit.text())
        if words and not all(_is_status_word(word) for word in words):
            self.sig_search_requested.emit(self.filter_edit.text())

    def _keep_shown_selected(self) -> None:
        index = self._proxy_index_of(self._shown_id)
        if index.isValid():
            self._select_proxy_row(index.row())
        else:
            self.list_view.selectionModel().clear()

    def _proxy_index_of(self, session_id: str | None) -> QModelIndex:
        row = self.model.row_of(session_id) if session_id else None
        if row is None:
            return QModelIndex()
        return self.proxy.mapFromSource(self.model.index(row))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._quiet or not current.isValid():
            return
        summary: SessionSummary = current.data(SUMMARY_ROLE)
        self._shown_id = summary.id
        self.sig_selection_changed.emit(summary)

    def _emit_activated(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        summary: SessionSummary = index.data(SUMMARY_ROLE)
        self.sig_activated.emit(summary)
        hit = index.data(HIT_ROLE)
        if hit is not None and hit.source == "message" and hit.ref:
            self.sig_open_at_message.emit(summary.id, hit.ref)

    def _update_empty_state(self) -> None:
        if self.proxy.rowCount():
            self._stack.setCurrentWidget(self.list_view)
            return
        if self.model.rowCount():
            self.empty_label.setText(f"No session matches “{self.filter_edit.text().strip()}”.")
        else:
            self.empty_label.setText(
                f"No triage sessions yet.\n\nPress {self._new_session_keys} to start one."
            )
        self._stack.setCurrentWidget(self.empty_label)
