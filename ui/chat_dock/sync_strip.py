"""Where the session's resolution note or escalation package stands in ConnectWise."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from flowpilot_desktop.conclusion.posting import SyncState, SyncView
from ui.safe_text import plain_label, plain_text

STATE_LABELS = {
    SyncState.LOCAL: "Local",
    SyncState.QUEUED: "Queued",
    SyncState.POSTING: "Posting",
    SyncState.RETRYING: "Will retry",
    SyncState.POSTED: "Posted",
    SyncState.FAILED: "Failed",
}


class SyncStrip(QFrame):
    """One line per concluded note: a state chip, what happened, and Retry / Open ticket."""

    sig_retry = Signal(str)
    """Retry this outbox job now."""
    sig_open_ticket = Signal(str)
    """Open this ticket in ConnectWise (ticket number)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncStrip")
        self.setAccessibleName("ConnectWise sync")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(12, 4, 12, 6)
        self._layout.setSpacing(4)
        self.rows: list[QWidget] = []
        self.hide()

    def show_views(self, views: list[SyncView]) -> None:
        for row in self.rows:
            row.deleteLater()
        self.rows = [self._row(view) for view in views]
        for row in self.rows:
            self._layout.addWidget(row)
            row.show()
        self.setVisible(bool(views))

    def _row(self, view: SyncView) -> QWidget:
        row = QFrame(self)
        row.setObjectName("syncRow")
        row.setProperty("syncState", view.state.value)
        chip = plain_text(QLabel(STATE_LABELS[view.state], row))
        chip.setObjectName("syncChip")
        chip.setProperty("syncState", view.state.value)
        text = plain_label(view.headline, row, "syncText")  # may carry a ConnectWise error
        row.setAccessibleName(f"{STATE_LABELS[view.state]}: {view.headline}")
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(chip, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(text, 1)
        if view.retry_job_id and view.state in (SyncState.FAILED, SyncState.RETRYING):
            retry = QPushButton("Retry now" if view.state is SyncState.RETRYING else "Retry", row)
            retry.setObjectName("syncRetry")
            retry.setAccessibleName("Retry posting to ConnectWise")
            job_id = view.retry_job_id
            retry.clicked.connect(lambda: self.sig_retry.emit(job_id))
            layout.addWidget(retry)
        if view.state is SyncState.FAILED and view.ticket_ref:
            ticket = view.ticket_ref
            open_button = QPushButton("Open ticket", row)
            open_button.setObjectName("syncOpenTicket")
            open_button.setAccessibleName(f"Open ticket {ticket} in ConnectWise")
            open_button.clicked.connect(lambda: self.sig_open_ticket.emit(ticket))
            layout.addWidget(open_button)
        return row
