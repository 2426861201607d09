"""The preview of the resolution note or escalation package: read, edit, Confirm & post.

The dialog only shows and collects; the conclusion controller generates the preview, decides
when it is stale and posts. While the dialog is open, a change to the session schedules an
automatic refresh 500 ms after the last change — unless the technician has edited the text,
which is never replaced without asking: the dialog says the session changed and offers Refresh.

Masked values (``[password #1]``) are highlighted; a credential typed or pasted into the note
is counted as the technician writes ("1 credential will be masked when posted"), because the
outbound scrubber masks it before the note is queued.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.conclusion import NoteKind
from flowpilot_desktop.conclusion.preview import Preview
from ui.masking import mark_placeholders, placeholder_spans
from ui.safe_text import connect_safe_links, markdown_to_safe_html
from ui.theme import set_style_property
from ui.widgets.labels import error_label

AUTO_REFRESH_DELAY_MS = 500
MASK_CHECK_DELAY_MS = 300
TITLES = {NoteKind.RESOLUTION: "Resolution note", NoteKind.ESCALATION: "Escalation package"}


class PreviewDialog(QDialog):
    sig_refresh = Signal(bool)
    """Generate the preview again: True for Refresh (always writes it again), False for the
    automatic refresh (the cache answers when the session's state_version did not move)."""
    sig_confirm = Signal(str)
    """Confirm & post this text."""
    sig_text_settled = Signal(str)
    """The technician paused editing: check what posting would mask in this text."""

    def __init__(
        self, kind: NoteKind, title: str, destination: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.session_id = ""
        self.setObjectName("previewDialog")
        self.setWindowTitle(f"{TITLES[kind]} — {title}")
        self.setAccessibleName(f"{TITLES[kind]} preview")
        self.resize(720, 620)
        self._shown_text = ""  # what the last preview put in the editor
        self._generating = False

        heading = QLabel(TITLES[kind], self)
        heading.setProperty("role", "header-title")
        self.destination_label = QLabel(destination, self)
        self.destination_label.setObjectName("previewDestination")
        self.destination_label.setTextFormat(Qt.TextFormat.PlainText)  # ConnectWise status names
        self.destination_label.setWordWrap(True)
        self.notice_label = QLabel(self)
        self.notice_label.setObjectName("previewNotice")
        self.notice_label.setTextFormat(Qt.TextFormat.PlainText)
        self.notice_label.setProperty("role", "header-meta")
        self.notice_label.setWordWrap(True)
        self.origin_chip = QLabel(self)
        self.origin_chip.setObjectName("previewOrigin")
        self.origin_chip.setTextFormat(Qt.TextFormat.PlainText)
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("previewEditor")
        self.editor.setAccessibleName(f"{TITLES[kind]} text, editable")
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlaceholderText("Writing the note…")
        self.editor.setTabChangesFocus(True)  # a Tab never lands in the note that is posted
        self.editor.textChanged.connect(self._text_changed)
        # Read as it will look (rendered, raw HTML shown as text); Edit (Ctrl+E) to change it
        self.rendered = QTextBrowser(self)
        self.rendered.setObjectName("previewRendered")
        self.rendered.setAccessibleName(f"{TITLES[kind]} as it will read")
        self.rendered.setOpenLinks(False)
        self.rendered.setOpenExternalLinks(False)
        connect_safe_links(self.rendered)
        self._pages = QStackedWidget(self)
        self._pages.addWidget(self.rendered)
        self._pages.addWidget(self.editor)
        self.edit_toggle = QPushButton("&Edit  (Ctrl+E)", self)
        self.edit_toggle.setObjectName("previewEditToggle")
        self.edit_toggle.setAccessibleName("Edit the note, or show it as it will read")
        self.edit_toggle.setCheckable(True)
        self.edit_toggle.setAutoDefault(False)
        self.edit_toggle.toggled.connect(self._show_editor)
        self.mask_label = QLabel(self)
        self.mask_label.setObjectName("previewMaskNotice")
        self.mask_label.setTextFormat(Qt.TextFormat.PlainText)
        self.mask_label.setProperty("role", "warning")
        self.mask_label.setWordWrap(True)
        self.mask_label.hide()
        self.error_label = error_label(self, "previewError")

        self.refresh_button = QPushButton("&Refresh", self)
        self.refresh_button.setObjectName("previewRefresh")
        self.refresh_button.setAccessibleName("Refresh the preview")
        self.refresh_button.setToolTip("Write the note again from the session (F5)")
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(lambda: self.request_refresh())
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("previewCancel")
        self.cancel_button.setAccessibleName("Cancel, post nothing")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.confirm_button = QPushButton("Confirm && post", self)
        self.confirm_button.setObjectName("previewConfirm")
        self.confirm_button.setAccessibleName("Confirm and post")
        self.confirm_button.setToolTip("Ctrl+Enter")
        self.confirm_button.setProperty("role", "primary")
        self.confirm_button.setAutoDefault(False)
        self.confirm_button.clicked.connect(self.confirm)

        top = QHBoxLayout()
        top.addWidget(heading, 1)
        top.addWidget(self.origin_chip)
        top.addWidget(self.edit_toggle)
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.confirm_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.destination_label)
        layout.addWidget(self.notice_label)
        layout.addWidget(self._pages, 1)
        layout.addWidget(self.mask_label)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.confirm)
        QShortcut(QKeySequence("F5"), self, self.request_refresh)
        QShortcut(QKeySequence("Ctrl+E"), self, self.edit_toggle.toggle)
        self._auto_refresh = QTimer(self)
        self._auto_refresh.setSingleShot(True)
        self._auto_refresh.setInterval(AUTO_REFRESH_DELAY_MS)
        self._auto_refresh.timeout.connect(self._auto_refresh_due)
        self._mask_check = QTimer(self)
        self._mask_check.setSingleShot(True)
        self._mask_check.setInterval(MASK_CHECK_DELAY_MS)
        self._mask_check.timeout.connect(
            lambda: self.sig_text_settled.emit(self.editor.toPlainText())
        )
        self.set_generating()

    # ---- What the controller tells it

    @property
    def edited(self) -> bool:
        return self.editor.toPlainText() != self._shown_text

    def set_generating(self) -> None:
        self._generating = True
        self.confirm_button.setEnabled(False)
        self.refresh_button.setEnabled(False)
        self.origin_chip.setText("writing…")
        set_style_property(self.origin_chip, "origin", "writing")

    def show_preview(self, preview: Preview) -> None:
        self._generating = False
        self._shown_text = preview.text
        self.editor.setPlainText(preview.text)
        self._pages.currentWidget().setFocus()
        self.confirm_button.setEnabled(True)
        self.refresh_button.setEnabled(True)
        origin = "cached" if preview.cached else "fresh"
        self.origin_chip.setText(
            origin + (" · composed locally" if preview.composed_locally else "")
        )
        set_style_property(self.origin_chip, "origin", origin)
        self.origin_chip.setAccessibleName(f"Preview is {self.origin_chip.text()}")
        self.notice_label.setText(
            f"Composed by FlowPilot from the session: {preview.local_reason}."
            if preview.composed_locally and preview.local_reason
            else ""
        )
        self.notice_label.setVisible(bool(self.notice_label.text()))

    def show_masking(self, text: str, newly_masked: int) -> None:
        """How many credentials in ``text`` (the editor's text when checked) posting masks."""
        if text != self.editor.toPlainText():
            return  # the technician typed on since: a newer check follows
        noun = "credential" if newly_masked == 1 else "credentials"
        self.mask_label.setText(
            f"{newly_masked} {noun} in the note will be masked when posted." if newly_masked else ""
        )
        self.mask_label.setVisible(bool(newly_masked))

    def show_error(self, message: str) -> None:
        self._generating = False
        self.error_label.setText(message)
        self.error_label.show()
        self.refresh_button.setEnabled(True)
        self.confirm_button.setEnabled(bool(self.editor.toPlainText().strip()))

    def session_changed(self) -> None:
        """The session moved while the preview is open: refresh 500 ms after the last change."""
        self._auto_refresh.start()

    def set_posting(self) -> None:
        self.error_label.hide()
        self.confirm_button.setEnabled(False)
        self.confirm_button.setText("Posting…")

    def posting_failed(self, message: str) -> None:
        self.confirm_button.setText("Confirm && post")
        self.show_error(message)

    # ---- Actions

    def request_refresh(self, forced: bool = True) -> None:
        if self._generating:
            return
        self.error_label.hide()
        self.notice_label.hide()
        self.set_generating()
        self.sig_refresh.emit(forced)

    def confirm(self) -> None:
        text = self.editor.toPlainText()
        if self._generating or not self.confirm_button.isEnabled():
            return
        if not text.strip():
            self.show_error("The note is empty: write something to post, or Cancel.")
            return
        self.set_posting()
        self.sig_confirm.emit(text)

    def _auto_refresh_due(self) -> None:
        if self.edited:
            self.notice_label.setText(
                "The session changed since this preview was written. Refresh (F5) writes it "
                "again and replaces your edits."
            )
            self.notice_label.show()
            return
        self.request_refresh(forced=False)

    def _show_editor(self, editing: bool) -> None:
        self._pages.setCurrentWidget(self.editor if editing else self.rendered)
        self._pages.currentWidget().setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _text_changed(self) -> None:
        text = self.editor.toPlainText()
        mark_placeholders(self.editor, text, placeholder_spans(text))
        self.rendered.setHtml(markdown_to_safe_html(text))
        if not self._generating:
            self.confirm_button.setEnabled(bool(text.strip()))
            self._mask_check.start()

    def keyPressEvent(self, event) -> None:  # noqa: ANN001 - Qt override
        # Enter in the editor is a new line, never "press the default button"
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            return
        super().keyPressEvent(event)
