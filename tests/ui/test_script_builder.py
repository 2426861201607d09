"""The Script Builder tab (SPEC §10), keyboard only, its answers streamed from the Messages
API emulator: opened from Apply on a script-less fix, ask, a script, Write it myself, Submit
onto the fix; rebuilt for a new fix; Open in Script Builder under a code block."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from storage.repositories.sessions import get_session_summary
from tests.anthropic_emulator import ScriptedReply
from tests.ui.helpers import activate
from tests.ui.test_scripts import _suggest

ANSWER = (
    "This unlocks the account and shows its state.\n\n"
    "```powershell\nparam([string]$UserName)\n$ErrorActionPreference = 'Stop'\n"
    "Unlock-ADAccount -Identity $UserName\n```\n\n"
    '```parameters\n{"UserName": "pat.smith"}\n```'
)
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(session_window):
    return session_window("Locked out")


def _focused():
    return QApplication.focusWidget()


def _state_version(window) -> int:
    sid = window.current_session().id
    return window.services.database.run_sync(lambda s: get_session_summary(s, sid)).state_version


def test_write_the_fix_script_with_the_assistant_then_submit(qtbot, qloop, window, api) -> None:
    _suggest(qloop, window, title="Unlock the account", language="powershell")
    tabs = window.chat_dock.workspace
    panel = window.builder.panel
    qloop.until(lambda: tabs.tabBar().isVisible())  # offered: the fix needs a script
    assert tabs.tabText(1) == "Script Builder"
    activate(qtbot, window)
    assert window.registry.trigger("fix.apply")  # Apply on a script-less fix
    qloop.until(lambda: panel.isVisible() and _focused() is panel.input)
    assert "Unlock the account" in panel.target_label.text()

    api.enqueue(ScriptedReply(text=ANSWER, delay_s=0.002))
    qtbot.keyClicks(panel.input, "Unlock Pat's account")
    qtbot.keyClick(panel.input, Qt.Key.Key_Return)
    qloop.until(lambda: not panel.streaming and "Unlock-ADAccount" in panel.editor.text())
    assert "This unlocks the account" in panel.conversation.toPlainText()
    assert tabs.tabText(1) == "Script Builder ●", "a draft in progress"
    sent = api.message_requests[-1].body
    assert "Unlock the account" in sent["messages"][-1]["content"][0]["text"]

    # Write it myself: the editor keeps the script; edit it
    qtbot.keyClick(panel.input, Qt.Key.Key_Y, Qt.KeyboardModifier.AltModifier)
    qloop.until(lambda: panel.mode == 1)
    panel.editor.set_text(panel.editor.text() + "Get-ADUser $UserName\n")
    before = _state_version(window)
    qtbot.keyClick(_focused(), Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)  # Submit
    qloop.until(lambda: window.session_state.active_fix.script is not None)
    fix = window.session_state.active_fix
    assert fix.script.endswith("Get-ADUser $UserName\n") and fix.language == "powershell"
    assert fix.parameters == {"UserName": "pat.smith"}
    assert fix.applied_at is None and _state_version(window) > before
    qloop.until(lambda: not tabs.tabBar().isVisible() and window.chat_dock.showing_chat)
    assert "nothing ran yet" in window.statusBar().currentMessage()

    activate(qtbot, window)
    assert window.registry.trigger("fix.apply")  # now the NoTemplate choice
    qloop.until(lambda: window.scripts.no_template_dialog is not None)
    assert window.scripts.no_template_dialog.editor.text() == fix.script
    window.scripts.no_template_dialog.reject()


def test_ctrl_shift_b_switches_and_both_tabs_keep_their_state(qtbot, qloop, window) -> None:
    _suggest(qloop, window, title="Map the drive", language="powershell")
    panel, tabs = window.builder.panel, window.chat_dock.workspace
    qloop.until(lambda: tabs.tabBar().isVisible())
    activate(qtbot, window)
    window.focus_chat()
    qtbot.keyClicks(window.chat_dock.composer.edit, "half-typed chat message")
    qtbot.keyClick(_focused(), Qt.Key.Key_B, CTRL_SHIFT)
    qloop.until(lambda: panel.isVisible() and _focused() is panel.input)
    qtbot.keyClicks(panel.input, "half-typed builder request")
    qtbot.keyClick(_focused(), Qt.Key.Key_B, CTRL_SHIFT)
    qloop.until(lambda: _focused() is window.chat_dock.composer.edit)
    assert window.chat_dock.composer.edit.toPlainText() == "half-typed chat message"
    qtbot.keyClick(_focused(), Qt.Key.Key_B, CTRL_SHIFT)
    qloop.until(lambda: _focused() is panel.input)
    assert panel.input.toPlainText() == "half-typed builder request"


def test_a_new_fix_rebuilds_the_builder_for_it(qtbot, qloop, window) -> None:
    _suggest(qloop, window, title="First idea", language="powershell")
    panel = window.builder.panel
    qloop.until(lambda: "First idea" in panel.target_label.text())
    first = window.session_state.active_fix.id
    _suggest(qloop, window, title="Second idea", language="bash")
    qloop.until(lambda: "Second idea" in panel.target_label.text())
    assert window.builder._fix.id != first
    panel.editor.set_text("echo second\n")
    submitted = window.session_state.active_fix
    panel.submit_button.click()
    qloop.until(lambda: window.session_state.active_fix.script == "echo second\n")
    assert window.session_state.active_fix.id == submitted.id


def test_open_in_script_builder_from_a_chat_code_block(qtbot, qloop, window, api) -> None:
    api.enqueue("Try this:\n\n```bash\nsystemctl restart cups\n```")
    window.focus_chat()
    qtbot.keyClicks(window.chat_dock.composer.edit, "printer queue stuck")
    qtbot.keyClick(window.chat_dock.composer.edit, Qt.Key.Key_Return)
    qloop.until(lambda: not window.chat_dock.streaming)
    (block,) = window.chat_dock.view.bubbles()[-1].code_blocks()
    assert block.builder_button.isVisible()
    block.builder_button.setFocus()
    qtbot.keyClick(block.builder_button, Qt.Key.Key_Space)
    panel = window.builder.panel
    qloop.until(
        lambda: panel.isVisible() and panel.editor.text().strip() == "systemctl restart cups"
    )
    assert panel.mode == 1 and panel.language == "bash"
    assert "No suggested fix yet" in panel.target_label.text()
    panel.submit_button.click()
    assert "no suggested fix yet" in panel.status_label.text()


def test_standalone_scripts_under_scripts_capped_at_five(qtbot, qloop, window, api) -> None:
    assert window.registry.trigger("scripts.standalone")
    qloop.until(lambda: window.standalone_builder.window is not None)
    builder = window.standalone_builder.window
    qloop.until(lambda: builder.scripts_list.count() == 1)  # a first one, started for you
    panel = builder.panel
    assert panel.submit_button.isHidden() and panel.close_button.isVisibleTo(panel)
    api.enqueue(ANSWER)
    panel.input.setFocus()
    qtbot.keyClicks(panel.input, "Restart the print spooler")
    qtbot.keyClick(panel.input, Qt.Key.Key_Return)
    qloop.until(lambda: not panel.streaming and "Unlock-ADAccount" in panel.editor.text())
    qloop.until(lambda: builder.scripts_list.item(0).text() == "Restart the print spooler")
    for count in range(2, 6):
        qtbot.mouseClick(builder.new_button, Qt.MouseButton.LeftButton)
        qloop.until(lambda c=count: builder.scripts_list.count() == c)
    qtbot.mouseClick(builder.new_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: "Close one of them first" in panel.status_label.text())
    assert "“Restart the print spooler”" in panel.status_label.text()
    assert builder.scripts_list.count() == 5
    # the session's own builder never shows here
    _suggest(qloop, window, title="Unlock the account", language="powershell")
    qloop.until(lambda: window.builder.panel.builder is not None)
    window.standalone_builder.open()
    qloop.settle(0.2)
    assert builder.scripts_list.count() == 5
    builder.scripts_list.setCurrentRow(1)
    qtbot.mouseClick(panel.close_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: builder.scripts_list.count() == 4)
    builder.close()


def test_the_builders_script_is_checked_without_a_busy_flash(qtbot, qloop, window) -> None:
    """The same check as NoTemplate and the template editor: a broken or dangerous script is
    listed under the builder's editor; re-checking and keeping the script while typing never
    show "Working…"."""
    _suggest(qloop, window, title="Clean up", language="powershell")
    panel = window.builder.panel
    qloop.until(lambda: panel.builder is not None)
    started: list[tuple[str, bool]] = []
    run = window.runner.run

    def spy(coro, **options):
        started.append((coro.__qualname__, options.get("quiet", False)))
        return run(coro, **options)

    window.runner.run = spy
    panel.set_mode(1)
    panel.editor.set_text(
        "Get-ChildItem C:\\Temp | ForEach-Object {\nRemove-Item -Path C:\\ -Recurse\n"
    )
    qloop.until(lambda: panel.check_panel.findings.count() >= 2)
    texts = [
        panel.check_panel.findings.item(i).text() for i in range(panel.check_panel.findings.count())
    ]
    assert any("missing `}`" in t for t in texts)
    assert any(t.startswith("⚠ 2:1") and "recursive delete" in t for t in texts)
    typing_work = [q for name, q in started if "check_script" in name or "save_script" in name]
    assert typing_work and all(typing_work), "quiet work: no busy flash while typing"


def test_an_empty_script_is_not_offered_as_a_template(qtbot) -> None:
    from ui.script_builder.panel import ScriptBuilderPanel

    panel = ScriptBuilderPanel()
    qtbot.addWidget(panel)
    with qtbot.assertNotEmitted(panel.sig_save_template):
        panel.template_button.click()
    assert "empty" in panel.status_label.text()
    panel.editor.set_text("Get-Printer\n")
    with qtbot.waitSignal(panel.sig_save_template) as saved:
        panel.template_button.click()
    assert saved.args == ["Get-Printer\n", "powershell"]
