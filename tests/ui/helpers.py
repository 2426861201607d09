"""Small helpers for driving the window like a user."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QWidget


def activate(qtbot, window: QWidget) -> None:
    """Make ``window`` the active window, as clicking it would.

    The offscreen platform does not hand activation back to the window after a dialog closes
    (a desktop window manager does), so tests re-activate it before the next shortcut.
    """
    window.windowHandle().requestActivate()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=2000)
