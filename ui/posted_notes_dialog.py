"""The notes a concluded session posted to ConnectWise, read back (issue 19).

A note is the technician's edit of the model's draft, so it is outside text: rendered through
``set_safe_markdown`` (no raw HTML, no image, links only after confirming). Copy takes the
note's Markdown as it was posted.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.session_export import PostedNote, nested_headings
from ui.safe_text import COPIED_FEEDBACK_MS, connect_safe_links, plain_label, set_safe_markdown
from ui.widgets.labels import meta_label

PREFERRED_SIZE = (680, 560)  # at most: a short note gets a shorter dialog
MIN_HEIGHT = 260
TITLE_SCALE = 1.25
NOTE_HEADING_SHIFT = 2  # the note's "## Problem" shows as a level-4 heading, under the title
SCREEN_MARGIN = 40  # what the dialog leaves free around it on a small screen


class PostedNoteView(QFrame):
    """One note: what it is, where it went (ConnectWise id and time), the note, Copy."""

    def __init__(self, note: PostedNote, parent: QWidget) -> None:
        super().__init__(parent)
        self.note = note
        self.setObjectName("postedNote")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        title = plain_label(note.title, self, "postedNoteTitle")
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * TITLE_SCALE)  # above the note's own headings
        title.setFont(font)
        self.where_label = meta_label(note.where, self, "postedNoteWhere")
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setObjectName("postedNoteCopy")
        self.copy_button.setAccessibleName(f"Copy the {note.title.lower()}")
        self.copy_button.setToolTip("Copy the note's Markdown, as it was posted")
        self.copy_button.clicked.connect(self.copy)
        self.text_label = QLabel(self)
        self.text_label.setObjectName("postedNoteText")
        self.text_label.setAccessibleName(note.title)
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
            | Qt.TextInteractionFlag.LinksAccessibleByMouse
        )
        set_safe_markdown(self.text_label, nested_headings(note.markdown, NOTE_HEADING_SHIFT))
        self._links = connect_safe_links(self.text_label)
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.where_label)
        layout.addWidget(self.text_label)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.note.markdown)
        self.copy_button.setText("Copied")
        QTimer.singleShot(COPIED_FEEDBACK_MS, self.copy_button, self._copied_done)

    def _copied_done(self) -> None:
        self.copy_button.setText("Copy")


class PostedNotesDialog(QDialog):
    """The notes one session ended with (resolution note, escalation package), each with
    where it went; Close or Esc leaves."""

    def __init__(
        self, session_title: str, notes: list[PostedNote], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("postedNotesDialog")
        self.setWindowTitle(f"Posted notes — {session_title}")
        self.setAccessibleName("Notes posted for this session")
        content = QWidget(self)
        content.setObjectName("postedNotesContent")
        column = QVBoxLayout(content)
        self.views = [PostedNoteView(note, content) for note in notes]
        for view in self.views:
            column.addWidget(view)
        if not notes:
            column.addWidget(
                plain_label(
                    "No note was written for this session yet.", content, "postedNotesEmpty"
                )
            )
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("postedNotesScroll")
        scroll.setAccessibleName("Posted notes")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("postedNotesClose")
        close.setAccessibleName("Close the posted notes")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self._fit(parent, content, buttons)
        if self.views:
            self.views[0].copy_button.setFocus()

    def _fit(self, parent: QWidget | None, content: QWidget, buttons: QWidget) -> None:
        """As tall as the notes need, up to the preferred size, and never larger than the
        screen the window is on (the notes scroll beyond that)."""
        width, most = PREFERRED_SIZE
        margins = self.layout().contentsMargins()
        chrome = margins.top() + margins.bottom() + self.layout().spacing()
        inner = width - margins.left() - margins.right()
        needed = content.heightForWidth(inner) if content.hasHeightForWidth() else -1
        needed = needed if needed > 0 else content.sizeHint().height()
        height = max(MIN_HEIGHT, min(most, needed + buttons.sizeHint().height() + chrome))
        screen = (parent or self).screen()
        if screen is not None:
            free = screen.availableGeometry()
            width = min(width, free.width() - SCREEN_MARGIN)
            height = min(height, free.height() - SCREEN_MARGIN)
        self.resize(width, height)
