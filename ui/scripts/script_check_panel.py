"""The script check under a code editor (issue 18): a one-line summary and the findings as
"line:col  message", marked in the editor too. Enter or a double-click on a finding puts the
cursor there. It re-checks 400 ms after the last edit.

With a ``TaskRunner`` the check runs off the GUI thread (tree-sitter takes ~25 ms on 300 lines
of PowerShell, and PSScriptAnalyzer, where installed, a second or more); without one (a
panel nobody wired yet) syntax and dangers run in place. ``confirm_dangerous`` asks before
Copy or "I ran this" when the script matches a destructive pattern: a check warns, it never
blocks. Findings quote the script, which is outside text: everything here is plain text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.scripts.check import Finding, ScriptCheck, check_script, check_script_async
from flowpilot_desktop.scripts.dangers import danger_findings
from ui.code_editor import CodeEditor
from ui.ops import TaskRunner
from ui.widgets.labels import meta_label

log = logging.getLogger(__name__)
DEBOUNCE_MS = 400
VISIBLE_ROWS = 4
_MARK = {"error": "✖", "warning": "⚠"}


class ScriptCheckPanel(QWidget):
    sig_checked = Signal(object)
    """A check finished and is shown (a ScriptCheck)."""

    def __init__(
        self, editor: CodeEditor, parent: QWidget | None = None, *, runner: TaskRunner | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("scriptCheckPanel")
        self.editor = editor
        self.check = ScriptCheck()
        self._runner = runner
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        layout.setSpacing(2)
        self.summary = meta_label("", self, "scriptCheckSummary")
        self.findings = QListWidget(self)
        self.findings.setObjectName("scriptCheckFindings")
        self.findings.setAccessibleName("Script check findings")
        self.findings.setAccessibleDescription("Enter moves the cursor to the finding")
        self.findings.setWordWrap(True)
        self.findings.setUniformItemSizes(False)
        self.findings.hide()
        self.findings.itemActivated.connect(self._go_to)
        self.findings.itemDoubleClicked.connect(self._go_to)
        layout.addWidget(self.summary)
        layout.addWidget(self.findings)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.check_now)
        editor.sig_changed.connect(self.schedule)
        self.schedule()

    def set_runner(self, runner: TaskRunner) -> None:
        """Check off the GUI thread from now on (and with PSScriptAnalyzer where installed)."""
        self._runner = runner

    def schedule(self) -> None:
        """Check again once the typing pauses."""
        self._timer.start()

    def check_now(self) -> None:
        self._timer.stop()
        text, language = self.editor.text(), self.editor.language
        if self._runner is None:
            self.show_check(check_script(text, language))
            return
        self._runner.run(
            check_script_async(text, language),
            on_success=self.show_check,
            on_failure=lambda error: log.warning("The script check failed: %s", error),
            owner=self,
            latest=f"script-check-{id(self)}",
            quiet=True,
        )

    def show_check(self, check: ScriptCheck) -> None:
        self.check = check
        self.editor.show_findings(check.findings)
        self.findings.clear()
        for finding in check.findings:
            item = QListWidgetItem(_finding_text(finding))
            item.setData(Qt.ItemDataRole.UserRole, (finding.line, finding.column))
            item.setToolTip(finding.message)
            self.findings.addItem(item)
        self._fit_rows()
        self.findings.setVisible(bool(check.findings))
        self.summary.setText(_summary(check, bool(self.editor.text().strip())))
        self.sig_checked.emit(check)

    def dangers(self) -> tuple[Finding, ...]:
        """The destructive patterns in the text as it is now (not as last checked): asked
        right before Copy, so a quick edit can't slip past the debounce."""
        return danger_findings(self.editor.text())

    def _fit_rows(self) -> None:
        """As tall as the findings, up to VISIBLE_ROWS of them (then it scrolls)."""
        rows = min(self.findings.count(), VISIBLE_ROWS)
        height = sum(max(self.findings.sizeHintForRow(row), 0) for row in range(rows))
        self.findings.setFixedHeight(height + 2 * self.findings.frameWidth() + 2)

    def _go_to(self, item: QListWidgetItem) -> None:
        line, column = item.data(Qt.ItemDataRole.UserRole)
        self.editor.go_to(line, column)


def confirm_dangerous(
    parent: QWidget,
    dangers: Sequence[Finding],
    action: str,
    proceed: Callable[[], None],
) -> QMessageBox | None:
    """Ask before ``action`` ("Copy", "Mark as run") when the script has dangerous patterns;
    ``proceed`` runs at once when it has none, or after "… anyway". Opened with ``open()``,
    never ``exec()``: callers may sit inside the qasync loop."""
    if not dangers:
        proceed()
        return None
    box = QMessageBox(parent)
    box.setObjectName("scriptDangerConfirm")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("This script may do damage")
    box.setTextFormat(Qt.TextFormat.PlainText)
    lines = "\n".join(f"• Line {d.line}: {d.message.removeprefix('Dangerous: ')}" for d in dangers)
    box.setText(f"This script matches {_count(len(dangers), 'dangerous pattern')}:\n\n{lines}")
    box.setInformativeText(f"{action} anyway?")
    go = box.addButton(f"&{action} anyway", QMessageBox.ButtonRole.AcceptRole)
    go.setObjectName("scriptDangerProceed")
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    cancel.setObjectName("scriptDangerCancel")
    box.setDefaultButton(cancel)  # Enter does the safe thing; the check still never blocks
    box.setEscapeButton(cancel)

    def finished(_result: int) -> None:
        if box.clickedButton() is go and shiboken6.isValid(parent):
            proceed()

    box.finished.connect(finished)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box


def _finding_text(finding: Finding) -> str:
    kind = {"syntax": "", "analyzer": "PSScriptAnalyzer: ", "danger": ""}[finding.source]
    return f"{_MARK[finding.severity]} {finding.line}:{finding.column}  {kind}{finding.message}"


def _summary(check: ScriptCheck, has_text: bool) -> str:
    if not has_text:
        return ""
    errors = sum(1 for f in check.findings if f.severity == "error")
    dangers = len(check.dangers)
    warnings = len(check.findings) - errors - dangers
    counts = ((errors, "error"), (dangers, "dangerous pattern"), (warnings, "warning"))
    said = ", ".join(_count(number, noun) for number, noun in counts if number)
    text = f"Script check: {said}." if said else "Script check: no problems found."
    if check.notes:
        text += " " + " ".join(check.notes)
    return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
