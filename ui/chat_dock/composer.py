"""The composer: Enter sends, Shift+Enter breaks the line, Ctrl+Enter sends, Esc stops.

Send turns into Stop while a reply streams. Screenshots can be pasted (or files attached);
they wait as chips above the text until the message is sent. A paste too long for a message
becomes a text attachment. Before anything is sent, the mask notice says how many credentials
will be masked (the masked text is viewable) and offers "Send unmasked" for this message.
"""

from __future__ import annotations

import mimetypes
from collections import Counter
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.assistant.attachments import MAX_MESSAGE_CHARS
from flowpilot_desktop.assistant.chat import MAX_IMAGES, Attachment
from flowpilot_desktop.assistant.outgoing import Outgoing
from ui.masking import mark_placeholders

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
DRAFT_CHECK_DELAY_MS = 300  # the mask notice follows typing, not every keystroke
PASTED_TEXT_NAME = "pasted-text.txt"
MISSING_KEY_TEXT = (
    "No Anthropic API key yet: the assistant can't answer until you add one. Everything else works."
)


class ComposerEdit(QPlainTextEdit):
    """Text entry that turns Enter into send and pasted images into attachments."""

    sig_send = Signal()
    """Enter or Ctrl+Enter."""
    sig_stop = Signal()
    """Esc."""
    sig_image_pasted = Signal(object)
    """An image came in from the clipboard (an Attachment)."""
    sig_long_text_pasted = Signal(str)
    """A paste longer than a message may be: it becomes a text attachment instead."""

    MIN_LINES, MAX_LINES = 2, 8
    """Two lines while empty (room for the conversation on a laptop), growing with what is
    typed up to eight, then it scrolls."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._fit_height()

    def _fit_height(self, *_args: object) -> None:
        # A plain text document's layout measures its height in lines (wrapped lines count).
        lines = int(self.document().documentLayout().documentSize().height())
        lines = max(self.MIN_LINES, min(self.MAX_LINES, lines))
        margins = self.contentsMargins()
        chrome = 2 * (self.frameWidth() + self.document().documentMargin())
        height = lines * self.fontMetrics().lineSpacing() + chrome + margins.top()
        self.setFixedHeight(int(height + margins.bottom()) + 2)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_height()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.sig_send.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.sig_stop.emit()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return source.hasImage() or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasImage():
            image = QImage(source.imageData())
            if not image.isNull():
                data = QByteArray()
                buffer = QBuffer(data)
                buffer.open(QIODevice.OpenModeFlag.WriteOnly)
                image.save(buffer, "PNG")
                self.sig_image_pasted.emit(
                    Attachment("pasted-screenshot.png", bytes(data.data()), "image/png")
                )
                return
        if source.hasText() and len(source.text()) + len(self.toPlainText()) > MAX_MESSAGE_CHARS:
            self.sig_long_text_pasted.emit(source.text())
            return
        super().insertFromMimeData(source)


class Composer(QWidget):
    sig_send = Signal(str, object, bool)
    """The technician sends (text, list of Attachment, send unmasked)."""
    sig_stop = Signal()
    """Stop the reply that is streaming."""
    sig_regenerate = Signal()
    """Answer the last message again."""
    sig_open_settings = Signal()
    """Open Settings (to add the missing API key)."""
    sig_draft_changed = Signal(str, object)
    """The message being written settled (text, attachments): check what Send would mask."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self._streaming = False
        self.attachments: list[Attachment] = []
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_CHECK_DELAY_MS)
        self._draft_timer.timeout.connect(self._emit_draft)

        self.missing_key = QWidget(self)
        self.missing_key.setObjectName("missingKeyBanner")
        missing_layout = QHBoxLayout(self.missing_key)
        missing_layout.setContentsMargins(0, 0, 0, 0)
        self.missing_key_label = QLabel(MISSING_KEY_TEXT, self.missing_key)
        self.missing_key_label.setTextFormat(Qt.TextFormat.PlainText)
        self.missing_key_label.setWordWrap(True)
        self.missing_key_label.setProperty("role", "warning")
        self.settings_button = QPushButton("Open Settings", self.missing_key)
        self.settings_button.setObjectName("composerOpenSettings")
        self.settings_button.setAccessibleName("Open Settings to add the API key")
        self.settings_button.clicked.connect(self.sig_open_settings)
        missing_layout.addWidget(self.missing_key_label, 1)
        missing_layout.addWidget(self.settings_button)
        self.missing_key.hide()

        self.chips = QLabel(self)
        self.chips.setObjectName("attachmentChips")
        self.chips.setProperty("role", "header-meta")
        self.chips.setTextFormat(Qt.TextFormat.PlainText)
        self.chips.setWordWrap(True)
        self.chips.hide()

        self.mask_notice = MaskNotice(self)

        self.edit = ComposerEdit(self)
        self.edit.setObjectName("composerEdit")
        self.edit.setAccessibleName("Message to the assistant")
        self.edit.setPlaceholderText(
            "Describe the problem or paste a screenshot…  (Enter sends, Shift+Enter new line)"
        )
        self.edit.setTabChangesFocus(True)

        self.regenerate_button = QPushButton("Regenerate", self)
        self.regenerate_button.setObjectName("composerRegenerate")
        self.regenerate_button.setAccessibleName("Regenerate the last reply")
        self.attach_button = QPushButton("Attach…", self)
        self.attach_button.setObjectName("composerAttach")
        self.attach_button.setAccessibleName("Attach screenshots or log files")
        self.clear_attachments_button = QPushButton("Remove attachments", self)
        self.clear_attachments_button.setObjectName("composerClearAttachments")
        self.clear_attachments_button.setAccessibleName("Remove attachments")
        self.clear_attachments_button.hide()
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("composerSend")
        self.send_button.setAccessibleName("Send message")
        self.send_button.setProperty("role", "primary")

        buttons = QHBoxLayout()
        # Regenerate sits on the left, far from Send/Stop, so it is never clicked by mistake.
        buttons.addWidget(self.regenerate_button)
        buttons.addWidget(self.attach_button)
        buttons.addWidget(self.clear_attachments_button)
        buttons.addStretch(1)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 10)
        layout.addWidget(self.missing_key)
        layout.addWidget(self.chips)
        layout.addWidget(self.mask_notice)
        layout.addWidget(self.edit)
        layout.addLayout(buttons)

        self.edit.sig_send.connect(self._send_or_stop_key)
        self.edit.sig_stop.connect(self._stop_key)
        self.edit.sig_image_pasted.connect(self.add_attachment)
        self.edit.sig_long_text_pasted.connect(self._attach_long_paste)
        self.edit.textChanged.connect(self._draft_timer.start)
        self.send_button.clicked.connect(self._send_or_stop)
        self.regenerate_button.clicked.connect(self.sig_regenerate)
        self.attach_button.clicked.connect(self.choose_files)
        self.clear_attachments_button.clicked.connect(self.clear_attachments)
        self.set_can_regenerate(False)

    # ---- Public API

    def set_streaming(self, streaming: bool) -> None:
        self._streaming = streaming
        self.send_button.setText("Stop" if streaming else "Send")
        self.send_button.setAccessibleName("Stop the reply" if streaming else "Send message")
        self.regenerate_button.setEnabled(not streaming and self._can_regenerate)

    @property
    def streaming(self) -> bool:
        return self._streaming

    def set_can_regenerate(self, possible: bool) -> None:
        self._can_regenerate = possible
        self.regenerate_button.setEnabled(possible and not self._streaming)

    def set_session_available(self, available: bool) -> None:
        """Writing needs a session; the missing-key notice and its Open Settings button do not."""
        for widget in (
            self.edit,
            self.regenerate_button,
            self.attach_button,
            self.clear_attachments_button,
            self.send_button,
        ):
            widget.setEnabled(available)
        if available:
            self.set_can_regenerate(self._can_regenerate)

    def set_api_key_missing(self, missing: bool, reason: str = "") -> None:
        """Say the assistant can't answer: no key yet, or why the key can't be read."""
        self.missing_key_label.setText(reason or MISSING_KEY_TEXT)
        self.missing_key.setVisible(missing)

    def add_attachment(self, attachment: Attachment, note: str = "") -> None:
        images = sum(1 for a in self.attachments if a.kind == "image")
        if attachment.kind == "image" and images >= MAX_IMAGES:
            self._show_chips(f"At most {MAX_IMAGES} images per message.")
            return
        self.attachments.append(attachment)
        self._show_chips(note)
        self._draft_timer.start()

    def clear_attachments(self) -> None:
        self.attachments.clear()
        self._show_chips()
        self._draft_timer.start()

    @property
    def send_unmasked(self) -> bool:
        """The technician chose to send this message's detector findings as they are."""
        return self.mask_notice.unmasked_check.isChecked()

    def take_message(self) -> tuple[str, list[Attachment]]:
        text, attachments = self.edit.toPlainText(), list(self.attachments)
        self.edit.clear()
        self.clear_attachments()
        self.mask_notice.reset()
        return text, attachments

    def restore_message(
        self, text: str, attachments: list[Attachment], unmasked: bool = False
    ) -> None:
        """Put back what could not be sent, so nothing typed is lost (nor the choice to send
        it unmasked)."""
        self.edit.setPlainText(text)
        self.attachments = list(attachments)
        self._show_chips()
        self.mask_notice.unmasked_check.setChecked(unmasked)
        self._draft_timer.start()

    def show_outgoing(self, outgoing: Outgoing | None) -> None:
        """What Send would mask in the message as it is now (None: nothing to say)."""
        self.mask_notice.show_outgoing(outgoing)

    def show_problem(self, message: str) -> None:
        """Why the message as written can't be sent (too long, a file FlowPilot can't send)."""
        self.chips.setText(message)
        self.chips.show()

    # ---- Private

    def _send_or_stop_key(self) -> None:
        if not self._streaming:
            self._send()

    def _stop_key(self) -> None:
        if self._streaming:
            self.sig_stop.emit()

    def _send_or_stop(self) -> None:
        if self._streaming:
            self.sig_stop.emit()
        else:
            self._send()

    def _send(self) -> None:
        if not self.edit.toPlainText().strip() and not self.attachments:
            return
        unmasked = self.send_unmasked
        text, attachments = self.take_message()
        self.sig_send.emit(text, attachments, unmasked)

    def choose_files(self) -> None:
        dialog = QFileDialog(self, "Attach screenshots or log files")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilters(
            [
                "Screenshots and logs (*.png *.jpg *.jpeg *.gif *.webp *.log *.txt *.csv *.json)",
                "All files (*)",
            ]
        )
        dialog.filesSelected.connect(self.attach_files)
        dialog.open()

    def attach_files(self, paths: list[str]) -> None:
        for name in paths:
            path = Path(name)
            try:
                if path.stat().st_size > MAX_ATTACHMENT_BYTES:
                    self._show_chips(f"{path.name} is larger than 20 MB and was not attached.")
                    continue
                data = path.read_bytes()
            except OSError as error:
                self._show_chips(f"Could not read {path.name}: {error.strerror}")
                continue
            self.add_attachment(
                Attachment(path.name, data, mimetypes.guess_type(path.name)[0] or "")
            )

    def _attach_long_paste(self, text: str) -> None:
        self.add_attachment(
            Attachment(PASTED_TEXT_NAME, text.encode("utf-8"), "text/plain"),
            f"The pasted text ({len(text):,} characters) is attached as {PASTED_TEXT_NAME}: "
            f"a message holds up to {MAX_MESSAGE_CHARS:,} characters.",
        )

    def _emit_draft(self) -> None:
        self.sig_draft_changed.emit(self.edit.toPlainText(), list(self.attachments))

    def _show_chips(self, note: str = "") -> None:
        names = ", ".join(f"📎 {a.name}" for a in self.attachments)
        text = "  ".join(part for part in (names, note) if part)
        self.chips.setText(text)
        self.chips.setVisible(bool(text))
        self.clear_attachments_button.setVisible(bool(self.attachments))


