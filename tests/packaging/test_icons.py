"""The one icon, rendered: every PNG size, a Windows .ico and a macOS .icns whose entries are
real PNGs of the size they claim (what packaging/render_icons.py writes and git holds)."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
ICONS = REPO / "resources" / "icons"


def _render_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_icons", REPO / "packaging" / "render_icons.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def render_icons() -> ModuleType:
    return _render_icons()


def test_every_png_size_is_committed(render_icons) -> None:
    for size in render_icons.SIZES:
        assert _png_size(render_icons.png_path(size).read_bytes()) == (size, size)


def test_the_ico_holds_16_to_256_as_pngs(render_icons) -> None:
    data = (ICONS / "flowpilot.ico").read_bytes()
    assert render_icons.read_ico_sizes(data) == list(render_icons.ICO_SIZES)
    for index, size in enumerate(render_icons.ICO_SIZES):
        length, offset = struct.unpack_from("<II", data, 6 + 16 * index + 8)
        assert _png_size(data[offset : offset + length]) == (size, size)


def test_the_icns_holds_every_slot_macos_reads(render_icons) -> None:
    data = (ICONS / "flowpilot.icns").read_bytes()
    kinds = render_icons.read_icns_types(data)
    assert kinds == [kind.decode() for kind, _pixels in render_icons.ICNS_TYPES]
    at = 8
    for _kind, pixels in render_icons.ICNS_TYPES:
        length = struct.unpack_from(">I", data, at + 4)[0]
        assert _png_size(data[at + 8 : at + length]) == (pixels, pixels)
        at += length


def test_the_writers_round_trip(render_icons) -> None:
    png16 = (ICONS / "flowpilot-16.png").read_bytes()
    png256 = (ICONS / "flowpilot-256.png").read_bytes()
    assert render_icons.read_ico_sizes(render_icons.ico_bytes({256: png256, 16: png16})) == [
        16,
        256,
    ]
    icns = render_icons.icns_bytes([(b"icp4", png16)])
    assert render_icons.read_icns_types(icns) == ["icp4"]
    with pytest.raises(ValueError):
        render_icons.read_icns_types(icns[:-1])
