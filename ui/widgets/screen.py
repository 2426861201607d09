"""The screen a window opens on, in one place so the laptop-size tests can stand in for it."""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget


def available_geometry(widget: QWidget) -> QRect:
    """The free area (no task bar, no dock) of the screen ``widget`` opens on; an empty
    rectangle when there is no screen at all."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen is not None else QRect()
