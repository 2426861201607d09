"""Qt's offscreen platform with a screen of a chosen size (its default is 800×800), so a
screenshot or a test shows the window as it opens on that monitor: a 1366×768 laptop, a
1920×1080 desktop. No Qt import: this is decided before Qt starts."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

SCREEN_SIZE = re.compile(r"^\s*(\d{3,5})\s*[xX×]\s*(\d{3,5})\s*$")


def parse_screen_size(text: str) -> tuple[int, int]:
    """``"1366x768"`` → ``(1366, 768)``; a clear ValueError for anything else."""
    match = SCREEN_SIZE.match(text)
    if not match:
        raise ValueError(f"a screen size looks like 1366x768, not {text!r}")
    width, height = int(match.group(1)), int(match.group(2))
    if not (320 <= width <= 16384 and 240 <= height <= 16384):
        raise ValueError(f"{width}x{height} is not a screen size FlowPilot can open on")
    return width, height


def offscreen_platform(width: int, height: int) -> str:
    """A ``QT_QPA_PLATFORM`` value: offscreen, one screen of ``width``×``height`` at 96 dpi."""
    config = Path(tempfile.mkdtemp(prefix="flowpilot-screen-")) / "screen.json"
    screen = {"name": "offscreen", "x": 0, "y": 0, "width": width, "height": height}
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpi": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"
