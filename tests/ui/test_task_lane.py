"""The task lane and the outcome banner as a technician uses them, against the local
Anthropic emulator: the lane fills while talking, corrections, promotion by keyboard, and
recording what happened with the fix."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QPushButton

from flowpilot_desktop.fix_outcome import BannerMode
from tests.anthropic_emulator import ScriptedReply
from tests.ui.helpers import activate
from ui.chat_dock.outcome_banner import NO_HEIGHT_LIMIT
from ui.fix_history_dialog import FixHistoryDialog

SCRIPT = "cmdkey /delete:MicrosoftOffice16_Data"


def _block(name: str, payload: object) -> str:
    return f"[{name}]\n{json.dumps(payload)}\n[/{name}]"


FIRST_REPLY = "\n".join(
    [
        "Probably a stale token.",
        _block("QUESTIONS", [{"text": "Does Teams prompt too?", "options": ["Yes", "No"]}]),
        _block(
            "ACTIONS",
            [
                {"label": "List credentials", "command": "cmdkey /list"},
                {"label": "Check the PRT", "command": "dsregcmd /status"},
            ],
        ),
        _block("PROMOTE", {"text": "Webmail works."}),
        _block("SUGGEST_FIX", {"title": "Clear the token", "confidence": 60}),
    ]
)
BETTER_FIX = "Better idea.\n" + _block(
    "SUGGEST_FIX",
    {"title": "Reset the WAM account", "confidence": 85, "script": SCRIPT, "language": "batch"},
)


@pytest.fixture
def lane_window(session_window):
    return session_window("Outlook prompts")


def _say(qtbot, qloop, window, text: str) -> None:
    window.focus_chat()
    edit = window.chat_dock.composer.edit
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qloop.until(lambda: not window.chat_dock.streaming)


def _converse(qtbot, qloop, window, api, *replies: str, changes: bool = True) -> None:
    """Send one message per reply and wait until the lane shows what the reply changed."""
    for index, reply in enumerate(replies):
        api.enqueue(ScriptedReply(text=reply, delay_s=0.005))
        version = window.session_state.lane.state_version
        _say(qtbot, qloop, window, f"message {index}")
        if changes:
            qloop.until(lambda v=version: window.session_state.lane.state_version > v)
        else:
            qloop.settle(0.2)


def _wait_banner(qtbot, qloop, banner, mode: BannerMode) -> None:
    """The banner is in ``mode`` and has finished sliding up."""
    qloop.until(lambda: banner.mode is mode)
    qtbot.waitUntil(lambda: banner.maximumHeight() == NO_HEIGHT_LIMIT and banner.height() > 20)


def test_a_conversation_fills_the_lane_and_a_better_fix_supersedes(
    qtbot, qloop, lane_window, api
) -> None:
    window, lane = lane_window, lane_window.task_lane_dock
    assert lane.facts.empty_hint.isVisible()
    assert not lane.resolve_button.isEnabled() and not lane.escalate_button.isEnabled()
    assert not window.registry.is_enabled("ticket.resolve")

    api.enqueue(
        ScriptedReply(
            text=FIRST_REPLY,
            chunks=[FIRST_REPLY[i : i + 20] for i in range(0, len(FIRST_REPLY), 20)],
            delay_s=0.02,
        )
    )
    window.focus_chat()
    qtbot.keyClicks(window.chat_dock.composer.edit, "Outlook prompts, OWA fine")
    qtbot.keyClick(window.chat_dock.composer.edit, Qt.Key.Key_Return)
    qloop.until(lambda: lane.thinking.isVisible())
    assert lane.facts.synthesizing.isVisible() and lane.facts.skeleton.isVisible()
    qloop.until(lambda: not window.chat_dock.streaming)
    qloop.until(lambda: window.session_state.lane.active_fix is not None)
    assert not lane.thinking.isVisible() and not lane.facts.skeleton.isVisible()

    assert [row.fact.text for row in lane.facts.rows] == ["Webmail works."]
    assert [row.item["text"] for row in lane.item_rows.values() if row.kind == "question"] == [
        "Does Teams prompt too?"
    ]
    assert [row.item["label"] for row in lane.item_rows.values() if row.kind == "check"] == [
        "List credentials",
        "Check the PRT",
    ]
    assert lane.fix_card.findChild(QLabel, "fixTitle").text() == "Clear the token"
    assert lane.fix_card.findChild(QLabel, "fixConfidence").text() == "60%"
    assert lane.resolve_button.isEnabled() and window.registry.is_enabled("ticket.escalate")
    cue = window.chat_dock.view.bubbles()[-1].next_steps
    assert cue.isVisible() and cue.text() == "Next steps · 2 pending"
    banner = window.chat_dock.banner
    assert banner.isVisible() and banner.mode is BannerMode.PROPOSED
    assert "Clear the token" in banner.message.text()

    _converse(qtbot, qloop, window, api, BETTER_FIX)
    qloop.until(lambda: window.session_state.lane.active_fix.title == "Reset the WAM account")
    assert [f.title for f in window.session_state.lane.fix_history] == ["Clear the token"]
    assert lane.fix_card.history_button.text() == "1 earlier suggestion"
    assert "Reset the WAM account" in banner.message.text()
    assert window.chat_dock.view.bubbles()[1].next_steps.isVisible(), (
        "the cue stays on the reply with checks"
    )

    qtbot.mouseClick(lane.fix_card.history_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(FixHistoryDialog)))
    history = next(d for d in window.findChildren(FixHistoryDialog) if d.isVisible())
    assert "Clear the token" in history.browser.toPlainText()
    assert "replaced" in history.browser.toPlainText()
    history.reject()


def test_notes_edit_delete_and_undo_by_keyboard(qtbot, qloop, lane_window, api) -> None:
    window, lane = lane_window, lane_window.task_lane_dock
    qtbot.keyClick(
        window,
        Qt.Key.Key_N,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert QApplication.focusWidget() is lane.facts.note_editor
    qtbot.keyClicks(lane.facts.note_editor, "Webmail works in Edge")
    qtbot.keyClick(lane.facts.note_editor, Qt.Key.Key_Return)
    qloop.until(lambda: len(lane.facts.rows) == 1)
    row = lane.facts.rows[0]
    assert row.fact.text == "Webmail works in Edge" and row.fact.source_type == "engineer_note"
    assert not lane.facts.note_editor.isVisible()

    qtbot.mouseClick(row.edit_button, Qt.MouseButton.LeftButton)
    assert QApplication.focusWidget() is row.editor
    row.editor.clear()
    qtbot.keyClicks(row.editor, "Webmail works in Edge and Firefox")
    qtbot.keyClick(row.editor, Qt.Key.Key_Return)
    qloop.until(lambda: lane.facts.rows and lane.facts.rows[0].fact.text.endswith("Firefox"))

    # Esc leaves an edit without saving
    row = lane.facts.rows[0]
    qtbot.mouseClick(row.edit_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(row.editor, "garbage")
    qtbot.keyClick(row.editor, Qt.Key.Key_Escape)
    assert not row.editor.isVisible() and row.text_label.isVisible()

    # an empty note is refused with a message, and nothing typed is lost
    lane.open_note_editor()
    qtbot.keyClicks(lane.facts.note_editor, "   ")
    qtbot.keyClick(lane.facts.note_editor, Qt.Key.Key_Return)
    qloop.until(lambda: lane.notice.isVisible())
    assert "Write the note first" in lane.notice.text()
    qtbot.keyClick(lane.facts.note_editor, Qt.Key.Key_Escape)

    qtbot.mouseClick(lane.facts.rows[0].delete_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: not lane.facts.rows)
    assert "Deleted" in lane.notice.text() and lane.undo_button.isVisible()
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: len(lane.facts.rows) == 1)
    assert lane.facts.rows[0].fact.text == "Webmail works in Edge and Firefox"


def test_facts_from_a_question_are_edited_through_the_question(
    qtbot, qloop, lane_window, api
) -> None:
    window, lane = lane_window, lane_window.task_lane_dock
    _converse(qtbot, qloop, window, api, FIRST_REPLY)
    question = next(r for r in lane.item_rows.values() if r.kind == "question")
    qtbot.mouseClick(
        question.findChildren(QPushButton, "questionOption")[0], Qt.MouseButton.LeftButton
    )
    qloop.until(lambda: window.session_state.lane.questions[0].get("answer") == "Yes")
    question = lane.item_rows[question.item_id]
    assert question.answer_label.text() == "Answer: Yes"
    qtbot.keyClicks(question.promote_editor, "Teams prompts as well")
    qtbot.keyClick(question.promote_editor, Qt.Key.Key_Return)
    qloop.until(lambda: any(f.source_type == "question" for f in window.session_state.lane.facts))
    row = next(r for r in lane.facts.rows if r.fact.source_type == "question")
    assert not row.edit_button.isEnabled()
    assert "Edit the answer there" in row.edit_button.toolTip()
    assert row.delete_button.isEnabled()
    assert lane.item_rows[question.item_id].status_label.text() == "✓ In What we know"


def test_promote_a_check_by_keyboard_with_synthesis(qtbot, qloop, lane_window, api) -> None:
    window, lane = lane_window, lane_window.task_lane_dock
    _converse(qtbot, qloop, window, api, FIRST_REPLY)
    check_id = next(r.item_id for r in lane.item_rows.values() if r.kind == "check")

    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)  # go to the lane
    # Tab to the check's result field, the way a technician would
    for _ in range(40):
        if QApplication.focusWidget() is lane.item_rows[check_id].answer_editor:
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is lane.item_rows[check_id].answer_editor
    qtbot.keyClicks(QApplication.focusWidget(), "Two stale MicrosoftOffice16 entries")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qloop.until(lambda: window.session_state.lane.checks[0].get("done"))
    row = lane.item_rows[check_id]
    assert row.findChild(QLabel, "checkLabel").text() == "✓ List credentials"
    assert QApplication.focusWidget() is row.promote_editor, "focus moves on to Promote"
    assert window.chat_dock.view.bubbles()[-1].next_steps.text() == "Next steps · 1 pending"

    # the fast tier gives nothing usable: the technician is asked to write it, nothing lost
    api.enqueue("NONE")
    qtbot.keyClick(row.promote_editor, Qt.Key.Key_Return)
    qloop.until(lambda: "Write the fact yourself" in lane.item_rows[check_id].status_label.text())
    row = lane.item_rows[check_id]
    assert row.answer_label.text() == "Result: Two stale MicrosoftOffice16 entries"
    assert QApplication.focusWidget() is row.promote_editor

    api.enqueue("Two stale MicrosoftOffice16 credentials are cached.")
    qtbot.keyClick(row.promote_editor, Qt.Key.Key_Return)
    qloop.until(
        lambda: any(f.source_type == "diagnostic_check" for f in window.session_state.lane.facts)
    )
    fact = next(f for f in window.session_state.lane.facts if f.source_type == "diagnostic_check")
    assert (
        fact.text == "Two stale MicrosoftOffice16 credentials are cached."
        and fact.source_ref == check_id
    )
    synthesis_request = api.message_requests[-1].body
    assert "Two stale MicrosoftOffice16 entries" in json.dumps(synthesis_request["messages"])


def test_a_reload_keeps_what_the_technician_was_typing(qtbot, qloop, lane_window, api) -> None:
    window, lane = lane_window, lane_window.task_lane_dock
    _converse(qtbot, qloop, window, api, FIRST_REPLY)
    check_id = next(r.item_id for r in lane.item_rows.values() if r.kind == "check")
    editor = lane.item_rows[check_id].answer_editor
    editor.setFocus()
    qtbot.keyClicks(editor, "half-typed result")
    window.session_state.reload_lane()
    qloop.until(lambda: lane.item_rows[check_id].answer_editor is not editor)
    assert lane.item_rows[check_id].answer_editor.text() == "half-typed result"
    assert QApplication.focusWidget() is lane.item_rows[check_id].answer_editor


def test_outcome_from_the_banner_apply_ran_partial_then_worked(
    qtbot, qloop, lane_window, api
) -> None:
    window, lane, banner = lane_window, lane_window.task_lane_dock, lane_window.chat_dock.banner
    _converse(qtbot, qloop, window, api, BETTER_FIX)
    _wait_banner(qtbot, qloop, banner, BannerMode.PROPOSED)

    qtbot.mouseClick(banner.buttons["apply"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            window.scripts.no_template_dialog is not None
            and window.scripts.no_template_dialog.isVisible()
        )
    )
    dialog = window.scripts.no_template_dialog
    assert dialog.editor.text() == SCRIPT
    qloop.settle(0.1)
    assert window.session_state.lane.active_fix.applied_at is None, "Apply itself stamps nothing"
    _run_once(qtbot, dialog)
    _wait_banner(qtbot, qloop, banner, BannerMode.VERIFYING)
    assert QApplication.clipboard().text() == SCRIPT
    assert (
        window.session_state.lane.active_fix.decision == "one_off"
        and window.session_state.lane.active_fix.applied_at is not None
    )
    activate(qtbot, window)  # the dialog closed (offscreen does not hand activation back)

    qtbot.mouseClick(banner.buttons["partial"], Qt.MouseButton.LeftButton)
    assert QApplication.focusWidget() is banner.notes_editor
    qtbot.keyClick(banner.notes_editor, Qt.Key.Key_Return)
    assert "needs them" in banner.error.text(), "partial needs notes"
    qtbot.keyClicks(banner.notes_editor, "Cleared on the laptop, not on the RDS host")
    qtbot.keyClick(banner.notes_editor, Qt.Key.Key_Return)
    qloop.until(lambda: banner.mode is BannerMode.PARTIAL)
    assert "not on the RDS host" in banner.detail.text()
    assert "Partly applied: Cleared on the laptop" in lane.fix_card.status_label.text()

    assert window.registry.trigger("fix.worked")
    qloop.until(lambda: banner.mode is BannerMode.HIDDEN)
    assert not banner.isVisible()
    fix = window.session_state.lane.active_fix
    assert fix.status == "applied_success" and fix.verified_at is not None
    assert lane.fix_card.status_label.text() == "Worked"
    assert not lane.fix_card.dismiss_button.isEnabled()


def test_refused_outcome_is_said_plainly(qtbot, qloop, lane_window, api) -> None:
    window = lane_window
    _converse(qtbot, qloop, window, api, BETTER_FIX)
    fix = window.session_state.lane.active_fix
    window.fixes.record_outcome(fix, "applied_failed")
    qloop.until(lambda: window.session_state.lane.active_fix.status == "applied_failed")
    window.fixes.record_outcome(fix, "applied_partial", "some")  # stale view: refused
    qtbot.waitUntil(lambda: any(b.isVisible() for b in window.findChildren(QMessageBox)))
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert "can't be marked" in box.text() and "final" in box.text()
    box.accept()
    assert window.session_state.lane.active_fix.status == "applied_failed"


def test_assistant_outcome_proposal_confirmed_and_rejected(qtbot, qloop, lane_window, api) -> None:
    window, banner = lane_window, lane_window.chat_dock.banner
    _converse(qtbot, qloop, window, api, BETTER_FIX)
    fix_id = window.session_state.lane.active_fix.id
    proposal = "Sounds fixed.\n" + _block(
        "FIX_OUTCOME", {"fix_id": fix_id, "outcome": "success", "reason": "no prompts since"}
    )
    _converse(qtbot, qloop, window, api, proposal)
    _wait_banner(qtbot, qloop, banner, BannerMode.AI_CONFIRMING)
    assert "worked" in banner.message.text() and "no prompts since" in banner.detail.text()
    qtbot.mouseClick(banner.buttons["reject"], Qt.MouseButton.LeftButton)
    qloop.until(lambda: banner.mode is BannerMode.PROPOSED)
    _converse(qtbot, qloop, window, api, proposal.replace("Sounds", "Really sounds"), changes=False)
    assert banner.mode is BannerMode.PROPOSED, "a rejected proposal never comes back for this fix"

    _converse(qtbot, qloop, window, api, BETTER_FIX.replace("85", "90"))
    new_fix = window.session_state.lane.active_fix.id
    assert new_fix != fix_id
    failed = "Hm.\n" + _block(
        "FIX_OUTCOME", {"fix_id": new_fix, "outcome": "failure", "reason": "still prompts"}
    )
    _converse(qtbot, qloop, window, api, failed)
    qloop.until(lambda: banner.mode is BannerMode.AI_CONFIRMING)
    assert window.registry.trigger("fix.confirm_outcome")
    qloop.until(lambda: window.session_state.lane.active_fix.status == "applied_failed")
    assert window.session_state.lane.active_fix.failure_reason == "still prompts"


def _press(qtbot, button) -> None:
    """Press a button the keyboard way: focus it, then Space."""
    button.setFocus(Qt.FocusReason.TabFocusReason)
    assert QApplication.focusWidget() is button
    qtbot.keyClick(button, Qt.Key.Key_Space)


def test_worked_and_dismiss_are_undone_with_ctrl_z(qtbot, qloop, lane_window, api) -> None:
    window, lane, banner = lane_window, lane_window.task_lane_dock, lane_window.chat_dock.banner
    _converse(qtbot, qloop, window, api, BETTER_FIX)
    window.scripts.apply(window.session_state.lane.active_fix)
    qtbot.waitUntil(lambda: window.scripts.no_template_dialog is not None)
    _run_once(qtbot, window.scripts.no_template_dialog)
    _wait_banner(qtbot, qloop, banner, BannerMode.VERIFYING)
    activate(qtbot, window)
    applied = window.session_state.lane.active_fix
    assert window.registry.action("edit.undo").text() == "&Undo"

    _press(qtbot, banner.buttons["worked"])
    qloop.until(lambda: window.session_state.lane.active_fix.status == "applied_success")
    assert banner.mode is BannerMode.HIDDEN
    qtbot.waitUntil(
        lambda: window.statusBar().currentMessage() == "Marked as worked — Undo (Ctrl+Z)"
    )
    assert window.registry.is_enabled("edit.undo")

    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    _wait_banner(qtbot, qloop, banner, BannerMode.VERIFYING)
    fix = window.session_state.lane.active_fix
    assert fix == applied, "every field as before the outcome"
    assert lane.fix_card.dismiss_button.isEnabled()
    assert window.statusBar().currentMessage() == "Marked as worked — undone."
    assert not window.registry.is_enabled("edit.undo"), "undone once"

    _press(qtbot, lane.fix_card.dismiss_button)
    qloop.until(lambda: window.session_state.lane.active_fix is None)
    assert lane.fix_card is None and not banner.isVisible()
    assert window.statusBar().currentMessage() == "Fix dismissed — Undo (Ctrl+Z)"
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: window.session_state.lane.active_fix is not None)
    assert window.session_state.lane.active_fix == applied
    assert window.session_state.lane.fix_history == ()
    assert lane.fix_card is not None and lane.fix_card.isVisible()
    _wait_banner(qtbot, qloop, banner, BannerMode.VERIFYING)


def test_undo_after_the_fix_changed_is_refused_plainly(qtbot, qloop, lane_window, api) -> None:
    window, banner = lane_window, lane_window.chat_dock.banner
    _converse(qtbot, qloop, window, api, BETTER_FIX)
    _wait_banner(qtbot, qloop, banner, BannerMode.PROPOSED)
    activate(qtbot, window)
    _press(qtbot, banner.buttons["dismiss"])
    qloop.until(lambda: window.session_state.lane.active_fix is None)
    _converse(qtbot, qloop, window, api, BETTER_FIX.replace("85", "90"))
    new_fix = window.session_state.lane.active_fix
    assert new_fix is not None

    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "suggested another fix" in window.statusBar().currentMessage())
    assert "suggested another fix" in banner.error.text()
    qloop.settle(0.1)
    assert window.session_state.lane.active_fix == new_fix, "nothing was overwritten"


def test_nudge_after_three_messages_then_still_checking(qtbot, qloop, lane_window, api) -> None:
    window, banner = lane_window, lane_window.chat_dock.banner
    _converse(qtbot, qloop, window, api, BETTER_FIX)
    window.scripts.apply(window.session_state.lane.active_fix)
    qtbot.waitUntil(lambda: window.scripts.no_template_dialog is not None)
    _run_once(qtbot, window.scripts.no_template_dialog)
    qloop.until(lambda: banner.mode is BannerMode.VERIFYING)
    activate(qtbot, window)
    for n in range(3):
        api.enqueue(f"ok {n}")
        _say(qtbot, qloop, window, f"still on it {n}")
        qloop.until(lambda n=n: window.session_state.lane.messages_since_applied == n + 1)
    _wait_banner(qtbot, qloop, banner, BannerMode.NUDGE)
    qtbot.mouseClick(banner.buttons["pending"], Qt.MouseButton.LeftButton)
    qtbot.keyClicks(banner.notes_editor, "Waiting for the user to reboot")
    qtbot.keyClick(banner.notes_editor, Qt.Key.Key_Return)
    qloop.until(lambda: banner.mode is BannerMode.PENDING)
    fix = window.session_state.lane.active_fix
    assert (
        fix.status == "applied_pending" and fix.pending_reason == "Waiting for the user to reboot"
    )
    assert fix.verified_at is None


def test_banner_collapses_and_resets_with_the_session(qtbot, qloop, lane_window, api) -> None:
    window, banner = lane_window, lane_window.chat_dock.banner
    _converse(qtbot, qloop, window, api, BETTER_FIX)
    assert window.registry.trigger("fix.toggle_banner")
    assert banner.collapsed and not banner.buttons["apply"].isVisible()
    assert banner.message.text().startswith("Fix outcome — Suggested fix")
    window.runner.run(window.services.sessions.create("Other"))
    qloop.until(lambda: window.sessions_panel.model.rowCount() == 2)
    window.sessions_panel.select_relative(1)
    qloop.until(
        lambda: (
            window.session_state.lane is not None and window.session_state.lane.active_fix is None
        )
    )
    assert not banner.isVisible()
    window.sessions_panel.select_relative(-1)
    qloop.until(lambda: banner.isVisible())
    assert not banner.collapsed, "the banner resets when the session changes"


def test_what_we_know_auto_collapses_and_remembers_the_choice(
    qtbot, qloop, lane_window, api, make_window
) -> None:
    window, lane = lane_window, lane_window.task_lane_dock
    promotes = "Facts.\n" + "\n".join(
        _block("PROMOTE", {"text": f"Fact number {n}."}) for n in range(5)
    )
    _converse(qtbot, qloop, window, api, promotes)
    assert len(lane.facts.rows) == 5
    assert not lane.facts.collapsed, "not collapsed under the technician's hands"
    window.close()

    again = make_window()
    again.sessions_panel.select_first()
    lane = again.task_lane_dock
    qloop.until(
        lambda: again.session_state.lane is not None and len(again.session_state.lane.facts) == 5
    )
    assert lane.facts.collapsed and not lane.facts.body.isVisible(), "5 facts: collapsed at first"
    qtbot.mouseClick(lane.facts.toggle, Qt.MouseButton.LeftButton)
    assert not lane.facts.collapsed
    again.close()

    third = make_window()
    third.sessions_panel.select_first()
    qloop.until(lambda: third.session_state.lane is not None)
    assert not third.task_lane_dock.facts.collapsed, "the technician's choice is remembered"


def test_every_lane_control_has_an_accessible_name(qtbot, qloop, lane_window, api) -> None:
    window, lane = lane_window, lane_window.task_lane_dock
    _converse(qtbot, qloop, window, api, FIRST_REPLY, BETTER_FIX)
    from PySide6.QtWidgets import QAbstractButton, QLineEdit

    shown = [
        widget
        for widget in [
            *lane.findChildren(QAbstractButton),
            *lane.findChildren(QLineEdit),
            *window.chat_dock.banner.findChildren(QAbstractButton),
        ]
        if widget.isVisibleTo(window)
    ]
    assert len(shown) >= 8, "the lane's rows and the banner's buttons are on screen"
    unnamed = [w.objectName() or type(w).__name__ for w in shown if not w.accessibleName()]
    assert unnamed == [], "a screen reader announces every control by its accessible name"


def test_quiet_hint_when_only_facts_remain_open(qtbot, qloop, lane_window, api) -> None:
    window, lane = lane_window, lane_window.task_lane_dock
    reply = (
        "Noted.\n"
        + _block("PROMOTE", {"text": "Only one user is affected."})
        + "\n"
        + _block("ACTIONS", [{"label": "Check the event log", "command": "eventvwr"}])
    )
    _converse(qtbot, qloop, window, api, reply)
    assert not lane.quiet_hint.isVisible(), "a check is still open"
    check_id = window.session_state.lane.checks[0]["id"]
    editor = lane.item_rows[check_id].answer_editor
    editor.setFocus()
    qtbot.keyClicks(editor, "Nothing relevant")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qloop.until(lambda: window.session_state.lane.checks[0].get("done"))
    assert lane.quiet_hint.isVisible()
    assert "may follow up" in lane.quiet_hint.text()


def _run_once(qtbot, dialog) -> None:
    """NoTemplate by keyboard: 1 picks "Run it once", Enter continues."""
    qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_1)
    assert dialog.decision == "one_off"
    qtbot.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Return)
