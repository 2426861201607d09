"""Dialogs around the suggested fix: its drafted script (read-only, Copy, "I ran it") and the
history of superseded suggestions.

The script view stands in for the Template Match panel and the NoTemplate choice until the
scripts work builds them; it records nothing unless the technician says they ran it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop import fix_outcome
from flowpilot_desktop.apply_route import ApplyRoute, apply_route
from flowpilot_desktop.task_lane_service import FixView
from ui.task_lane.fix_card import status_text
from ui.task_lane.widgets import CopyButton, meta_label

ROUTE_NOTES = {
    ApplyRoute.TEMPLATE_MATCH: (
        "This fix names one of the team's templates. Below is the script the assistant "
        "drafted for it; copy it, run it, then say so."
    ),
    ApplyRoute.NO_TEMPLATE: "The assistant drafted this script. Copy it, run it, then say so.",
    ApplyRoute.SCRIPT_BUILDER: (
        "This fix has no drafted script. Ask the assistant to draft one in the chat, or apply "
        "the fix by hand and record the outcome in the banner above the composer."
    ),
}


class ScriptViewDialog(QDialog):
    """The fix's drafted script, read-only, with Copy and "✓ I ran this"."""

    sig_ran = Signal()
    """The technician ran the script as drafted (decision one_off, stamps applied_at)."""

    def __init__(self, fix: FixView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scriptViewDialog")
        self.setWindowTitle(f"Script — {fix.title}")
        self.setAccessibleName("The suggested fix's script")
        self.resize(640, 420)
        route = apply_route(fix.template_id, fix.script)
        layout = QVBoxLayout(self)
        title = QLabel(fix.title, self)
        title.setProperty("role", "header-title")
        title.setWordWrap(True)
        layout.addWidget(title)
        self.note = meta_label(ROUTE_NOTES[route], self, "scriptRouteNote")
        layout.addWidget(self.note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.ran_button: QPushButton | None = None
        self.editor: QPlainTextEdit | None = None
        if route is not ApplyRoute.SCRIPT_BUILDER:
            language = fix.language or "not given"
            layout.addWidget(meta_label(f"Language: {language}", self, "scriptLanguage"))
            self.editor = QPlainTextEdit(fix.script or "", self)
            self.editor.setObjectName("scriptView")
            self.editor.setAccessibleName("Drafted script, read-only")
            self.editor.setReadOnly(True)
            self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            layout.addWidget(self.editor, 1)
            copy = CopyButton(fix.script or "", "Copy the script", self, "scriptCopy")
            buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
            if fix.applied_at is None and fix.status not in fix_outcome.TERMINAL:
                self.ran_button = QPushButton("✓ I ran this", self)
                self.ran_button.setObjectName("scriptRan")
                self.ran_button.setAccessibleName("I ran this script as drafted")
                self.ran_button.clicked.connect(self.sig_ran)
                buttons.addButton(self.ran_button, QDialogButtonBox.ButtonRole.AcceptRole)
            copy.setFocus(Qt.FocusReason.OtherFocusReason)
        layout.addWidget(buttons)


class FixHistoryDialog(QDialog):
    """The superseded suggestions of a session, newest first."""

    def __init__(self, history: tuple[FixView, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fixHistoryDialog")
        self.setWindowTitle("Earlier suggestions")
        self.setAccessibleName("Earlier, superseded fix suggestions")
        self.resize(520, 380)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("fixHistoryText")
        self.browser.setAccessibleName("Earlier suggestions")
        parts = []
        for fix in history:
            when = fix.superseded_at.strftime("%Y-%m-%d %H:%M") if fix.superseded_at else ""
            parts.append(
                f"### {fix.title} · {fix.confidence}%\n\n"
                f"*{status_text(fix)} — replaced {when} UTC*\n\n{fix.description}\n"
            )
        self.browser.setMarkdown("\n\n---\n\n".join(parts) or "No earlier suggestions.")
        layout.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
