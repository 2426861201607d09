"""Keyboard-first and at home on a laptop (issue 15), driven the way a technician does it:
keys first, then what is on screen. Focus moves only when the technician moves it, no editor
keeps the keyboard, Tab never enters what is hidden, long unbroken text wraps, and the window
fits a 1366×768 screen."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QWidget

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.changes import ChangeKind, SessionChange
from storage.repositories.sessions import get_session_summary
from tests.anthropic_emulator import ScriptedReply
from tests.ui.helpers import activate
from ui.code_editor import CodeEditor, PlainTextBackend
from ui.sessions_dock.dialogs import SessionFormDialog
from ui.widgets.session_header import SessionHeader

REGISTRY_PATH = (
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Office\\16.0\\Outlook\\AutoDiscover"
    "\\ExcludeExplicitO365Endpoint\\{6F9619FF-8B86-D011-B42D-00C04FC964FF}"
    "\\\\fileserver01.corp.contoso.example\\departments$\\finance\\quarterly-reports-archive"
)


def _focused() -> QWidget | None:
    return QApplication.focusWidget()


def _sessions(qtbot, qloop, window, *titles: str) -> None:
    for title in titles:
        window.runner.run(window.services.sessions.create(title, ""))
        qloop.until(lambda t=title: t in window.sessions_panel.visible_titles())


def _suggest(qloop, window, **fix: object) -> None:
    sid = window.current_session().id
    database = window.services.database
    marker = f"[SUGGEST_FIX]\n{json.dumps({'confidence': 80, **fix})}\n[/SUGGEST_FIX]"
    database.run_sync(lambda s: apply_reply(s, sid, parse_reply(marker)))
    summary = database.run_sync(lambda s: get_session_summary(s, sid))
    window.session_state.publish(SessionChange.of(summary, ChangeKind.FIX))
    qloop.until(lambda: window.session_state.active_fix is not None)


def _tab_through(qtbot, window, start: QWidget, presses: int = 60) -> list[QWidget]:
    """Press Tab from ``start`` and collect every widget the focus lands on."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    seen: list[QWidget] = []
    for _ in range(presses):
        qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
        focused = _focused()
        assert focused is not None and focused.window() is window
        seen.append(focused)
    return seen


# ---- Focus moves only when the technician moves it


def test_arrowing_the_session_list_keeps_the_focus_in_the_list(qtbot, qloop, make_window) -> None:
    window = make_window()
    _sessions(qtbot, qloop, window, "First", "Second", "Third")
    activate(qtbot, window)
    panel = window.sessions_panel
    panel.select_first()
    panel.focus_list()
    for expected in ("Second", "First"):
        qtbot.keyClick(_focused(), Qt.Key.Key_Down)
        qloop.until(lambda e=expected: window.session_state.lane is not None)
        qloop.settle(0.1)  # the lane and the conversation of the new session render
        assert window.current_session().title == expected, "every ↓ moves the list"
        assert _focused() is panel.list_view


def test_ctrl_pgdown_from_the_composer_keeps_what_is_typed_next(
    qtbot, qloop, session_window
) -> None:
    window = session_window("One")
    _sessions(qtbot, qloop, window, "Two")
    activate(qtbot, window)
    window.focus_chat()
    edit = window.chat_dock.composer.edit
    qtbot.keyClick(edit, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: window.session_state.lane is not None)
    qloop.settle(0.1)
    assert _focused() is edit
    qtbot.keyClicks(_focused(), "still here")
    assert edit.toPlainText() == "still here"


def test_a_filter_that_hides_the_selected_session_keeps_the_focus_in_the_filter(
    qtbot, qloop, make_window
) -> None:
    window = make_window()
    _sessions(qtbot, qloop, window, "Printer offline", "VPN drops")
    activate(qtbot, window)
    panel = window.sessions_panel
    panel.select_first()
    assert window.current_session().title == "VPN drops"
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(panel.filter_edit, "printer")
    qloop.settle(0.2)
    assert _focused() is panel.filter_edit
    assert panel.filter_edit.text() == "printer"


