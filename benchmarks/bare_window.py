"""The baseline for benchmarks/startup.py: a bare PySide6 window with the same three docks
and one SQLAlchemy query of the session list, shown once, then exit."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QListView, QMainWindow
from sqlalchemy import create_engine, text


def main(database_file: str) -> int:
    app = QApplication(sys.argv[:1])
    engine = create_engine(f"sqlite:///{database_file}")
    with engine.connect() as connection:
        titles = [
            row[1]
            for row in connection.execute(
                text(
                    "SELECT id, title, ticket_ref, status, last_activity_at FROM ai_sessions"
                    " WHERE deleted_at IS NULL ORDER BY last_activity_at DESC"
                )
            )
        ]
    window = QMainWindow()
    sessions = QDockWidget("Sessions", window)
    view = QListView(sessions)
    view.setModel(QStringListModel(titles, view))
    sessions.setWidget(view)
    chat = QDockWidget("Chat", window)
    chat.setWidget(QLabel("chat", chat))
    lane = QDockWidget("Task lane", window)
    lane.setWidget(QLabel("lane", lane))
    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, sessions)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, chat)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, lane)
    window.resize(1360, 840)
    window.show()
    app.processEvents()
    print(len(titles))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
