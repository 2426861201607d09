"""The one compact line over the conversation: the session's title, its ticket and status,
and the work time counted on it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QWidget

from flowpilot_desktop.sessions import SessionSummary
from ui.safe_text import plain_label
from ui.widgets.elided_label import ElidedLabel
from ui.widgets.status_text import SESSION_STATUS_LABELS


class SessionHeader(QWidget):
    """ "Title   #ticket · status" on one line (a long title ends in "…"); says so when no
    session is selected. One line, because every pixel of height is the conversation's on a
    1366×768 laptop: the chat dock uses it as its title bar."""

    def __init__(self, object_prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{object_prefix}Header")
        # the title may be a ticket summary from ConnectWise: plain text, one line ending in
        # "…" when long (the whole title is in its tooltip and in the Sessions list)
        self.title_label = ElidedLabel(self)
        self.title_label.setObjectName(f"{object_prefix}HeaderTitle")
        self.title_label.setProperty("role", "header-title")
        self.meta_label = plain_label("", self, f"{object_prefix}HeaderMeta")
        self.meta_label.setWordWrap(False)
        self.meta_label.setProperty("role", "header-meta")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 2)
        layout.setSpacing(12)
        layout.addWidget(self.title_label, 1)
        layout.addWidget(self.meta_label, 0, Qt.AlignmentFlag.AlignVCenter)
        self._summary: SessionSummary | None = None
        self._worked = ""  # the work time text of the shown session
        self.show_session(None)

    def show_session(self, summary: SessionSummary | None) -> None:
        if summary is None or (self._summary is not None and summary.id != self._summary.id):
            self._worked = ""  # another session's time is not this one's
        self._summary = summary
        if summary is None:
            self.title_label.setText("No session selected")
            self.meta_label.setText("Pick a session in the Sessions list, or start a new one.")
            return
        self.title_label.setText(summary.title)
        ticket = f"Ticket #{summary.ticket_ref}" if summary.ticket_ref else "No ticket linked"
        status = SESSION_STATUS_LABELS.get(summary.status, summary.status)
        worked = f"  ·  {self._worked}" if self._worked else ""
        self.meta_label.setText(f"{ticket}  ·  {status}{worked}")

    def show_work_time(self, session_id: str, seconds: float) -> None:
        """The active work counted on the shown session ("12 min worked")."""
        if self._summary is None or self._summary.id != session_id:
            return
        minutes = int(seconds // 60)
        self._worked = (
            f"{minutes // 60} h {minutes % 60:02d} min worked"
            if minutes >= 60
            else f"{minutes} min worked"
        )
        self.show_session(self._summary)