class MaskNotice(QWidget):
    """ "2 credentials will be masked": the masked text on View, and "Send unmasked" (for this
    message only) when a detector took something harmless for a credential."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("maskNotice")
        self.label = QLabel(self)
        self.label.setObjectName("maskNoticeLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setProperty("role", "warning")
        self.view_button = QPushButton("View masked text", self)
        self.view_button.setObjectName("maskViewButton")
        self.view_button.setAccessibleName("View the message as it will be sent, masked")
        self.view_button.setCheckable(True)
        self.unmasked_check = QCheckBox("Send unmasked", self)
        self.unmasked_check.setObjectName("maskUnmaskedCheck")
        self.unmasked_check.setAccessibleName(
            "Send this message unmasked: only for something that is not a credential"
        )
        self.unmasked_check.setToolTip(
            "Only for this message, when what was found is not a credential. Secrets FlowPilot "
            "itself keeps (API keys, template secrets) are masked all the same."
        )
        self.preview = QPlainTextEdit(self)
        self.preview.setObjectName("maskPreview")
        self.preview.setAccessibleName("The message as it will be sent")
        self.preview.setReadOnly(True)
        self.preview.setTabChangesFocus(True)
        self.preview.setMaximumHeight(140)
        self.preview.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.view_button)
        row.addWidget(self.unmasked_check)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.addLayout(row)
        layout.addWidget(self.preview)
        self.view_button.toggled.connect(self.preview.setVisible)
        self.unmasked_check.toggled.connect(self._describe)
        self._outgoing: Outgoing | None = None
        self.hide()

    def show_outgoing(self, outgoing: Outgoing | None) -> None:
        self._outgoing = outgoing if outgoing is not None and outgoing.masked_count else None
        if self._outgoing is None:
            self.reset()
            return
        self._describe()
        self.preview.setPlainText(self._outgoing.text)
        mark_placeholders(
            self.preview,
            self._outgoing.text,
            [(m.start, m.end) for m in self._outgoing.masked_in_text],
        )
        self.show()

    def reset(self) -> None:
        self._outgoing = None
        self.unmasked_check.setChecked(False)
        self.view_button.setChecked(False)
        self.preview.clear()
        self.hide()

    def _describe(self) -> None:
        outgoing = self._outgoing
        if outgoing is None:
            return
        count = outgoing.masked_count
        kinds = Counter(m.kind for m in outgoing.masked_in_text)
        what = ", ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in kinds.items())
        files = ", ".join(outgoing.masked_in_attachments)
        where = "; ".join(part for part in (what, f"in {files}" if files else "") if part)
        noun = "credential" if count == 1 else "credentials"
        if self.unmasked_check.isChecked():
            self.label.setText(f"{count} {noun} will be sent UNMASKED ({where}).")
        else:
            self.label.setText(f"{count} {noun} will be masked ({where}).")
        self.label.setAccessibleName(self.label.text())
