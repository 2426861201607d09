"""The linked ConnectWise ticket at the top of the chat: what the technician is working on.

Every field comes from ConnectWise (or its error message): all shown as plain text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from flowpilot_desktop.tickets import TicketSnapshot
from ui.safe_text import plain_text, plain_tooltip
from ui.theme import set_style_property
from ui.widgets.wrapping import breakable

DESCRIPTION_PREVIEW_CHARS = 220


class TicketCard(QFrame):
    """#ticket · summary; company · contact · board · status; the description's start.

    Without a snapshot it says why (not fetched yet, offline, not set up) and offers Fetch.
    """

    sig_fetch = Signal()
    """Fetch (or refresh) the ticket from ConnectWise."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ticketCard")
        self.setAccessibleName("Linked ticket")
        self.title_label = plain_text(QLabel(self))
        self.title_label.setObjectName("ticketCardTitle")
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta_label = plain_text(QLabel(self))
        self.meta_label.setObjectName("ticketCardMeta")
        self.meta_label.setProperty("role", "header-meta")
        self.meta_label.setWordWrap(True)
        self.description_label = plain_text(QLabel(self))
        self.description_label.setObjectName("ticketCardDescription")
        self.description_label.setWordWrap(True)
        # two lines at most: every pixel of height is the conversation's (the tooltip has all)
        lines = self.description_label.fontMetrics().lineSpacing()
        self.description_label.setMaximumHeight(2 * lines + 2)
        self.fetch_button = QPushButton("Fetch", self)
        self.fetch_button.setObjectName("ticketCardFetch")
        self.fetch_button.setAccessibleName("Fetch the ticket from ConnectWise")
        self.fetch_button.clicked.connect(self.sig_fetch)
        top = QHBoxLayout()
        top.addWidget(self.title_label, 1)
        top.addWidget(self.fetch_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 8)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.meta_label)
        layout.addWidget(self.description_label)
        self.hide()

    def show_ticket(
        self,
        ticket_ref: str | None,
        snapshot: TicketSnapshot | None,
        problem: str | None = None,
        *,
        is_error: bool = True,
    ) -> None:
        """The ticket as last fetched; ``problem`` says why it could not be fetched (in red
        unless it is only that ConnectWise is not set up yet)."""
        if not ticket_ref:
            self.hide()
            return
        self.fetch_button.setEnabled(True)
        set_style_property(
            self.meta_label, "role", "error" if problem and is_error else "header-meta"
        )
        if not snapshot:
            self.title_label.setText(f"Ticket #{ticket_ref}")
            self.meta_label.setText(breakable(problem or "Not fetched from ConnectWise yet."))
            self.description_label.hide()
            self.fetch_button.setText("Fetch")
        else:
            self.title_label.setText(
                breakable(f"#{ticket_ref} · {snapshot.summary or '(no summary)'}")
            )
            parts = [snapshot.company, snapshot.contact, snapshot.board, snapshot.status]
            meta = " · ".join(part for part in parts if part)
            if problem:
                meta += f"\nCould not refresh: {problem}"
            self.meta_label.setText(breakable(meta))
            description = " ".join(snapshot.description.split())
            self.description_label.setVisible(bool(description))
            short = description[:DESCRIPTION_PREVIEW_CHARS]
            self.description_label.setText(
                breakable(short + ("…" if len(description) > len(short) else ""))
            )
            self.description_label.setToolTip(
                plain_tooltip(description) if len(description) > len(short) else ""
            )
            self.fetch_button.setText("Refresh")
        self.show()

    def show_fetching(self) -> None:
        self.fetch_button.setEnabled(False)
        self.meta_label.setText("Fetching the ticket from ConnectWise…")
        set_style_property(self.meta_label, "role", "header-meta")
