"""The composer: Enter sends, Shift+Enter breaks the line, Ctrl+Enter sends, Esc stops.

Send turns into Stop while a reply streams. Screenshots can be pasted (or files attached);
they wait as chips above the text until the message is sent.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.assistant.chat import MAX_IMAGES, Attachment

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


class ComposerEdit(QPlainTextEdit):
    """Text entry that turns Enter into send and pasted images into attachments."""

    sig_send = Signal()
    """Enter or Ctrl+Enter."""
    sig_stop = Signal()
    """Esc."""
    sig_image_pasted = Signal(object)
    """An image came in from the clipboard (an Attachment)."""

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
        super().insertFromMimeData(source)


class Composer(QWidget):
    sig_send = Signal(str, object)
    """The technician sends (text, list of Attachment)."""
    sig_stop = Signal()
    """Stop the reply that is streaming."""
    sig_regenerate = Signal()
    """Answer the last message again."""
    sig_open_settings = Signal()
    """Open Settings (to add the missing API key)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self._streaming = False
        self.attachments: list[Attachment] = []

        self.missing_key = QWidget(self)
        self.missing_key.setObjectName("missingKeyBanner")
        missing_layout = QHBoxLayout(self.missing_key)
        missing_layout.setContentsMargins(0, 0, 0, 0)
        self.missing_key_label = QLabel(
            "No Anthropic API key yet: the assistant can't answer until you add one. "
            "Everything else works.",
            self.missing_key,
        )
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
        self.chips.hide()

        self.edit = ComposerEdit(self)
        self.edit.setObjectName("composerEdit")
        self.edit.setAccessibleName("Message to the assistant")
        self.edit.setPlaceholderText(
            "Describe the problem or paste a screenshot…  (Enter sends, Shift+Enter new line)"
        )
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(84)

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
        layout.addWidget(self.edit)
        layout.addLayout(buttons)

        self.edit.sig_send.connect(self._send_or_stop_key)
        self.edit.sig_stop.connect(self._stop_key)
        self.edit.sig_image_pasted.connect(self.add_attachment)
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

    def set_api_key_missing(self, missing: bool) -> None:
        self.missing_key.setVisible(missing)

    def add_attachment(self, attachment: Attachment) -> None:
        images = sum(1 for a in self.attachments if a.kind == "image")
        if attachment.kind == "image" and images >= MAX_IMAGES:
            self._show_chips(f"At most {MAX_IMAGES} images per message.")
            return
        self.attachments.append(attachment)
        self._show_chips()

    def clear_attachments(self) -> None:
        self.attachments.clear()
        self._show_chips()

    def take_message(self) -> tuple[str, list[Attachment]]:
        text, attachments = self.edit.toPlainText(), list(self.attachments)
        self.edit.clear()
        self.clear_attachments()
        return text, attachments

    def restore_message(self, text: str, attachments: list[Attachment]) -> None:
        """Put back what could not be sent, so nothing typed is lost."""
        self.edit.setPlainText(text)
        self.attachments = list(attachments)
        self._show_chips()

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
        text, attachments = self.take_message()
        self.sig_send.emit(text, attachments)

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

    def _show_chips(self, note: str = "") -> None:
        names = ", ".join(f"📎 {a.name}" for a in self.attachments)
        text = "  ".join(part for part in (names, note) if part)
        self.chips.setText(text)
        self.chips.setVisible(bool(text))
        self.clear_attachments_button.setVisible(bool(self.attachments))
