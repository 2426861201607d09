"""The baseline for benchmarks/startup.py: a bare PySide6 window with the same three docks
and one SQLAlchemy query of the session list, shown once, then exit.

The query goes through the SQLAlchemy 2.0 ORM, as the app's does (SPEC §4 mandates typed ORM
models), with a minimal declarative model of its own: the baseline is the floor set by Qt and
SQLAlchemy, so the ratio measures what FlowPilot adds on top of them."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QListView, QMainWindow
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class AiSession(Base):
    __tablename__ = "ai_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    title: Mapped[str]
    ticket_ref: Mapped[str | None]
    status: Mapped[str]
    last_activity_at: Mapped[str]
    deleted_at: Mapped[str | None]


def main(database_file: str) -> int:
    app = QApplication(sys.argv[:1])
    engine = create_engine(f"sqlite:///{database_file}")
    with Session(engine) as session:
        rows = session.execute(
            select(
                AiSession.id,
                AiSession.title,
                AiSession.ticket_ref,
                AiSession.status,
                AiSession.last_activity_at,
            )
            .where(AiSession.deleted_at.is_(None))
            .order_by(AiSession.last_activity_at.desc())
        ).all()
    titles = [row.title for row in rows]
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
