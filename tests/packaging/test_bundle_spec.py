"""What build.spec leaves out (and keeps) of the bundle, the Windows version resource, and the
macOS Info.plist's flowpilot:// URL type, checked without running PyInstaller."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "packaging"))

from bundle_pruning import keep_entry, prune_unneeded_libraries  # noqa: E402
from version_info import version_text, version_tuple  # noqa: E402

from flowpilot_desktop import __version__  # noqa: E402


@pytest.mark.parametrize(
    "path",
    [
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/imageformats/libqpdf.so",
        "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
        "PySide6/Qt/lib/libQt6Quick.so.6",
        "PySide6\\opengl32sw.dll",
        "PySide6/Qt/translations/qtbase_de.qm",
    ],
)
def test_unused_qt_pieces_are_dropped(path) -> None:
    assert not keep_entry(path)


@pytest.mark.parametrize(
    "path",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/qwindows.dll",
        "PySide6/Qt/plugins/platforms/libqcocoa.dylib",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
    ],
)
def test_what_the_app_needs_stays(path) -> None:
    assert keep_entry(path)


def test_libraries_only_a_dropped_plugin_needed_are_pruned() -> None:
    """GTK came in only through the GTK platform theme: once that is dropped, its libraries
    go too, whatever the build machine had; what a kept plugin or module needs stays."""
    binaries = [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/src/libqxcb.so", "BINARY"),
        ("PySide6/QtWidgets.abi3.so", "/src/QtWidgets.abi3.so", "EXTENSION"),
        ("libpython3.11.so.1.0", "/src/libpython3.11.so.1.0", "BINARY"),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", "/src/libQt6Widgets.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6", "/src/eglfs.so.6", "BINARY"),
        ("libxcb-cursor.so.0", "/src/libxcb-cursor.so.0", "BINARY"),
        ("libgtk-3.so.0", "/src/libgtk-3.so.0", "BINARY"),
        ("libcairo.so.2", "/src/libcairo.so.2", "BINARY"),
        ("libz.so.1", "/src/libz.so.1", "BINARY"),
        ("base_library.zip", "/src/base_library.zip", "DATA"),
    ]
    needs = {
        "/src/libqxcb.so": ["libxcb-cursor.so.0", "libQt6Widgets.so.6"],
        "/src/QtWidgets.abi3.so": ["libQt6Widgets.so.6"],
        "/src/libpython3.11.so.1.0": ["libz.so.1"],
    }
    kept = prune_unneeded_libraries(binaries, imports_of=lambda source: needs.get(source, []))
    names = [Path(dest).name for dest, _src, _kind in kept]
    assert names == [
        "libqxcb.so",
        "QtWidgets.abi3.so",
        "libpython3.11.so.1.0",
        "libQt6Widgets.so.6",
        "libxcb-cursor.so.0",
        "libz.so.1",
        "base_library.zip",
    ]


def test_the_version_resource_carries_the_app_version() -> None:
    assert version_tuple("1.2.3") == (1, 2, 3, 0)
    assert version_tuple("0.1.0rc2") == (0, 1, 0, 0)
    assert version_tuple("2.0.0.dev4") == (2, 0, 0, 0)
    text = version_text(__version__, "FlowPilot Desktop", "FlowPilot.exe")
    ast.parse(text, mode="eval")  # PyInstaller eval()s it
    assert f"filevers={version_tuple(__version__)!r}" in text
    assert f"StringStruct('ProductVersion', '{__version__}')" in text
    assert "StringStruct('OriginalFilename', 'FlowPilot.exe')" in text


def test_the_spec_registers_the_url_scheme_and_reads_signing_from_the_environment() -> None:
    spec = (REPO / "build.spec").read_text(encoding="utf-8")
    assert '"CFBundleURLSchemes": ["flowpilot"]' in spec
    assert 'os.environ.get("FLOWPILOT_CODESIGN_IDENTITY")' in spec
    assert "FLOWPILOT_ENTITLEMENTS" in spec
    assert "version=version_file" in spec and "icon=icon" in spec
    for excluded in ('"rich"', '"pygments"', '"httpx2._main"'):
        assert excluded in spec
    assert (REPO / "packaging" / "macos" / "entitlements.plist").is_file()
