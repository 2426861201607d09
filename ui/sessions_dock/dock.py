"""The Sessions dock (left): wiring of the panel into the main window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QWidget

from ui.sessions_dock.widgets import SessionsPanel


class SessionsDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Sessions", parent)
        self.setObjectName("sessionsDock")
        self.setAccessibleName("Sessions")
        self.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        self.panel = SessionsPanel(self)
        self.setWidget(self.panel)
