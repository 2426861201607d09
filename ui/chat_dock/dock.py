"""The Chat dock. For now: the selected session's header and the empty conversation state;
the streaming conversation itself is built by the assistant issue."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QLabel, QVBoxLayout, QWidget

from flowpilot_desktop.sessions import SessionSummary
from ui.session_header import SessionHeader


class ChatDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Chat", parent)
        self.setObjectName("chatDock")
        self.setAccessibleName("Chat")
        body = QWidget(self)
        body.setObjectName("chatBody")
        self.header = SessionHeader("chat", body)
        self.empty_label = QLabel(body)
        self.empty_label.setObjectName("chatEmpty")
        self.empty_label.setProperty("role", "empty-state")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.empty_label, 1)
        self.setWidget(body)
        self.show_session(None)

    def show_session(self, summary: SessionSummary | None) -> None:
        self.header.show_session(summary)
        if summary is None:
            self.empty_label.setText(
                "Select or create a session to talk it through with the assistant."
            )
        else:
            self.empty_label.setText(
                "No messages yet.\n\nDescribe the problem the way the user did; the assistant "
                "will ask what it needs and the task lane will fill in as you go."
            )
