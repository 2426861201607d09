"""The title line both workspace docks show for the selected session."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from flowpilot_desktop.sessions import SessionSummary
from ui.sessions_dock.model import STATUS_LABELS


class SessionHeader(QWidget):
    """ "Title" over "#ticket · status"; says so when no session is selected."""

    def __init__(self, object_prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{object_prefix}Header")
        self.title_label = QLabel(self)
        self.title_label.setObjectName(f"{object_prefix}HeaderTitle")
        self.title_label.setProperty("role", "header-title")
        self.title_label.setWordWrap(True)
        self.meta_label = QLabel(self)
        self.meta_label.setObjectName(f"{object_prefix}HeaderMeta")
        self.meta_label.setProperty("role", "header-meta")
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.title_label)
        text.addWidget(self.meta_label)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.addLayout(text, 1)
        self.show_session(None)

    def show_session(self, summary: SessionSummary | None) -> None:
        if summary is None:
            self.title_label.setText("No session selected")
            self.meta_label.setText("Pick a session in the Sessions list, or start a new one.")
            return
        self.title_label.setText(summary.title)
        ticket = f"Ticket #{summary.ticket_ref}" if summary.ticket_ref else "No ticket linked"
        self.meta_label.setText(f"{ticket}  ·  {STATUS_LABELS.get(summary.status, summary.status)}")
