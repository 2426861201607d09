"""Small pieces the task lane's sections share (the script dialogs too): a one-line editor
that Enter submits and Esc cancels, and the copy-with-feedback button."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QLineEdit, QPushButton, QWidget

COPIED_FEEDBACK_MS = 1500


class InlineEditor(QLineEdit):
    """Enter submits the text, Esc cancels; Esc is taken before any window shortcut, and
    neither reaches a dialog's default button."""

    sig_submitted = Signal(str)
    sig_cancelled = Signal()

    def __init__(self, object_name: str, accessible_name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setAccessibleName(accessible_name)
        self.returnPressed.connect(lambda: self.sig_submitted.emit(self.text()))

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() == Qt.Key.Key_Escape
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.sig_cancelled.emit()
            return
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()  # submitted here: a dialog's default button must not fire too


def retire(widget: QWidget) -> None:
    """Take a rebuilt row off screen now and delete it later: it may be emitting the very
    signal that rebuilt the lane."""
    widget.hide()
    widget.deleteLater()


class CopyButton(QPushButton):
    """Copies a text to the clipboard and says "Copied" for a moment."""

    def __init__(self, text: str, accessible_name: str, parent: QWidget, object_name: str) -> None:
        super().__init__("Copy", parent)
        self.setObjectName(object_name)
        self.setAccessibleName(accessible_name)
        self._text = text
        self.clicked.connect(self._copy)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self._text)
        self.setText("Copied")
        QTimer.singleShot(COPIED_FEEDBACK_MS, self, lambda: self.setText("Copy"))
