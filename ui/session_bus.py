"""The one hub that tells every dock what changed and which session is selected."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from flowpilot_desktop.changes import SessionChange
from flowpilot_desktop.sessions import SessionSummary


class SessionBus(QObject):
    """Docks listen here instead of reaching into each other."""

    sig_session_changed = Signal(object)
    """A service write changed a session (a SessionChange)."""
    sig_current_session_changed = Signal(object)
    """The selected session is now this SessionSummary, or None."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: SessionSummary | None = None

    @property
    def current(self) -> SessionSummary | None:
        return self._current

    def publish(self, change: SessionChange) -> None:
        """Announce a write; if it touched the selected session, keep `current` fresh."""
        if self._current is not None and change.session_id == self._current.id:
            self._current = change.summary or self._current
        self.sig_session_changed.emit(change)

    def select(self, summary: SessionSummary | None) -> None:
        if summary == self._current:
            return
        self._current = summary
        self.sig_current_session_changed.emit(summary)
