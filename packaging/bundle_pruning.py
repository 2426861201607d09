"""What build.spec leaves out of the bundle: Qt modules, plugins and data FlowPilot never uses,
and (on Linux) every shared library that nothing kept still needs.

Dropping a Qt plugin is not enough: PyInstaller already collected the libraries it links to
(the GTK platform theme pulls in GTK, cairo, pango … when the build machine has them). So on
Linux the libraries placed beside the app are kept only when a kept extension module, Qt
plugin or the Python library needs them, directly or through each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

DROP = (
    # Qt Quick/QML, the virtual keyboard and PDF: pulled in only through plugins.
    "platforminputcontexts/libqtvirtualkeyboardplugin",
    "qtvirtualkeyboardplugin.dll",
    "imageformats/libqpdf",
    "imageformats/qpdf.dll",
    "Qt6Quick",
    "Qt6Qml",
    "Qt6VirtualKeyboard",
    "Qt6Pdf",
    "QtQuick.framework",
    "QtQml",
    "QtVirtualKeyboard",
    "QtPdf.framework",
    "Qt/translations/",
    "PySide6/translations/",
    "opengl32sw.dll",
    # Linux: the GTK platform theme (native GTK dialogs are not worth ~17 MB), and platforms
    # a desktop never uses (framebuffer, EGL full screen, VNC, Vulkan display).
    "platformthemes/libqgtk3",
    "platforms/libqeglfs",
    "platforms/libqlinuxfb",
    "platforms/libqminimalegl",
    "platforms/libqvnc",
    "platforms/libqvkkhrdisplay",
    "egldeviceintegrations/",
    "plugins/generic/",
    "Qt6EglFSDeviceIntegration",
    "Qt6EglFsKmsSupport",
    "networkinformation/",
    # Image formats FlowPilot never reads.
    "imageformats/libqtiff",
    "imageformats/libqwebp",
    "imageformats/libqtga",
    "imageformats/libqwbmp",
    "imageformats/qtiff",
    "imageformats/qwebp",
    "imageformats/qtga",
    "imageformats/qwbmp",
    # Wayland: the shell and decorations a desktop uses stay; embedded/server integrations go.
    "wayland-shell-integration/libfullscreen-shell",
    "wayland-shell-integration/libivi-shell",
    "wayland-shell-integration/libwl-shell",
    "Qt6WlShellIntegration",
    "wayland-graphics-integration-client/libdmabuf-server",
    "wayland-graphics-integration-client/libdrm-egl-server",
    "wayland-graphics-integration-client/libshm-emulation-server",
    "wayland-graphics-integration-client/libvulkan-server",
)


def keep_entry(destination: str) -> bool:
    """Whether a collected file (its path inside the bundle) stays."""
    path = destination.replace("\\", "/")
    return not any(part in path for part in DROP)


def is_root(destination: str) -> bool:
    """A binary kept for its own sake: an extension module, a Qt plugin, the Python library.
    Libraries at the top of the bundle and Qt's own libraries stay only when a root needs them."""
    path = destination.replace("\\", "/")
    name = path.rsplit("/", 1)[-1]
    if "/" not in path:
        return name.startswith("libpython") or name.endswith((".abi3.so", "-linux-gnu.so"))
    return "/Qt/lib/" not in f"/{path}"


def prune_unneeded_libraries(
    binaries: list[tuple[str, str, str]],
    imports_of: object = None,
) -> list[tuple[str, str, str]]:
    """``binaries`` without the shared libraries no root needs (Linux: ``ldd`` lists a binary's
    whole dependency tree). ``imports_of(source_path)`` → the names it needs (for tests)."""
    if imports_of is None:
        from PyInstaller.depend.bindepend import get_imports

        def imports_of(source: str) -> Iterable[str]:
            return [Path(name).name for name, _path in get_imports(source)]

    assert callable(imports_of)
    needed: set[str] = set()
    for destination, source, _kind in binaries:
        if is_root(destination):
            needed.update(Path(name).name for name in imports_of(source))
    return [
        entry
        for entry in binaries
        if is_root(entry[0]) or Path(entry[0]).name in needed or not _is_library(entry[0])
    ]


def _is_library(destination: str) -> bool:
    name = Path(destination).name
    return ".so" in name and not name.endswith(".py")