def test_ctrl_n_lands_in_the_composer(qtbot, qloop, make_window) -> None:
    window = make_window()
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(SessionFormDialog)))
    dialog = next(d for d in window.findChildren(SessionFormDialog) if d.isVisible())
    activate(qtbot, dialog)
    qtbot.keyClicks(dialog.title_edit, "Mapped drive missing")
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Return)
    qloop.until(lambda: window.current_session() is not None)
    activate(qtbot, window)
    qtbot.waitUntil(lambda: _focused() is window.chat_dock.composer.edit)
    qtbot.keyClicks(_focused(), "Drive S: is gone")
    assert window.chat_dock.composer.edit.toPlainText() == "Drive S: is gone"


def test_open_settings_works_before_any_session_and_points_to_connectwise(
    qtbot, qloop, make_window
) -> None:
    window = make_window()
    activate(qtbot, window)
    assert window.current_session() is None
    chat = window.chat_dock
    qloop.until(lambda: chat.composer.missing_key.isVisible())  # no Anthropic key yet
    assert chat.composer.settings_button.isEnabled(), "Open Settings works without a session"
    assert not chat.composer.edit.isEnabled(), "there is nothing to write to yet"
    assert "ConnectWise" in chat.empty_label.text() and chat.setup_button.isVisible()
    chat.setup_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(chat.setup_button, Qt.Key.Key_Space)
    qtbot.waitUntil(
        lambda: window.settings.dialog is not None and window.settings.dialog.isVisible()
    )
    window.settings.dialog.reject()
    qtbot.waitUntil(lambda: window.settings.dialog is None)
    activate(qtbot, window)
    chat.composer.settings_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClick(chat.composer.settings_button, Qt.Key.Key_Space)
    qtbot.waitUntil(
        lambda: window.settings.dialog is not None and window.settings.dialog.isVisible()
    )
    window.settings.dialog.reject()


# ---- Code editors are no keyboard trap


@pytest.fixture(params=[PlainTextBackend, None], ids=["plain", "default"])
def code_editor(request, qtbot):
    """A code editor between two buttons, in a plain window (not a dialog)."""
    from PySide6.QtWidgets import QPushButton, QVBoxLayout

    host = QWidget()
    before = QPushButton("Before", host)  # created in screen order: that is the Tab chain
    editor = CodeEditor(host, backend=request.param)
    after = QPushButton("After", host)
    layout = QVBoxLayout(host)
    for widget in (before, editor, after):
        layout.addWidget(widget)
    qtbot.addWidget(host)
    host.show()
    qtbot.waitExposed(host)
    activate(qtbot, host)
    editor.setFocus()
    yield editor, before, after
    del host  # held until here: qtbot keeps only a weak reference


