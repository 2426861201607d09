"""Render resources/icons/flowpilot.svg to everything the app and the installers use: PNGs
(16-512, the window icon and the Linux desktop entry), flowpilot.ico (Windows: the .exe, the
installer, the uninstaller) and flowpilot.icns (macOS: the .app).

The outputs are committed, so neither the app nor a build depends on the SVG image plugin,
and small sizes can be checked by eye. Run it again after editing the SVG:

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py

The .ico and .icns are written here (both are a small index over PNG images): no Pillow.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SOURCE = ICONS / "flowpilot.svg"
SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_TYPES = (  # (type, pixels): the 1x and @2x slots macOS looks for
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)


def png_path(size: int) -> Path:
    return ICONS / f"flowpilot-{size}.png"


def render(renderer: QSvgRenderer, size: int) -> QImage:
    """The SVG drawn anti-aliased into a transparent ``size``-pixel square."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise OSError("could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An .ico holding each PNG as is (Windows Vista and later read PNG entries)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        images += data
        offset += len(data)
    return header + entries + images


def icns_bytes(entries: list[tuple[bytes, bytes]]) -> bytes:
    """An .icns: ``icns`` + total length, then (type, length, PNG) per entry, big-endian."""
    body = b"".join(kind + struct.pack(">I", 8 + len(data)) + data for kind, data in entries)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def read_ico_sizes(data: bytes) -> list[int]:
    """The pixel sizes an .ico lists (for the tests and a quick look)."""
    _reserved, kind, count = struct.unpack_from("<HHH", data)
    if kind != 1:
        raise ValueError("not an icon file")
    sizes = []
    for index in range(count):
        side = data[6 + 16 * index]
        sizes.append(side or 256)
    return sizes


def read_icns_types(data: bytes) -> list[str]:
    if data[:4] != b"icns" or struct.unpack_from(">I", data, 4)[0] != len(data):
        raise ValueError("not an icns file")
    kinds, at = [], 8
    while at < len(data):
        length = struct.unpack_from(">I", data, at + 4)[0]
        kinds.append(data[at : at + 4].decode("ascii"))
        at += length
    return kinds


def main() -> int:
    _app = QGuiApplication(sys.argv)  # QImage and QPainter want a GUI application
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"cannot read {SOURCE}", file=sys.stderr)
        return 1
    wanted = sorted({*SIZES, *ICO_SIZES, *(pixels for _kind, pixels in ICNS_TYPES)})
    pngs = {size: png_bytes(render(renderer, size)) for size in wanted}
    outputs = {png_path(size): pngs[size] for size in SIZES}
    outputs[ICONS / "flowpilot.ico"] = ico_bytes({size: pngs[size] for size in ICO_SIZES})
    outputs[ICONS / "flowpilot.icns"] = icns_bytes(
        [(kind, pngs[pixels]) for kind, pixels in ICNS_TYPES]
    )
    for target, data in outputs.items():
        target.write_bytes(data)
        print(f"wrote {target.relative_to(ICONS.parent.parent)} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
