"""The two labels every panel uses: a muted line of context, and a hidden error line that
shows why something was refused (styled by ``role`` in app.qss)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget


def meta_label(text: str, parent: QWidget, object_name: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setProperty("role", "header-meta")
    label.setWordWrap(True)
    if object_name:
        label.setObjectName(object_name)
    return label


def error_label(parent: QWidget, object_name: str) -> QLabel:
    """Hidden until there is something to say; wraps."""
    label = QLabel(parent)
    label.setObjectName(object_name)
    label.setProperty("role", "error")
    label.setWordWrap(True)
    label.hide()
    return label
