"""The script check as a technician meets it (issue 18): a broken script's findings listed
and marked in the editor on both backends, Enter on a finding moves the cursor there, and a
dangerous script asks before Copy or "I ran this" — then does it once confirmed (a check
warns, it never blocks). Through the window, the check runs on the app's TaskRunner."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCharFormat
from PySide6.QtWidgets import QApplication, QMessageBox, QVBoxLayout, QWidget

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.fix_outcome import FixStatus
from flowpilot_desktop.scripts.library import TemplateRecord
from flowpilot_desktop.task_lane_service import FixView
from storage.repositories.sessions import get_session_summary
from tests.ui.helpers import activate
from ui.code_editor import CodeEditor, PlainTextBackend
from ui.scripts.generator import GeneratorPanel
from ui.scripts.no_template_dialog import NoTemplateDialog
from ui.scripts.script_check_panel import ScriptCheckPanel
from ui.scripts.template_match import TemplateMatchPanel

try:
    from ui.code_editor.scintilla_backend import ScintillaBackend
except ImportError:  # pragma: no cover - machines without the wheel
    ScintillaBackend = None  # type: ignore[assignment,misc]

BACKENDS = [
    pytest.param(
        ScintillaBackend,
        id="scintilla",
        marks=pytest.mark.skipif(ScintillaBackend is None, reason="no Scintilla wheel here"),
    ),
    pytest.param(PlainTextBackend, id="plain"),
]
BROKEN = (
    'Get-Service -Name "Spooler"\nif ($svc.Status -ne "Running") {\n    Start-Service Spooler\n'
)
DANGEROUS = "Stop-Service Spooler\nRemove-Item -Path C:\\ -Recurse -Force\n"


def _fix(script: str) -> FixView:
    return FixView(
        id="fix-1", session_id="s-1", title="Restart the spooler", description="", confidence=80,
        template_id=None, script=script, language="powershell", parameters={}, decision=None,
        status=FixStatus.PROPOSED, applied_at=None, verified_at=None, partial_notes=None,
        failure_reason=None, pending_reason=None, outcome_proposal=None, superseded_at=None,
    )  # fmt: skip


def _template(body: str) -> TemplateRecord:
    return TemplateRecord(
        id="t-1", name="Clean up", category_id=None, category=None, description="",
        language="powershell", body=body, parameters_schema=[], source_session_id=None,
        source_user_id=None, source_ticket_ref=None, updated_at=datetime.now(UTC), uses=0,
    )  # fmt: skip


def _danger_box(qtbot) -> QMessageBox:
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), QMessageBox))
    box = QApplication.activeModalWidget()
    assert box.objectName() == "scriptDangerConfirm"
    return box


def _press(qtbot, box: QMessageBox, name: str) -> None:
    """Tab to the button by keyboard focus, then Space, as a technician would."""
    button = box.findChild(type(box.defaultButton()), name)
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not box.isVisible())


@pytest.fixture(params=BACKENDS)
def checked_editor(request, qtbot):
    """An editor with its check panel under it, in one active window."""
    window = QWidget()
    layout = QVBoxLayout(window)
    editor = CodeEditor(window, backend=request.param)
    panel = ScriptCheckPanel(editor, window)
    layout.addWidget(editor, 1)
    layout.addWidget(panel)
    window.resize(600, 400)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    activate(qtbot, window)
    return editor, panel, window  # the window too: nothing else keeps it alive


def test_a_broken_script_is_listed_and_marked_in_the_editor(qtbot, checked_editor):
    editor, panel, _window = checked_editor
    editor.setFocus()
    for line in BROKEN.splitlines():
        qtbot.keyClicks(editor.focusProxy(), line.strip())
        qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.findings.count() > 0, timeout=3000)
    assert panel.findings.objectName() == "scriptCheckFindings"
    first = panel.findings.item(0).text()
    assert first.startswith("✖ 3:22") and "Missing `}`" in first  # at the end of line 3
    assert "1 error" in panel.summary.text()
    widget = editor.focusProxy()
    if editor.backend == "Scintilla":
        spot = widget.positionFromLine(2) + 20  # the last character of line 3
        assert widget.indicatorAllOnFor(spot) & (1 << 10), "a squiggle on the spot"
        assert not widget.indicatorAllOnFor(0) & (1 << 10)
        assert widget.markerGet(2) & (1 << 20), "a marker in the margin"
        assert widget.marginWidthN(1) > 0
    else:
        styles = [s.format.underlineStyle() for s in widget.extraSelections()]
        assert styles == [QTextCharFormat.UnderlineStyle.WaveUnderline]

    # fixed: the findings and the marks go
    qtbot.keyClicks(editor.focusProxy(), "}")
    qtbot.waitUntil(lambda: panel.findings.count() == 0, timeout=3000)
    assert panel.summary.text() == "Script check: no problems found."
    if editor.backend != "Scintilla":
        assert widget.extraSelections() == []


def test_enter_on_a_finding_moves_the_cursor_there(qtbot, checked_editor):
    editor, panel, _window = checked_editor
    editor.set_text('Write-Host "ok"\nWrite-Host "done"\n}\n')
    panel.check_now()
    assert panel.findings.count() == 1
    panel.findings.setFocus()
    qtbot.keyClick(panel.findings, Qt.Key.Key_Return)
    assert editor.cursor_line_column() == (3, 1)
    assert editor.focusProxy().hasFocus()


def test_a_dangerous_script_asks_before_continuing_from_no_template(qtbot):
    dialog = NoTemplateDialog(_fix(DANGEROUS))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert "1 dangerous pattern" in dialog.check_panel.summary.text()
    assert "2:1" in dialog.check_panel.findings.item(0).text()
    decided: list[tuple[str, str]] = []
    dialog.sig_decided.connect(lambda decision, script: decided.append((decision, script)))
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_1)  # run it once: copies the script
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    box = _danger_box(qtbot)
    assert "recursive delete" in box.text() and box.informativeText() == "Copy anyway?"
    assert box.defaultButton().objectName() == "scriptDangerCancel"
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not box.isVisible())
    assert decided == [] and dialog.isVisible() and dialog.continue_button.isEnabled()

    qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Return)
    _press(qtbot, _danger_box(qtbot), "scriptDangerProceed")
    assert decided == [("one_off", DANGEROUS)]


def test_build_a_template_does_not_ask(qtbot):
    """Nothing is copied or run on "Build a template": no confirmation in the way."""
    dialog = NoTemplateDialog(_fix(DANGEROUS))
    qtbot.addWidget(dialog)
    dialog.show()
    decided: list[str] = []
    dialog.sig_decided.connect(lambda decision, _script: decided.append(decision))
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_3)
    qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Return)
    assert decided == ["build_template"]


def test_copy_of_a_dangerous_generated_script_asks_then_copies(qtbot):
    panel = GeneratorPanel(_template("rm -rf {{folder}}"))
    qtbot.addWidget(panel)
    panel.show()
    script = "rm -rf /\n"
    panel.show_script(script)
    assert panel.check_panel.isVisible() and panel.check_panel.findings.count() == 1
    QApplication.clipboard().setText("before")
    qtbot.keyClick(panel.copy_button, Qt.Key.Key_Space)
    _press(qtbot, _danger_box(qtbot), "scriptDangerCancel")
    assert QApplication.clipboard().text() == "before", "cancelled: nothing copied"
    qtbot.keyClick(panel.copy_button, Qt.Key.Key_Space)
    _press(qtbot, _danger_box(qtbot), "scriptDangerProceed")
    assert QApplication.clipboard().text() == script


def test_a_harmless_generated_script_copies_without_asking(qtbot):
    panel = GeneratorPanel(_template('Restart-Service -Name "{{service}}"'))
    qtbot.addWidget(panel)
    panel.show()
    panel.show_script('Restart-Service -Name "Spooler"')
    qtbot.keyClick(panel.copy_button, Qt.Key.Key_Space)
    assert QApplication.clipboard().text() == 'Restart-Service -Name "Spooler"'
    assert QApplication.activeModalWidget() is None


def test_i_ran_this_asks_first_for_a_dangerous_script(qtbot):
    panel = TemplateMatchPanel()
    qtbot.addWidget(panel)
    panel.show()
    fix = _fix("")
    panel.show_match(fix, _template("Set-ExecutionPolicy Unrestricted -Force"))
    ran: list[FixView] = []
    panel.sig_ran.connect(ran.append)
    qtbot.keyClick(panel.ran_button, Qt.Key.Key_Space)
    box = _danger_box(qtbot)
    assert box.informativeText() == "Mark as run anyway?"
    _press(qtbot, box, "scriptDangerProceed")
    assert ran == [fix]


def test_the_window_checks_the_no_template_script_on_its_task_runner(qtbot, qloop, session_window):
    window = session_window("Spooler stuck")
    sid = window.current_session().id
    fix = {"confidence": 80, "title": "Restart the spooler", "script": BROKEN}
    marker = f"[SUGGEST_FIX]\n{json.dumps(fix)}\n[/SUGGEST_FIX]"
    database = window.services.database
    database.run_sync(lambda s: apply_reply(s, sid, parse_reply(marker)))
    summary = database.run_sync(lambda s: get_session_summary(s, sid))
    window.session_state.publish(SessionChange.of(summary, ChangeKind.FIX))
    qloop.until(lambda: window.session_state.active_fix is not None)
    assert window.registry.trigger("fix.apply")
    qloop.until(lambda: window.scripts.no_template_dialog is not None)
    dialog = window.scripts.no_template_dialog
    qloop.until(lambda: dialog.check_panel.findings.count() > 0)
    assert "Missing `}`" in dialog.check_panel.findings.item(0).text()
    dialog.reject()
