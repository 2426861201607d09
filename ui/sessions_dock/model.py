"""The session list as a Qt model, kept in last-activity order, and its filter.

Sized for years of history (10,000 sessions and more): rows are small frozen values read by one
query, and each row's searchable text is folded once, when it arrives.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from flowpilot_desktop.sessions import SearchHit, SessionSummary
from ui.widgets.status_text import SESSION_STATUS_LABELS

SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 1
TICKET_ROLE = Qt.ItemDataRole.UserRole + 2
STATUS_ROLE = Qt.ItemDataRole.UserRole + 3
ACTIVITY_ROLE = Qt.ItemDataRole.UserRole + 4
HIT_ROLE = Qt.ItemDataRole.UserRole + 5  # the row's search hit (SearchHit), or None

_Index = QModelIndex | QPersistentModelIndex


def describe_age(moment: datetime, now: datetime | None = None) -> str:
    """ "just now", "5 min ago", "3 h ago", "yesterday", "4 d ago", or the date."""
    now = now or datetime.now(UTC)
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    days = seconds // 86400
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} d ago"
    return moment.astimezone().strftime("%Y-%m-%d")


class SessionListModel(QAbstractListModel):
    """Rows are SessionSummary values, most recent activity first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[SessionSummary] = []
        self._haystacks: list[str] = []  # per row: what the filter searches, case-folded

    # ---- Public API

    def set_sessions(self, sessions: list[SessionSummary]) -> None:
        self.beginResetModel()
        self._rows = sorted(sessions, key=lambda s: s.last_activity_at, reverse=True)
        self._haystacks = [haystack(summary) for summary in self._rows]
        self.endResetModel()

    def upsert(self, summary: SessionSummary) -> None:
        """Insert a session at its place in the order, or update it where it is."""
        row = self.row_of(summary.id)
        if row is not None:
            self._rows[row] = summary
            self._haystacks[row] = haystack(summary)
            index = self.index(row)
            self.dataChanged.emit(index, index)
            return
        position = next(
            (i for i, s in enumerate(self._rows) if s.last_activity_at <= summary.last_activity_at),
            len(self._rows),
        )
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.insert(position, summary)
        self._haystacks.insert(position, haystack(summary))
        self.endInsertRows()

    def remove(self, session_id: str) -> None:
        row = self.row_of(session_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        del self._haystacks[row]
        self.endRemoveRows()

    def row_of(self, session_id: str) -> int | None:
        return next((i for i, s in enumerate(self._rows) if s.id == session_id), None)

    def summary_at(self, row: int) -> SessionSummary:
        return self._rows[row]

    def row_matches(self, row: int, words: list[str]) -> bool:
        """Does this row's text contain every (case-folded) word."""
        text = self._haystacks[row]
        return all(word in text for word in words)

    # ---- Qt model API

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        summary = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return summary.title
        if role == Qt.ItemDataRole.AccessibleTextRole:
            ticket = f"ticket {summary.ticket_ref}, " if summary.ticket_ref else ""
            status = SESSION_STATUS_LABELS.get(summary.status, summary.status)
            return f"{summary.title}, {ticket}{status}, {describe_age(summary.last_activity_at)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return summary.title
        if role == SUMMARY_ROLE:
            return summary
        if role == TICKET_ROLE:
            return summary.ticket_ref
        if role == STATUS_ROLE:
            return summary.status
        if role == ACTIVITY_ROLE:
            return summary.last_activity_at
        return None


def haystack(summary: SessionSummary) -> str:
    """What the filter searches in a session: its title, ticket number and status."""
    status = SESSION_STATUS_LABELS.get(summary.status, "")
    return f"{summary.title} {summary.ticket_ref or ''} {status}".casefold()


class SessionFilterModel(QSortFilterProxyModel):
    """Keeps rows whose title, ticket number or status contains every word typed, at once;
    then, when the full-text search answers for the same words, the sessions it found
    (titles, tickets, facts, messages, notes …), best first — a few hundred rows at most, so
    sorting them costs nothing. An empty answer leaves the quick filter's rows.

    Each row's text is folded once, when it arrives (``SessionListModel``); the per-row check
    Qt calls back for is then one list lookup and a substring test, not a round trip through
    ``data()``: a keystroke costs milliseconds at 10,000 sessions."""

    def __init__(self, source: SessionListModel, parent: Any = None) -> None:
        super().__init__(parent)
        self._source = source
        self._words: list[str] = []
        self._hits: dict[str, tuple[int, SearchHit]] = {}  # session id -> (rank, hit)
        self.setSourceModel(source)

    @staticmethod
    def words_of(text: str) -> list[str]:
        return [word.lstrip("#").casefold() for word in text.split() if word.lstrip("#")]

    def set_filter_text(self, text: str) -> None:
        words = self.words_of(text)
        if words == self._words:
            return  # a space or a "#" more: the same rows
        if self.sortColumn() != -1:
            # back to last-activity order first, while only the ranked rows are shown:
            # re-filtering while sorted would sort 10,000 rows through lessThan in Python
            self.sort(-1)
        self.beginFilterChange()
        self._words = words
        self._hits = {}  # the search's answer was for other words
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_search_hits(self, text: str, hits: list[SearchHit]) -> bool:
        """The full-text search's answer for ``text``; ignored (False) when the filter has
        moved on to other words since."""
        if self.words_of(text) != self._words or not self._words:
            return False
        self.beginFilterChange()
        self._hits = {hit.session_id: (rank, hit) for rank, hit in enumerate(hits)}
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        self.sort(0)  # only the rows shown are sorted: a few hundred at most
        return True

    def hit(self, session_id: str) -> SearchHit | None:
        found = self._hits.get(session_id)
        return found[1] if found else None

    def filterAcceptsRow(self, source_row: int, _source_parent: _Index) -> bool:
        if not self._words:
            return True
        if self._hits:  # the ranked answer replaces the quick one (it covers titles too)
            return self._source.summary_at(source_row).id in self._hits
        return self._source.row_matches(source_row, self._words)

    def lessThan(self, left: _Index, right: _Index) -> bool:
        """Search hits by rank."""
        far = len(self._hits)
        left_rank = self._rank(left.row(), far)
        right_rank = self._rank(right.row(), far)
        if left_rank != right_rank:
            return left_rank < right_rank
        return left.row() < right.row()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == HIT_ROLE:
            if not index.isValid() or not self._hits:
                return None
            return self.hit(self._source.summary_at(self.mapToSource(index).row()).id)
        return super().data(index, role)

    def _rank(self, source_row: int, far: int) -> int:
        found = self._hits.get(self._source.summary_at(source_row).id)
        return found[0] if found else far
