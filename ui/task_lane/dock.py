"""The Task lane dock: what we know, questions, diagnostic checks and the suggested fix.

It shows the selected session's TaskLaneState and reloads it whenever the session bus says
that session changed (a chat turn, a correction); it never polls. Editing, promoting and the
outcome banner build on this (issue 4).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.changes import SessionChange
from flowpilot_desktop.sessions import SessionSummary
from flowpilot_desktop.task_lane_service import FixView, TaskLaneService, TaskLaneState
from ui.ops import TaskRunner
from ui.session_header import SessionHeader
from ui.theme import MUTED, SUCCESS, WARNING

SECTIONS = (
    ("whatWeKnow", "WHAT WE KNOW", "Nothing confirmed yet."),
    ("questions", "QUESTIONS", "No open questions for the end user."),
    ("checks", "DIAGNOSTIC CHECKS", "No diagnostic checks to run."),
    ("suggestedFix", "SUGGESTED FIX", "No fix suggested yet."),
)
SOURCE_LABELS = {
    "ai_promote": "assistant",
    "engineer_note": "your note",
    "question": "question",
    "diagnostic_check": "check",
}
STATUS_LABELS = {
    "proposed": "Proposed",
    "applied_success": "Worked",
    "applied_failed": "Didn't work",
    "applied_partial": "Partly applied",
    "applied_pending": "Still checking",
    "dismissed": "Dismissed",
}
COPIED_FEEDBACK_MS = 1500


def confidence_colour(confidence: int) -> str:
    """Badge colour by band: high, medium, low."""
    if confidence >= 80:
        return SUCCESS
    if confidence >= 50:
        return WARNING
    return MUTED


class TaskLaneDock(QDockWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Task lane", parent)
        self.setObjectName("taskLaneDock")
        self.setAccessibleName("Task lane")
        self.setMinimumWidth(260)
        self._service: TaskLaneService | None = None
        self._runner: TaskRunner | None = None
        self._session: SessionSummary | None = None
        self._request = 0
        self.state: TaskLaneState | None = None

        body = QWidget(self)
        body.setObjectName("taskLaneBody")
        self.header = SessionHeader("taskLane", body)
        self.thinking = QLabel("● thinking…", body)
        self.thinking.setObjectName("taskLaneThinking")
        self.thinking.setProperty("role", "header-meta")
        self.thinking.hide()
        sections = QWidget(body)
        sections.setObjectName("taskLaneSections")
        self._sections_layout = QVBoxLayout(sections)
        self._sections_layout.setContentsMargins(12, 0, 12, 12)
        self.section_hints: dict[str, QLabel] = {}
        self.section_rows: dict[str, QVBoxLayout] = {}
        for key, title, hint in SECTIONS:
            title_label = QLabel(title, sections)
            title_label.setObjectName(f"{key}Title")
            title_label.setProperty("role", "section-title")
            hint_label = QLabel(hint, sections)
            hint_label.setObjectName(f"{key}Empty")
            hint_label.setProperty("role", "header-meta")
            hint_label.setWordWrap(True)
            rows = QVBoxLayout()
            rows.setSpacing(6)
            self._sections_layout.addWidget(title_label)
            self._sections_layout.addWidget(hint_label)
            self._sections_layout.addLayout(rows)
            self.section_hints[key] = hint_label
            self.section_rows[key] = rows
        self.quiet_hint = QLabel(
            "Nothing open right now. The assistant may follow up with questions or checks "
            "as you tell it more.",
            sections,
        )
        self.quiet_hint.setObjectName("taskLaneQuiet")
        self.quiet_hint.setProperty("role", "empty-state")
        self.quiet_hint.setWordWrap(True)
        self.quiet_hint.hide()
        self._sections_layout.addWidget(self.quiet_hint)
        self._sections_layout.addStretch(1)
        scroll = QScrollArea(body)
        scroll.setObjectName("taskLaneScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(sections)
        header_row = QHBoxLayout()
        header_row.addWidget(self.header, 1)
        header_row.addWidget(self.thinking, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 12, 0)
        layout.addLayout(header_row)
        layout.addWidget(scroll, 1)
        self.setWidget(body)
        self._sections = sections
        self.show_session(None)

    # ---- Public API

    def attach(self, service: TaskLaneService, runner: TaskRunner) -> None:
        self._service = service
        self._runner = runner

    def show_session(self, summary: SessionSummary | None) -> None:
        changed = summary is None or self._session is None or summary.id != self._session.id
        self._session = summary
        self.header.show_session(summary)
        self._sections.setVisible(summary is not None)
        if summary is not None and changed:
            self._render(None)
            self.reload()

    def on_session_changed(self, change: SessionChange) -> None:
        """The bus says a session changed: reload when it is the one shown."""
        if self._session is not None and change.session_id == self._session.id:
            self.reload()

    def set_thinking(self, thinking: bool) -> None:
        """A turn is running: the header shows a pip (SPEC §6)."""
        self.thinking.setVisible(thinking)

    def reload(self) -> None:
        if self._session is None or self._service is None or self._runner is None:
            return
        self._request += 1
        request, session_id = self._request, self._session.id

        def loaded(state: TaskLaneState) -> None:
            if (
                request == self._request
                and self._session is not None
                and self._session.id == session_id
            ):
                self._render(state)

        self._runner.run(
            self._service.state(session_id), on_success=loaded, title="Could not load the task lane"
        )

    # ---- Private

    def _render(self, state: TaskLaneState | None) -> None:
        self.state = state
        for rows in self.section_rows.values():
            _clear(rows)
        facts = state.facts if state else ()
        questions = state.questions if state else ()
        checks = state.checks if state else ()
        fix = state.active_fix if state else None
        for fact in facts:
            self._add_row(
                "whatWeKnow", _text_row(fact.text, SOURCE_LABELS.get(fact.source_type, ""))
            )
        for question in questions:
            options = " / ".join(question.get("options") or [])
            detail = f"Answer: {question['answer']}" if question.get("answer") else options
            self._add_row("questions", _text_row(question["text"], detail))
        for check in checks:
            self._add_row("checks", _CheckRow(check, self._sections))
        if fix is not None:
            self._add_row("suggestedFix", _FixCard(fix, len(state.fix_history) if state else 0))
        for key, count in (
            ("whatWeKnow", len(facts)),
            ("questions", len(questions)),
            ("checks", len(checks)),
            ("suggestedFix", int(fix is not None)),
        ):
            self.section_hints[key].setVisible(count == 0)
        self.quiet_hint.setVisible(bool(facts) and not questions and not checks and fix is None)

    def _add_row(self, section: str, widget: QWidget) -> None:
        widget.setParent(self._sections)
        self.section_rows[section].addWidget(widget)


class _CheckRow(QFrame):
    """A diagnostic check: its label, what to look for, and the command with Copy."""

    def __init__(self, check: dict, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("checkRow")
        self.command = check.get("command") or ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        title = QLabel(("✓ " if check.get("done") else "") + check["label"], self)
        title.setWordWrap(True)
        layout.addWidget(title)
        if check.get("description"):
            detail = QLabel(check["description"], self)
            detail.setProperty("role", "header-meta")
            detail.setWordWrap(True)
            layout.addWidget(detail)
        if self.command:
            row = QHBoxLayout()
            command = QLabel(self.command, self)
            command.setObjectName("checkCommand")
            command.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            command.setWordWrap(True)
            command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.copy_button = QPushButton("Copy", self)
            self.copy_button.setObjectName("checkCopy")
            self.copy_button.setAccessibleName(f"Copy the command of “{check['label']}”")
            self.copy_button.clicked.connect(self._copy)
            row.addWidget(command, 1)
            row.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
            layout.addLayout(row)
        if check.get("result"):
            result = QLabel(f"Result: {check['result']}", self)
            result.setProperty("role", "header-meta")
            result.setWordWrap(True)
            layout.addWidget(result)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.command)
        self.copy_button.setText("Copied")
        QTimer.singleShot(
            COPIED_FEEDBACK_MS, self.copy_button, lambda: self.copy_button.setText("Copy")
        )


class _FixCard(QFrame):
    """The active suggested fix: title, confidence badge, status, description, history."""

    def __init__(self, fix: FixView, superseded: int) -> None:
        super().__init__()
        self.setObjectName("fixCard")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        top = QHBoxLayout()
        title = QLabel(fix.title)
        title.setObjectName("fixTitle")
        title.setProperty("role", "header-title")
        title.setWordWrap(True)
        badge = QLabel(f"{fix.confidence}%")
        badge.setObjectName("fixConfidence")
        badge.setAccessibleName(f"Confidence {fix.confidence} percent")
        badge.setStyleSheet(
            f"color: {confidence_colour(fix.confidence)}; border: 1px solid "
            f"{confidence_colour(fix.confidence)}; border-radius: 8px; padding: 1px 6px;"
        )
        top.addWidget(title, 1)
        top.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        status = QLabel(STATUS_LABELS.get(fix.status, fix.status))
        status.setObjectName("fixStatus")
        status.setProperty("role", "header-meta")
        layout.addWidget(status)
        if fix.description:
            description = QLabel(fix.description)
            description.setObjectName("fixDescription")
            description.setWordWrap(True)
            layout.addWidget(description)
        if superseded:
            history = QLabel(f"{superseded} earlier suggestion{'s' if superseded != 1 else ''}")
            history.setObjectName("fixHistory")
            history.setProperty("role", "header-meta")
            layout.addWidget(history)


def _text_row(text: str, detail: str) -> QWidget:
    row = QFrame()
    row.setObjectName("laneRow")
    layout = QVBoxLayout(row)
    layout.setContentsMargins(8, 4, 8, 4)
    layout.setSpacing(2)
    main = QLabel(text, row)
    main.setObjectName("laneRowText")
    main.setWordWrap(True)
    layout.addWidget(main)
    if detail:
        small = QLabel(detail, row)
        small.setObjectName("laneRowDetail")
        small.setProperty("role", "header-meta")
        small.setWordWrap(True)
        layout.addWidget(small)
    return row


def _clear(layout: QVBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            item.widget().deleteLater()
