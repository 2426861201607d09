"""Small helpers for driving the window like a user."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QWidget


def activate(qtbot, window: QWidget) -> None:
    """Make ``window`` the active window, as clicking it would.

    The offscreen platform does not hand activation back to the window after a dialog closes
    (a desktop window manager does), so tests re-activate it before the next shortcut.
    """

    def active() -> bool:
        if QApplication.activeWindow() is window:
            return True
        window.windowHandle().requestActivate()  # ask again: a closing dialog may have won
        return False

    qtbot.waitUntil(active, timeout=5000)
