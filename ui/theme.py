"""Colours and the application stylesheet (a calm dark theme from the web version's palette)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from resources import resource_path

ACCENT = "#60a5fa"
WARNING = "#fbbf24"
SUCCESS = "#34d399"
INFO = "#67e8f9"
DANGER = "#f87171"
MUTED = "#94a3b8"

_STATUS_COLOURS = {
    "active": ACCENT,
    "paused": MUTED,
    "resolved": SUCCESS,
    "resolved_local": SUCCESS,
    "escalated": WARNING,
    "escalated_local": WARNING,
}


def status_colour(status: str) -> QColor:
    return QColor(_STATUS_COLOURS.get(status, MUTED))


def set_style_property(widget: QWidget, name: str, value: object) -> None:
    """Set a property the style sheet selects on (``role``, ``mode``…) and restyle the
    widget: Qt does not re-apply style sheets when a dynamic property changes."""
    widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def apply_theme(app: QApplication) -> None:
    """Fusion style, a dark palette, and resources/styles/app.qss."""
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: "#0f172a",
        QPalette.ColorRole.WindowText: "#e2e8f0",
        QPalette.ColorRole.Base: "#111827",
        QPalette.ColorRole.AlternateBase: "#1e293b",
        QPalette.ColorRole.Text: "#e2e8f0",
        QPalette.ColorRole.PlaceholderText: "#94a3b8",
        QPalette.ColorRole.Button: "#1e293b",
        QPalette.ColorRole.ButtonText: "#e2e8f0",
        QPalette.ColorRole.Highlight: "#1d4ed8",
        QPalette.ColorRole.HighlightedText: "#f8fafc",
        QPalette.ColorRole.ToolTipBase: "#1e293b",
        QPalette.ColorRole.ToolTipText: "#e2e8f0",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Mid: "#334155",
        QPalette.ColorRole.Dark: "#0b1220",
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#64748b"))
    app.setPalette(palette)
    app.setStyleSheet(resource_path("styles", "app.qss").read_text(encoding="utf-8"))
