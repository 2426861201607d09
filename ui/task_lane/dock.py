"""The Task lane dock. For now: the selected session's header and each section's empty state;
the sections fill in with the task-lane issue."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QLabel, QScrollArea, QVBoxLayout, QWidget

from flowpilot_desktop.sessions import SessionSummary
from ui.session_header import SessionHeader

SECTIONS = (
    ("whatWeKnow", "WHAT WE KNOW", "Nothing confirmed yet."),
    ("questions", "QUESTIONS", "No open questions for the end user."),
    ("checks", "DIAGNOSTIC CHECKS", "No diagnostic checks to run."),
    ("suggestedFix", "SUGGESTED FIX", "No fix suggested yet."),
)


class TaskLaneDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Task lane", parent)
        self.setObjectName("taskLaneDock")
        self.setAccessibleName("Task lane")
        self.setMinimumWidth(260)
        body = QWidget(self)
        body.setObjectName("taskLaneBody")
        self.header = SessionHeader("taskLane", body)
        sections = QWidget(body)
        sections.setObjectName("taskLaneSections")
        section_layout = QVBoxLayout(sections)
        section_layout.setContentsMargins(12, 0, 12, 12)
        self.section_hints: dict[str, QLabel] = {}
        for key, title, hint in SECTIONS:
            title_label = QLabel(title, sections)
            title_label.setObjectName(f"{key}Title")
            title_label.setProperty("role", "section-title")
            hint_label = QLabel(hint, sections)
            hint_label.setObjectName(f"{key}Empty")
            hint_label.setProperty("role", "header-meta")
            hint_label.setWordWrap(True)
            section_layout.addWidget(title_label)
            section_layout.addWidget(hint_label)
            self.section_hints[key] = hint_label
        section_layout.addStretch(1)
        scroll = QScrollArea(body)
        scroll.setObjectName("taskLaneScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(sections)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(scroll, 1)
        self.setWidget(body)
        self._sections = sections
        self.show_session(None)

    def show_session(self, summary: SessionSummary | None) -> None:
        self.header.show_session(summary)
        self._sections.setVisible(summary is not None)
