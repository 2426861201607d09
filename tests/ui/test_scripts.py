"""The fix's script path and the team's library as a technician uses them (SPEC §7, §9):
NoTemplate by keyboard, Template Match fill → generate → copy → "I ran this", a deleted
template, Templatize after Resolve, the Scripts view, the badge, the About box."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox
from sqlalchemy import select

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.conclusion import NoteKind
from flowpilot_desktop.scripts.library import TemplateDraft
from flowpilot_desktop.scripts.templates import Parameter
from storage.models import ScriptGeneration
from storage.repositories.sessions import get_session_summary
from tests.ui.helpers import activate
from ui.code_editor import editor_backend_name
from ui.scripts.no_template_dialog import NoTemplateDialog

SCRIPT = 'Unlock-ADAccount -Identity "jdoe" -Server "dc1.corp.local"'
EXTRACTED = {
    "name": "Unlock an AD account",
    "templated_body": 'Unlock-ADAccount -Identity "{{user}}" -Server "{{server}}"',
    "parameters": [{"name": "user", "label": "User"}, {"name": "server", "label": "Server"}],
    "values": {"user": "jdoe", "server": "dc1.corp.local"},
}
RESET_BODY = 'Set-ADAccountPassword -Identity "{{user}}" -NewPassword "{{password}}" -Reset'


@pytest.fixture
def window(session_window):
    return session_window("Locked out")


def _suggest(qloop, window, **fix: object) -> None:
    """The assistant suggests this fix (as a reply's marker would), and the lane shows it."""
    sid = window.current_session().id
    database = window.services.database
    marker = f"[SUGGEST_FIX]\n{json.dumps({'confidence': 80, **fix})}\n[/SUGGEST_FIX]"
    database.run_sync(lambda s: apply_reply(s, sid, parse_reply(marker)))
    summary = database.run_sync(lambda s: get_session_summary(s, sid))
    window.session_state.publish(SessionChange.of(summary, ChangeKind.FIX))
    qloop.until(
        lambda: (
            window.session_state.active_fix is not None
            and window.session_state.active_fix.title == fix["title"]
        )
    )


def _template(qloop, window, body: str = RESET_BODY, **extra: object) -> str:
    parameters = [Parameter("user", label="User"), Parameter("password", "secret")]
    draft = TemplateDraft("Reset an AD password", "", "", "powershell", body, parameters)
    ids: list[str] = []
    window.runner.run(window.services.templates.save(draft), on_success=ids.append)
    qloop.until(lambda: ids)
    return ids[0]


def _key(qtbot, dialog, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(dialog.focusWidget() or dialog, key, modifier)


def _no_template(qtbot, window) -> NoTemplateDialog:
    assert window.registry.trigger("fix.apply")
    qtbot.waitUntil(
        lambda: (
            window.scripts.no_template_dialog is not None
            and window.scripts.no_template_dialog.isVisible()
        )
    )
    return window.scripts.no_template_dialog


def test_no_template_by_keyboard_runs_now_and_drafts_a_template(qtbot, qloop, window, api) -> None:
    _suggest(qloop, window, title="Unlock the account", script=SCRIPT, language="powershell",
             parameters={"user": "jdoe", "server": "dc1.corp.local"})  # fmt: skip
    dialog = _no_template(qtbot, window)
    text = dialog.editor.text()
    assert [text[a:b] for a, b in dialog.editor.marked_value_spans()] == ["jdoe", "dc1.corp.local"]
    assert dialog.decision == "draft_template", "the recommended choice is the default"
    _key(qtbot, dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.scripts.no_template_dialog is None)
    qloop.settle(0.1)
    assert window.session_state.active_fix.applied_at is None, "Apply and Esc stamp nothing"

    activate(qtbot, window)
    dialog = _no_template(qtbot, window)
    _key(qtbot, dialog, Qt.Key.Key_3)
    assert dialog.decision == "build_template"
    dialog.editor.setFocus()
    _key(qtbot, dialog, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)  # from inside the editor
    assert dialog.decision == "one_off" and dialog.editor.text() == SCRIPT
    _key(qtbot, dialog, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert dialog.decision == "draft_template"
    api.enqueue(json.dumps(EXTRACTED))  # the extraction the decision asks for
    _key(qtbot, dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: window.session_state.active_fix.applied_at is not None)
    assert window.session_state.active_fix.decision == "draft_template"
    assert QApplication.clipboard().text() == SCRIPT
    qloop.until(lambda: window.scripts.pending_count == 1)
    view = window.scripts_dock.view
    assert view.badge.isVisible() and view.badge.text() == "1 script ready to review"
    assert window.scripts_dock.windowTitle() == "Scripts (1 to review)"
    assert api.message_requests[-1].body["max_tokens"] == 4000  # the extraction tier


def test_an_edited_script_is_what_runs_and_a_refusal_keeps_the_dialog(qtbot, qloop, window) -> None:
    _suggest(qloop, window, title="Unlock the account", script=SCRIPT)
    dialog = _no_template(qtbot, window)
    window.fixes.record_outcome(
        window.session_state.active_fix, "applied_failed"
    )  # final meanwhile
    qloop.until(lambda: window.session_state.active_fix.status == "applied_failed")
    dialog.editor.set_text(SCRIPT + " -Confirm:$false")
    dialog.editor.setFocus()
    _key(qtbot, dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: dialog.error.isVisible())
    assert "outcome is final" in dialog.error.text()
    assert dialog.isVisible() and dialog.editor.text().endswith("-Confirm:$false")


def test_build_a_template_opens_the_builder_with_the_script_and_runs_nothing(
    qtbot, qloop, window
) -> None:
    _suggest(qloop, window, title="Unlock the account", script=SCRIPT)
    dialog = _no_template(qtbot, window)
    _key(qtbot, dialog, Qt.Key.Key_3)
    _key(qtbot, dialog, Qt.Key.Key_Return)
    builder = window.builder.panel
    qloop.until(lambda: builder.isVisible() and builder.editor.text() == SCRIPT)
    assert builder.mode == 1, "Write it myself: the script to shape"
    qloop.until(lambda: window.session_state.active_fix.decision == "build_template")
    assert window.session_state.active_fix.applied_at is None
    # the builder offers it to the team library
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    editor = window.scripts_dock.view.editor
    qloop.until(lambda: window.scripts_dock.isVisible() and editor.body.text() == SCRIPT)
    assert editor.name_edit.text() == "Unlock the account" and editor.template_id is None
    editor.body.set_text(SCRIPT.replace('"jdoe"', '"{{user}}"'))
    qtbot.mouseClick(editor.detect_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    view = window.scripts_dock.view
    qloop.until(lambda: [r.name for r in view.records.values()] == ["Unlock the account"])
    record = next(iter(view.records.values()))
    assert record.source_session_id == window.current_session().id
    assert record.source_ticket_ref == "48213"


def test_template_match_fill_generate_copy_then_i_ran_this(qtbot, qloop, window) -> None:
    template_id = _template(qloop, window)
    _suggest(qloop, window, title="Reset the password", template_id=template_id,
             parameters={"user": "jdoe"})  # fmt: skip
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    panel = window.generator_dock.panel
    qloop.until(lambda: panel.generator is not None)
    assert window.generator_dock.isVisible()
    form = panel.generator.form
    assert form.fields["user"].text() == "jdoe" and form.tags["user"].isVisible()
    assert "password" not in form.tags

    qtbot.mouseClick(panel.generator.generate_button, Qt.MouseButton.LeftButton)
    assert "Password is required" in form.problems.text()
    form.fields["password"].setFocus()
    qtbot.keyClicks(form.fields["password"], "Winter-2026!")
    version = window.current_session().state_version
    _key(qtbot, window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    expected = RESET_BODY.replace("{{user}}", "jdoe").replace("{{password}}", "Winter-2026!")
    qloop.until(lambda: panel.generator.script == expected)
    assert panel.generator.output.text() == expected
    qtbot.mouseClick(panel.generator.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == expected
    qloop.until(lambda: window.current_session().state_version > version)
    assert window.session_state.active_fix.applied_at is None, "Generate and Copy are not a run"
    stored = window.services.database.run_sync(
        lambda s: s.scalars(select(ScriptGeneration)).one().rendered_script
    )
    assert "Winter-2026!" not in stored and "•••" in stored

    qtbot.mouseClick(panel.ran_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: window.session_state.active_fix.applied_at is not None)
    assert window.session_state.active_fix.decision is None
    qloop.until(lambda: not panel.ran_button.isEnabled())
    assert panel.ran_button.text() == "✓ Marked as run"
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert not window.generator_dock.isVisible(), "Ctrl+G toggles"


def test_a_deleted_template_says_so_and_offers_the_drafted_script(qtbot, qloop, window) -> None:
    template_id = _template(qloop, window)
    _suggest(qloop, window, title="Reset the password", template_id=template_id, script=SCRIPT)
    stale = window.session_state.active_fix
    done: list[object] = []
    window.runner.run(window.services.templates.delete(template_id), on_success=done.append)
    qloop.until(lambda: done)
    window.scripts.open_generator(stale)
    panel = window.generator_dock.panel
    qtbot.waitUntil(lambda: panel.findChild(object, "templateMissing") is not None)
    assert "no longer exists" in panel.findChild(object, "templateMissing").text()
    qtbot.mouseClick(panel.findChild(object, "useDraftedScript"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.scripts.no_template_dialog is not None)
    assert window.scripts.no_template_dialog.editor.text() == SCRIPT


def test_a_fix_without_a_script_opens_the_script_builder(qtbot, qloop, window) -> None:
    _suggest(qloop, window, title="Re-enable the account", language="bash")
    builder = window.builder.panel
    qloop.until(lambda: window.chat_dock.workspace.tabBar().isVisible())  # offered at once
    assert window.registry.trigger("fix.apply")
    qloop.until(lambda: builder.isVisible())
    assert "Re-enable the account" in builder.target_label.text()
    assert "no drafted script" in window.statusBar().currentMessage()
    assert window.session_state.active_fix.applied_at is None


def _draft_for_session(qloop, window, api) -> None:
    _suggest(qloop, window, title="Unlock the account", script=SCRIPT)
    fix = window.session_state.active_fix
    api.enqueue(json.dumps(EXTRACTED))
    scripts = window.services.fix_scripts
    done: list[object] = []

    async def run_and_draft() -> None:
        await scripts.decide(fix.session_id, fix.id, "draft_template")
        await scripts.propose_draft(fix.session_id, fix.id)

    window.runner.run(run_and_draft(), on_success=done.append)
    qloop.until(lambda: done)
    window.scripts.refresh_pending()
    qloop.until(lambda: window.scripts.pending_count == 1)


def test_templatize_after_resolve_accepts_an_edited_name(qtbot, qloop, window, api) -> None:
    _draft_for_session(qloop, window, api)
    sid = window.current_session().id
    window.conclusion.sig_concluded.emit(sid, NoteKind.ESCALATION)
    qloop.settle(0.2)
    assert window.scripts.templatize_dialog is None, "not after Escalate"

    window.conclusion.sig_concluded.emit(sid, NoteKind.RESOLUTION)
    qtbot.waitUntil(lambda: window.scripts.templatize_dialog is not None)
    dialog = window.scripts.templatize_dialog
    assert dialog.name_edit.text() == "Unlock an AD account"
    assert dialog.body.text() == EXTRACTED["templated_body"]
    assert dialog.parameter_list.count() == 2

    dialog.parameter_list.setCurrentRow(1)  # {{server}}: always the same DC here
    qtbot.mouseClick(dialog.remove_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.replacement, "dc1.corp.local")
    qtbot.keyClick(dialog.replacement, Qt.Key.Key_Return)
    assert dialog.body.text() == 'Unlock-ADAccount -Identity "{{user}}" -Server "dc1.corp.local"'
    dialog.name_edit.setFocus()
    dialog.name_edit.selectAll()
    qtbot.keyClicks(dialog.name_edit, "Unlock a locked-out user")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)  # Accept is the default button
    qtbot.waitUntil(lambda: window.scripts.templatize_dialog is None)
    qloop.until(lambda: window.scripts.pending_count == 0)
    assert not window.scripts_dock.view.badge.isVisible()

    view = window.scripts_dock.view
    qloop.until(lambda: any(r.name == "Unlock a locked-out user" for r in view.records.values()))
    record = next(iter(view.records.values()))
    assert record.source_ticket_ref == "48213" and record.source_session_id == sid
    assert [p["name"] for p in record.parameters_schema] == ["user"]
    view.list.setCurrentRow(0)
    assert view.generator.provenance.text().startswith("from ticket #48213 · resolved by ")


def test_skip_and_dont_ask_again(qtbot, qloop, window, api) -> None:
    _draft_for_session(qloop, window, api)
    sid = window.current_session().id
    window.scripts.after_resolve(sid)
    qtbot.waitUntil(lambda: window.scripts.templatize_dialog is not None)
    dialog = window.scripts.templatize_dialog
    qtbot.mouseClick(dialog.dont_ask, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.skip_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.scripts.templatize_dialog is None)
    qloop.until(lambda: window.scripts.pending_count == 0)
    enabled: list[bool] = []
    window.runner.run(window.services.drafts.prompt_enabled(), on_success=enabled.append)
    qloop.until(lambda: enabled)
    assert enabled == [False]
    assert "Settings turns it back on" in window.statusBar().currentMessage()


def test_scripts_view_create_search_generate_and_delete(qtbot, qloop, window) -> None:
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    view = window.scripts_dock.view
    assert window.scripts_dock.isVisible() and QApplication.focusWidget() is view.search_edit
    qloop.until(lambda: "No team templates yet" in view.empty.text())  # loaded when shown

    qtbot.mouseClick(view.new_button, Qt.MouseButton.LeftButton)
    editor = view.editor
    qtbot.keyClicks(editor.name_edit, "Flush DNS")
    editor.language_combo.setCurrentText("batch")
    editor.body.set_text("ipconfig /flushdns && ping {{host}}")
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: editor.problems.isVisible())
    assert "{{host}} is not declared" in editor.problems.text()
    qtbot.mouseClick(editor.detect_button, Qt.MouseButton.LeftButton)
    assert [p.name for p in editor.parameters()] == ["host"]
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: [r.name for r in view.records.values()] == ["Flush DNS"])
    assert view.tabs.currentIndex() == 0 and view.generator is not None

    generator = view.generator
    qtbot.keyClicks(generator.form.fields["host"], "10.0.0.12")
    qtbot.mouseClick(generator.generate_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: generator.script == "ipconfig /flushdns && ping 10.0.0.12")

    qtbot.keyClicks(view.search_edit, "printer")
    qloop.until(lambda: not view.records)
    assert view.empty.text() == "No template matches."
    view.search_edit.clear()
    qloop.until(lambda: len(view.records) == 1)

    view.tabs.setCurrentIndex(1)
    qtbot.mouseClick(editor.delete_button, Qt.MouseButton.LeftButton)
    box = next(
        b for b in window.findChildren(QMessageBox) if b.objectName() == "confirmDeleteTemplate"
    )
    qtbot.waitUntil(box.isVisible)
    box.button(QMessageBox.StandardButton.Yes).click()
    qloop.until(lambda: not view.records)


def test_a_new_category_from_the_editor(qtbot, qloop, window) -> None:
    window.scripts.new_template()
    editor = window.scripts_dock.view.editor

    def add(name: str) -> None:
        qtbot.mouseClick(editor.new_category_button, Qt.MouseButton.LeftButton)
        dialog = next(
            d for d in window.findChildren(QInputDialog) if d.objectName() == "newCategoryDialog"
        )
        qtbot.waitUntil(dialog.isVisible)
        dialog.setTextValue(name)
        dialog.accept()

    add("Accounts")
    qloop.until(lambda: editor.category_combo.currentText() == "Accounts")
    assert window.scripts_dock.view.category_filter.findText("Accounts") > 0
    add(" accounts ")
    qloop.until(lambda: editor.problems.isVisible())
    assert "already a category" in editor.problems.text()


def test_the_about_box_says_which_editor_runs(qtbot, qloop, window) -> None:
    assert window.registry.trigger("app.about")
    box = next(b for b in window.findChildren(QMessageBox) if b.objectName() == "aboutDialog")
    qtbot.waitUntil(box.isVisible)
    assert f"Script editor: {editor_backend_name()}" in box.informativeText()
    box.accept()


def test_refreshing_the_list_never_replaces_a_template_being_written(qtbot, qloop, window) -> None:
    _template(qloop, window)
    window.scripts.new_template()
    editor = window.scripts_dock.view.editor
    qtbot.keyClicks(editor.name_edit, "Half-written")
    window.scripts.reload_library()
    qloop.until(lambda: len(window.scripts_dock.view.records) == 1)
    assert editor.template_id is None and editor.name_edit.text() == "Half-written"


def test_the_library_is_built_when_first_needed_not_at_start_up(qtbot, qloop, make_window) -> None:
    """Start-up skips the library's widgets and Scintilla's library (~50 ms of first paint)."""
    import subprocess
    import sys

    code = "import sys, ui.main_window; print('pyside6_scintilla' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"

    window = make_window()
    assert not window.scripts_dock.view_built
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    assert window.scripts_dock.view_built
    assert QApplication.focusWidget() is window.scripts_dock.view.search_edit