def test_tab_indents_and_ctrl_tab_leaves(qtbot, code_editor) -> None:
    editor, before, after = code_editor
    inner = _focused()
    qtbot.keyClick(inner, Qt.Key.Key_Tab)
    assert _focused() is inner and editor.text().strip() == "" and editor.text() != ""
    qtbot.keyClick(inner, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    assert _focused() is after
    editor.setFocus()
    qtbot.keyClick(_focused(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ControlModifier)
    assert _focused() is before


def test_escape_then_tab_leaves_and_typing_rearms_tab(qtbot, code_editor) -> None:
    editor, _before, after = code_editor
    inner = _focused()
    qtbot.keyClick(inner, Qt.Key.Key_Escape)
    qtbot.keyClick(inner, Qt.Key.Key_Tab)
    assert _focused() is after and "\t" not in editor.text() and "    " not in editor.text()
    editor.setFocus()
    qtbot.keyClick(inner, Qt.Key.Key_Escape)
    qtbot.keyClicks(inner, "x")  # typing again: Tab indents again
    qtbot.keyClick(inner, Qt.Key.Key_Tab)
    assert _focused() is inner


def test_a_read_only_editor_never_keeps_tab(qtbot, code_editor) -> None:
    editor, _before, after = code_editor
    editor.set_text("Get-Service")
    editor.set_read_only(True)
    editor.setFocus()
    qtbot.keyClick(_focused(), Qt.Key.Key_Tab)
    assert _focused() is after and editor.text() == "Get-Service"


# ---- Tab follows the screen and never enters a hidden tab


def _is_shown(widget: QWidget) -> bool:
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def test_tab_never_enters_the_tab_behind_the_chat(qtbot, qloop, session_window) -> None:
    window = session_window("Outlook prompts")
    scripts, chat = window.scripts_dock, window.chat_dock
    assert window.tabifiedDockWidgets(chat) == [scripts] and not _is_shown(scripts)
    seen = _tab_through(qtbot, window, chat.composer.edit)
    assert not [w.objectName() for w in seen if scripts.isAncestorOf(w)]
    assert all(_is_shown(w) for w in seen), [w.objectName() for w in seen if not _is_shown(w)]
    assert {chat.composer.edit, window.sessions_panel.filter_edit} <= set(seen), "it goes round"

    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: _is_shown(scripts))
    seen = _tab_through(qtbot, window, scripts.view.search_edit)
    assert not [w.objectName() for w in seen if chat.isAncestorOf(w)]
    assert all(_is_shown(w) for w in seen), [
        (w.objectName(), type(w).__name__, w.parentWidget().objectName())
        for w in seen
        if not _is_shown(w)
    ]


def test_tab_order_follows_the_screen_left_to_right(qtbot, qloop, session_window) -> None:
    window = session_window("Outlook prompts")
    order = [window.sessions_panel, window.chat_dock, window.task_lane_dock]
    seen = _tab_through(qtbot, window, window.sessions_panel.filter_edit, presses=40)
    docks = []
    for widget in seen:
        dock = next(d for d in order if d.isAncestorOf(widget))
        if not docks or docks[-1] is not dock:
            docks.append(dock)
    assert docks[:3] == order, [d.objectName() for d in docks]


def test_alt_3_lands_on_a_real_control_in_the_lane(qtbot, qloop, session_window) -> None:
    window = session_window("Outlook prompts")
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    focused = _focused()
    assert window.task_lane_dock.isAncestorOf(focused)
    assert _is_shown(focused) and focused.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert focused.objectName() not in ("taskLaneBody", "taskLaneScroll", "taskLaneSections")


# ---- Long unbroken text wraps


def test_a_long_path_wraps_in_the_lane_instead_of_widening_it(qtbot, qloop, session_window) -> None:
    window = session_window("Outlook prompts")
    lane = window.task_lane_dock
    width = lane.width()
    assert window.registry.trigger("lane.add_note")
    qtbot.keyClicks(_focused(), REGISTRY_PATH)
    qtbot.keyClick(_focused(), Qt.Key.Key_Return)
    qloop.until(lambda: any(f.text == REGISTRY_PATH for f in window.session_state.lane.facts))
    qloop.settle(0.2)
    sections = lane.findChild(QWidget, "taskLaneSections")
    scroll = lane.findChild(QWidget, "taskLaneScroll")
    assert lane.width() == width, "the dock keeps its width"
    assert sections.width() <= scroll.width(), "no row is wider than the lane"
    for button in (lane.resolve_button, lane.escalate_button):
        assert lane.rect().contains(QRect(button.mapTo(lane, QPoint(0, 0)), button.size()))


def test_a_long_guid_wraps_in_the_reply(qtbot, qloop, session_window, api) -> None:
    window = session_window("Outlook prompts")
    view = window.chat_dock.view
    api.enqueue(ScriptedReply(text=f"Check {REGISTRY_PATH} then restart Outlook."))
    window.focus_chat()
    qtbot.keyClicks(_focused(), "Where is the policy?")
    qtbot.keyClick(_focused(), Qt.Key.Key_Return)
    qloop.until(lambda: not window.chat_dock.streaming)
    qloop.settle(0.2)
    bubble = view.bubbles()[-1]
    assert bubble.width() <= view.viewport().width()
    assert view.horizontalScrollBar().maximum() == 0


# ---- Copy reply and the time of a message


def test_copy_reply_copies_what_is_shown_and_the_time_shows_on_focus(
    qtbot, qloop, session_window, api
) -> None:
    window = session_window("Outlook prompts")
    reply = (
        'Clear the cached credentials.\n[PROMOTE]\n{"text": "Outlook prompts for the password"}'
        "\n[/PROMOTE]"
    )
    api.enqueue(ScriptedReply(text=reply))
    window.focus_chat()
    qtbot.keyClicks(_focused(), "It keeps asking")
    qtbot.keyClick(_focused(), Qt.Key.Key_Return)
    qloop.until(lambda: not window.chat_dock.streaming)
    bubble = window.chat_dock.view.bubbles()[-1]
    qtbot.waitUntil(lambda: bubble.copy_reply_button.isVisible())
    assert not bubble.time_label.isVisible(), "the time waits for hover or focus"
    bubble.copy_reply_button.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(bubble.time_label.isVisible)
    qtbot.keyClick(bubble.copy_reply_button, Qt.Key.Key_Space)
    copied = QApplication.clipboard().text()
    assert copied.startswith("Clear the cached credentials.") and "PROMOTE" not in copied
    window.focus_chat()
    qtbot.waitUntil(lambda: not bubble.time_label.isVisible())


# ---- Ctrl+Enter where the README says


def test_ctrl_enter_generates_after_the_scripts_tab_has_shown(qtbot, qloop, session_window) -> None:
    from flowpilot_desktop.scripts.library import TemplateDraft
    from flowpilot_desktop.scripts.templates import Parameter

    window = session_window("Flush DNS")
    draft = TemplateDraft(
        "Flush DNS", "", "", "batch", "ipconfig /flushdns && ping {{host}}", [Parameter("host")]
    )
    ids: list[str] = []
    window.runner.run(window.services.templates.save(draft), on_success=ids.append)
    qloop.until(lambda: ids)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)  # the Scripts tab
    view = window.scripts_dock.view
    qloop.until(lambda: view.generator is not None)
    _suggest(qloop, window, title="Flush DNS", template_id=ids[0], parameters={"host": "dc1"})
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    panel = window.generator_dock.panel
    qloop.until(lambda: panel.generator is not None)
    panel.generator.form.fields["host"].setFocus()
    qtbot.keyClick(_focused(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: panel.generator.script == "ipconfig /flushdns && ping dc1")
    assert view.generator.script != panel.generator.script, "only the focused generator ran"


def test_ctrl_s_saves_a_template_and_save_stays_in_view(qtbot, qloop, session_window) -> None:
    window = session_window("Flush DNS")
    window.resize(1366, 728)
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.AltModifier)
    view = window.scripts_dock.view
    window.scripts.new_template()
    editor = view.editor
    qtbot.waitUntil(editor.name_edit.isVisible)
    editor.name_edit.setFocus()
    qtbot.keyClicks(editor.name_edit, "Flush DNS")
    editor.body.setFocus()
    qtbot.keyClicks(_focused(), "ipconfig /flushdns")
    assert "Ctrl+S" in editor.save_button.text()
    assert _is_shown(editor.save_button), "Save is never below the fold"
    qtbot.keyClick(_focused(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: [r.name for r in view.records.values()] == ["Flush DNS"])


# ---- At home on a laptop


def test_a_1366x768_laptop_gets_the_whole_screen_and_a_tall_conversation(
    qtbot, qloop, session_window, monkeypatch
) -> None:
    import ui.window_layout

    laptop = QRect(0, 0, 1366, 728)  # 768 less a 40 px task bar
    monkeypatch.setattr(ui.window_layout, "available_geometry", lambda _window: laptop)
    window = session_window("Outlook keeps asking for a password")
    qtbot.waitUntil(lambda: window.width() <= 1366 and window.height() <= 728)
    assert laptop.contains(window.frameGeometry())
    _suggest(qloop, window, title="Clear the cached Office credentials",
             description="Remove the stale entries from Credential Manager, then sign in.")  # fmt: skip
    qtbot.waitUntil(window.chat_dock.banner.isVisible)
    qloop.settle(0.3)  # the banner slides in
    conversation = window.chat_dock.view.parentWidget()  # the stack: messages or empty state
    assert conversation.height() >= 380, conversation.height()
    assert window.chat_dock.width() >= 600
    headers = window.findChildren(SessionHeader)
    assert sum(1 for h in headers if _is_shown(h)) == 1, "one session header"
    assert window.chat_dock.titleBarWidget() is window.chat_dock.header, "and it is the title"


def test_the_chat_takes_the_width_a_wide_window_gains(qtbot, qloop, make_window) -> None:
    window = make_window()
    window.resize(1400, 900)
    qtbot.waitUntil(lambda: window.width() == 1400)
    qloop.settle(0.1)
    narrow = window.chat_dock.width(), window.sessions_panel.width()
    window.resize(1900, 1000)
    qtbot.waitUntil(lambda: window.width() == 1900)
    qloop.settle(0.1)
    assert window.chat_dock.width() - narrow[0] >= 400, "the conversation gets the width"
    assert abs(window.sessions_panel.width() - narrow[1]) <= 10, "Sessions keeps its width"
