"""The application's icon, from the PNGs packaging/render_icons.py renders from flowpilot.svg."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from resources import resource_path

ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def app_icon() -> QIcon:
    """Every rendered size, so the title bar, task bar and switcher each get a crisp pixmap
    instead of a scaled one; the SVG stands in only if the PNGs are missing."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = resource_path("icons", f"flowpilot-{size}.png")
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    if icon.isNull():
        icon = QIcon(str(resource_path("icons", "flowpilot.svg")))
    return icon
