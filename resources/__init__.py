"""Bundled resources (stylesheets, icons, prompt texts, demo data), found the same way in a
checkout, an installed wheel and a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """Absolute path of a bundled resource, e.g. ``resource_path("styles", "app.qss")``."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    root = Path(frozen_root) / "resources" if frozen_root else Path(__file__).parent
    return root.joinpath(*parts)
