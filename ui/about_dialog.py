"""Help › About: the version, which code editor runs (Scintilla, or the plain-text fallback
where its wheel is missing), and where the data lives — what support asks first."""

from __future__ import annotations

import platform

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from flowpilot_desktop import APP_NAME, __version__
from ui.code_editor import editor_backend_name


def about_lines(database_label: str) -> list[str]:
    return [
        f"Version {__version__}",
        f"Script editor: {editor_backend_name()}",
        f"Data: {database_label}",
        f"Python {platform.python_version()} · Qt {qVersion()} · PySide6 {PySide6.__version__}",
        f"{platform.system()} {platform.release()} ({platform.machine()})",
    ]


class AboutDialog(QMessageBox):
    def __init__(self, database_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        self.setIcon(QMessageBox.Icon.Information)
        self.setText(f"<b>{APP_NAME}</b><br>A desk-side triage copilot for MSP technicians.")
        self.setInformativeText("\n".join(about_lines(database_label)))
        self.setStandardButtons(QMessageBox.StandardButton.Ok)
