"""The two labels every panel uses: a muted line of context, and a hidden error line that
shows why something was refused (styled by ``role`` in app.qss).

Both are plain text: they often carry outside text (a ticket field, a fact, an error message
from ConnectWise or the API), which must show as typed, never as markup.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


def meta_label(text: str, parent: QWidget, object_name: str = "") -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setProperty("role", "header-meta")
    label.setWordWrap(True)
    if object_name:
        label.setObjectName(object_name)
    return label


def error_label(parent: QWidget, object_name: str) -> QLabel:
    """Hidden until there is something to say; wraps."""
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setObjectName(object_name)
    label.setProperty("role", "error")
    label.setWordWrap(True)
    label.hide()
    return label
