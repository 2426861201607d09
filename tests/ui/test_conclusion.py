"""Resolve and Escalate as a technician does them, against both local emulators: the ticket at
the top of the chat, the preview (cached/fresh, edits, auto-refresh), Confirm & post by
keyboard, the sync state of the post, the Escalate intercept, and Settings' live status lists."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from flowpilot_desktop.conclusion import NoteKind
from flowpilot_desktop.conclusion.targets import StatusChoices
from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.preferences import DEFAULT_ACCOUNT_ID, DatabasePreferences
from flowpilot_desktop.tickets import TicketSnapshot, stamped
from storage.repositories.account_settings import merge_preferences
from storage.repositories.drafts import add_draft
from storage.repositories.sessions import get_ticket_snapshot, set_ticket_snapshot
from tests.anthropic_emulator import ScriptedReply
from tests.connectwise_emulator import CLIENT_ID, COMPANY, PRIVATE_KEY, PUBLIC_KEY, standard_setup
from tests.ui.helpers import activate
from ui.conclusion.preview_dialog import PreviewDialog
from ui.settings_dialog import SettingsDialog

KEY = "sk-ant-conclusion-test"
SERVICE = "FlowPilot Desktop"
NOTE = "## Problem\nOutlook prompts for the password.\n\n## What we confirmed\n- Webmail works\n\n## Root cause\nA stale token.\n\n## Resolution\nCleared the token; confirmed working."
FIX_REPLY = (
    "Try this.\n[SUGGEST_FIX]\n"
    + json.dumps({"title": "Clear the token", "script": "cmdkey /delete:x", "language": "batch"})
    + "\n[/SUGGEST_FIX]"
)
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def cw_window(qtbot, qloop, make_window, app_paths, memory_keyring, api, cw):
    """A window set up for both emulators. These tests are about the notes: the time entry
    offer (tests/ui/test_time_entries_ui.py) would stand between Confirm & post and the post."""
    return window_on_both_emulators(
        make_window, app_paths, memory_keyring, api, cw, skip_time_entries=True
    )


def window_on_both_emulators(
    make_window, app_paths, memory_keyring, api, cw, *, skip_time_entries: bool
):
    standard_setup(cw)
    ConfigStore(app_paths.config_file).save(
        AppConfig(
            anthropic_base_url=api.base_url,
            cw_site=cw.site,
            cw_company_id=COMPANY,
            cw_client_id=CLIENT_ID,
        )
    )
    memory_keyring.set_password(SERVICE, "anthropic_api_key", KEY)
    memory_keyring.set_password(SERVICE, "cw_public_key", PUBLIC_KEY)
    memory_keyring.set_password(SERVICE, "cw_private_key", PRIVATE_KEY)
    window = make_window()
    window.services.database.run_sync(
        lambda s: merge_preferences(s, DEFAULT_ACCOUNT_ID, {"skip_time_entries": skip_time_entries})
    )
    return window


def _new_session_by_keyboard(qtbot, qloop, window, title: str, ticket: str) -> None:
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: (
            QApplication.focusWidget() is not None
            and QApplication.focusWidget().objectName() == "sessionTitleEdit"
        )
    )
    qtbot.keyClicks(QApplication.focusWidget(), title)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), ticket)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qloop.until(
        lambda: window.current_session() is not None and window.current_session().title == title
    )
    qloop.until(lambda: window.session_state.lane is not None)
    activate(qtbot, window)


def _say(qtbot, qloop, window, api, reply: str, text: str = "Outlook keeps prompting") -> None:
    api.enqueue(ScriptedReply(text=reply, delay_s=0.002))
    version = window.session_state.lane.exchanges
    window.focus_chat()
    qtbot.keyClicks(window.chat_dock.composer.edit, text)
    qtbot.keyClick(window.chat_dock.composer.edit, Qt.Key.Key_Return)
    qloop.until(lambda: not window.chat_dock.streaming)
    qloop.until(lambda: window.session_state.lane.exchanges > version)
    activate(qtbot, window)


def _set_targets(qloop, window, cw) -> None:
    choices = StatusChoices(
        30,
        "Help Desk",
        (cw.status_id(30, "Resolved"), "Resolved"),
        (cw.status_id(30, "Escalated"), "Escalated"),
    )
    done = []
    window.runner.run(
        DatabasePreferences(window.services.database).merge_preferences(choices.to_preferences()),
        on_success=done.append,
    )
    qloop.until(lambda: done)


def _preview(qtbot, qloop, window) -> PreviewDialog:
    qloop.until(lambda: window.conclusion.preview_dialog is not None)
    dialog = window.conclusion.preview_dialog
    qtbot.waitExposed(dialog)
    qloop.until(lambda: dialog.confirm_button.isEnabled())
    return dialog


def _strip_text(window) -> str:
    return " | ".join(label.text() for label in window.chat_dock.sync_strip.findChildren(QLabel))


def test_resolve_by_keyboard_posts_once_and_verifies(qtbot, qloop, cw_window, api, cw) -> None:
    window = cw_window
    _new_session_by_keyboard(qtbot, qloop, window, "Outlook prompts", "#5123")
    card = window.chat_dock.ticket_card
    qloop.until(lambda: "Outlook keeps asking for the password" in card.title_label.text())
    assert card.isVisible()
    assert "Contoso Ltd · Pat Smith · Help Desk · In Progress" in card.meta_label.text()
    assert not window.registry.is_enabled("ticket.resolve")

    _say(qtbot, qloop, window, api, "Let's look at the token.")
    context = json.dumps(api.message_requests[-1].body["messages"][-1]["content"][0])
    assert "Ticket summary: Outlook keeps asking for the password" in context
    _set_targets(qloop, window, cw)
    sid = window.current_session().id
    window.services.database.run_sync(  # a script the technician chose to templatize
        lambda s: add_draft(
            s, session_id=sid, name="Clear the token", templated_body="cmdkey /list",
            parameters_schema=[], language="batch",
        )
    )  # fmt: skip

    api.enqueue(NOTE)
    qtbot.keyClick(window, Qt.Key.Key_D, CTRL_SHIFT)
    dialog = _preview(qtbot, qloop, window)
    assert dialog.origin_chip.text() == "fresh"
    assert dialog.editor.toPlainText() == NOTE
    assert "ticket #5123 as a customer-visible resolution note" in dialog.destination_label.text()
    assert "“Resolved”" in dialog.destination_label.text()
    # it opens as it will read (rendered: headings, not "## …"); Ctrl+E edits
    assert QApplication.focusWidget() is dialog.rendered
    shown = dialog.rendered.toPlainText()
    assert "Problem" in shown and "## Problem" not in shown
    qtbot.keyClick(dialog.rendered, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is dialog.editor
    dialog.editor.moveCursor(dialog.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(dialog.editor, " Checked with Pat.")
    qtbot.keyClick(dialog.editor, Qt.Key.Key_Tab)
    assert "\t" not in dialog.editor.toPlainText(), "Tab moves on, never into the note"
    assert QApplication.focusWidget() is not dialog.editor
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: window.conclusion.preview_dialog is None)
    qloop.until(lambda: window.scripts.templatize_dialog is not None)  # offered after Resolve
    assert window.scripts.templatize_dialog.name_edit.text() == "Clear the token"
    window.scripts.templatize_dialog.reject()

    qloop.until(lambda: "verified" in _strip_text(window), timeout=10)
    assert window.current_session().status == "resolved"
    (note,) = cw.notes[5123]
    assert note["text"].endswith("Checked with Pat.") and note["resolutionFlag"] is True
    assert f"as note {note['id']}" in _strip_text(window)
    assert "status moved to “Resolved” (verified)" in _strip_text(window)
    assert cw.tickets[5123]["status"]["name"] == "Resolved"
    assert not window.registry.is_enabled("ticket.resolve"), "posting again is refused"
    window.conclusion.start(NoteKind.RESOLUTION)
    qloop.settle(0.2)
    assert window.conclusion.preview_dialog is None


def test_false_200_is_loud_and_retry_fixes_it(qtbot, qloop, cw_window, api, cw) -> None:
    window = cw_window
    _new_session_by_keyboard(qtbot, qloop, window, "Printer", "5123")
    _say(qtbot, qloop, window, api, "Check the spooler.")
    _set_targets(qloop, window, cw)
    cw.false_200 = True
    api.enqueue(NOTE)
    window.registry.trigger("ticket.resolve")
    dialog = _preview(qtbot, qloop, window)
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: "Failed" in _strip_text(window), timeout=10)
    text = _strip_text(window)
    assert "still “In Progress”" in text and "was not applied" in text
    assert "It was posted as note" in text
    strip = window.chat_dock.sync_strip
    assert strip.findChild(QPushButton, "syncOpenTicket") is not None
    cw.false_200 = False
    qtbot.mouseClick(strip.findChild(QPushButton, "syncRetry"), Qt.MouseButton.LeftButton)
    qloop.until(lambda: "verified" in _strip_text(window), timeout=10)
    assert len(cw.notes[5123]) == 1


def test_preview_auto_refreshes_but_never_overwrites_edits(
    qtbot, qloop, cw_window, api, cw, memory_keyring
) -> None:
    window = cw_window
    memory_keyring.delete_password(SERVICE, "anthropic_api_key")
    window.runner.run(window.services.sessions.create("No key", ""))
    qloop.until(lambda: window.sessions_panel.model.rowCount() == 1)
    window.sessions_panel.select_first()
    qloop.until(lambda: window.session_state.lane is not None)
    sid = window.current_session().id
    from storage.repositories import messages

    window.services.database.run_sync(
        lambda s: messages.add_message(s, sid, "assistant", content="hi")
    )
    window.runner.run(window.services.task_lane.add_note(sid, "First fact"))
    qloop.until(
        lambda: window.session_state.lane.exchanges == 1 and window.session_state.lane.facts
    )

    window.registry.trigger("ticket.escalate")
    dialog = _preview(qtbot, qloop, window)
    assert dialog.origin_chip.text() == "fresh · composed locally"
    assert "no Anthropic API key is set" in dialog.notice_label.text()
    assert "No ticket is linked" in dialog.destination_label.text()
    assert "First fact" in dialog.editor.toPlainText()

    from flowpilot_desktop.changes import ChangeKind, SessionChange

    window.session_state.publish(
        SessionChange.of(window.current_session(), ChangeKind.ASSISTANT_TURN)
    )
    qloop.until(lambda: dialog.origin_chip.text().startswith("cached"), timeout=3)  # nothing moved

    window.runner.run(window.services.task_lane.add_note(sid, "Second fact"))
    qloop.until(lambda: "Second fact" in dialog.editor.toPlainText(), timeout=3)

    dialog.editor.moveCursor(dialog.editor.textCursor().MoveOperation.End)
    qtbot.keyClick(dialog.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.editor, "My own words.")
    window.runner.run(window.services.task_lane.add_note(sid, "Third fact"))
    qloop.until(lambda: "session changed" in dialog.notice_label.text(), timeout=3)
    assert "My own words." in dialog.editor.toPlainText()
    assert "Third fact" not in dialog.editor.toPlainText()

    qtbot.keyClick(dialog.editor, Qt.Key.Key_F5)
    qloop.until(lambda: "Third fact" in dialog.editor.toPlainText())
    qtbot.keyClick(dialog.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: window.conclusion.preview_dialog is None)
    qloop.until(lambda: window.current_session().status == "escalated_local")
    qloop.until(lambda: "Escalated locally" in _strip_text(window))


def _applied_fix(qtbot, qloop, window, api):
    """A session for ticket #5123 whose suggested fix the technician said they ran."""
    _new_session_by_keyboard(qtbot, qloop, window, "VPN", "5123")
    _say(qtbot, qloop, window, api, FIX_REPLY)
    qloop.until(lambda: window.session_state.lane.active_fix is not None)
    fix = window.session_state.lane.active_fix
    window.runner.run(window.services.task_lane.record_run(fix.session_id, fix.id))
    qloop.until(lambda: window.session_state.lane.active_fix.applied_at is not None)
    return fix


def test_escalate_intercept_saves_the_outcome_first(qtbot, qloop, cw_window, api, cw) -> None:
    window = cw_window
    fix = _applied_fix(qtbot, qloop, window, api)
    activate(qtbot, window)

    qtbot.keyClick(window, Qt.Key.Key_E, CTRL_SHIFT)
    qloop.until(lambda: window.conclusion.intercept_dialog is not None)
    intercept = window.conclusion.intercept_dialog
    qtbot.waitExposed(intercept)
    assert intercept.choice == "applied_failed", "didn't work is the default"
    assert QApplication.focusWidget() is intercept.buttons["applied_failed"], "focus starts there"
    assert list(intercept.buttons) == [
        "applied_success",
        "applied_failed",
        "dismissed",
        "applied_partial",
    ]
    qtbot.keyClick(intercept, Qt.Key.Key_4)
    assert intercept.choice == "applied_partial" and intercept.notes.isVisible()
    qtbot.mouseClick(intercept.save_button, Qt.MouseButton.LeftButton)
    error = intercept.findChild(QLabel, "interceptError")
    assert error.isVisible() and "partial needs notes" in error.text()
    assert window.conclusion.preview_dialog is None

    # the outcome was recorded elsewhere meanwhile: the save is refused, nothing is escalated
    done = []
    window.runner.run(
        window.services.task_lane.record_outcome(fix.session_id, fix.id, "applied_success"),
        on_success=done.append,
    )
    qloop.until(lambda: done)
    qtbot.keyClicks(intercept.notes, "Only the first step")
    qtbot.mouseClick(intercept.save_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: "nothing was escalated" in error.text())
    assert (
        window.conclusion.preview_dialog is None and window.conclusion.intercept_dialog is intercept
    )
    intercept.reject()


def test_escalate_intercept_partial_then_preview(qtbot, qloop, cw_window, api, cw) -> None:
    window = cw_window
    _applied_fix(qtbot, qloop, window, api)
    window.registry.trigger("ticket.escalate")
    qloop.until(lambda: window.conclusion.intercept_dialog is not None)
    intercept = window.conclusion.intercept_dialog
    qtbot.keyClick(intercept, Qt.Key.Key_4)
    qtbot.keyClicks(intercept.notes, "Only the first step")
    api.enqueue("no headings here")  # the model's answer lacks the headings: composed locally
    qtbot.mouseClick(intercept.save_button, Qt.MouseButton.LeftButton)
    dialog = _preview(qtbot, qloop, window)
    assert window.session_state.lane.active_fix.status == "applied_partial"
    assert "Only the first step" in dialog.editor.toPlainText()
    assert "internal analysis note" in dialog.destination_label.text()
    assert "lacked the required headings" in dialog.notice_label.text()
    dialog.reject()


def test_ticket_card_says_why_it_could_not_fetch(qtbot, qloop, make_window, app_paths) -> None:
    window = make_window()
    _new_session_by_keyboard(qtbot, qloop, window, "Offline", "777")
    card = window.chat_dock.ticket_card
    qloop.until(lambda: "ConnectWise is not set up" in card.meta_label.text())
    assert card.title_label.text() == "Ticket #777" and card.fetch_button.isEnabled()
    assert card.meta_label.property("role") == "header-meta", "not set up yet is not an error"
    assert window.current_session().ticket_ref == "777"


def test_a_refresh_failure_goes_once_the_ticket_is_read_again(qtbot, qloop, cw_window, cw) -> None:
    """A failed Refresh says so under the ticket; a snapshot stored later (the outbox reads
    the ticket back after a post, or a Refresh that works) ends it: no stale "Could not
    refresh" beside fresh data."""
    window = cw_window
    _new_session_by_keyboard(qtbot, qloop, window, "Stale card", "#5123")
    card = window.chat_dock.ticket_card
    qloop.until(lambda: card.fetch_button.text() == "Refresh")
    cw.fail_next(404, method="GET", path_contains="tickets/5123")
    qtbot.mouseClick(card.fetch_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: "Could not refresh" in card.meta_label.text())
    assert card.meta_label.property("role") == "error"

    sid = window.current_session().id
    ticket = window.services.database.run_sync(lambda s: get_ticket_snapshot(s, sid))
    stored = stamped(replace(TicketSnapshot.from_dict(ticket), status="Resolved"))
    window.services.database.run_sync(lambda s: set_ticket_snapshot(s, sid, stored.to_dict()))
    window.services.changes.sync_moved(sid)
    qloop.until(lambda: "Resolved" in card.meta_label.text())
    assert "Could not refresh" not in card.meta_label.text()
    assert card.meta_label.property("role") == "header-meta"

    cw.fail_next(404, method="GET", path_contains="tickets/5123")
    qtbot.mouseClick(card.fetch_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: "Could not refresh" in card.meta_label.text())
    qtbot.mouseClick(card.fetch_button, Qt.MouseButton.LeftButton)  # this one works
    qloop.until(lambda: "In Progress" in card.meta_label.text())
    assert "Could not refresh" not in card.meta_label.text()


def test_the_first_message_after_linking_carries_the_ticket(
    qtbot, qloop, cw_window, api, cw
) -> None:
    """Typed and sent at once while ConnectWise is slow: the message waits for the card's
    fetch, so the assistant's first answer already knows the ticket."""
    window = cw_window
    cw.delay_s = 0.8
    _new_session_by_keyboard(qtbot, qloop, window, "Sent at once", "#5123")
    assert window.chat_dock.ticket_card.fetch_button.text() == "Fetch", "still fetching"
    _say(qtbot, qloop, window, api, "Let's look at the token.")
    context = json.dumps(api.message_requests[-1].body["messages"][-1]["content"][0])
    assert "Ticket summary: Outlook keeps asking for the password" in context
    (sent,) = [b for b in window.chat_dock.view.bubbles() if b.role == "user"]
    assert not sent.status_label.isVisible()


def test_a_message_sent_without_the_ticket_says_so(
    qtbot, qloop, make_window, app_paths, memory_keyring, api
) -> None:
    ConfigStore(app_paths.config_file).save(AppConfig(anthropic_base_url=api.base_url))
    memory_keyring.set_password(SERVICE, "anthropic_api_key", KEY)
    window = make_window()
    _new_session_by_keyboard(qtbot, qloop, window, "No ConnectWise", "777")
    _say(qtbot, qloop, window, api, "Understood.")
    (sent,) = [b for b in window.chat_dock.view.bubbles() if b.role == "user"]
    expected = "Sent without ticket #777's details: ConnectWise is not set up in Settings."
    assert sent.status_label.text() == expected and sent.status_label.isVisible()
    assert window.statusBar().currentMessage() == expected


def test_settings_test_connection_and_live_statuses(
    qtbot, qloop, make_window, app_paths, cw
) -> None:
    standard_setup(cw)
    window = make_window()
    window.open_settings()
    qloop.until(lambda: window.settings.dialog is not None)
    dialog: SettingsDialog = window.settings.dialog
    qtbot.waitExposed(dialog)
    for name, value in (
        ("cw_site", cw.site),
        ("cw_company_id", COMPANY),
        ("cw_client_id", CLIENT_ID),
    ):
        dialog.config_edits[name].setText(value)
    from flowpilot_desktop.credentials import SecretName

    dialog.secret_fields[SecretName.CW_PUBLIC_KEY].edit.setText(PUBLIC_KEY)
    dialog.secret_fields[SecretName.CW_PRIVATE_KEY].edit.setText("wrong")
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: dialog.test_label.text().startswith("✗"))
    assert "refused the credentials" in dialog.test_label.text()
    dialog.secret_fields[SecretName.CW_PRIVATE_KEY].edit.setText(PRIVATE_KEY)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: dialog.test_label.text().startswith("✓"))
    assert "as FlowPilot API (flowpilot)" in dialog.test_label.text()

    qtbot.mouseClick(dialog.load_boards_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: dialog.board_combo.count() == 2 and dialog.resolved_combo.count() > 2)
    assert dialog.board_combo.currentText() == "Help Desk"
    labels = [dialog.resolved_combo.itemText(i) for i in range(dialog.resolved_combo.count())]
    assert "Closed (closes the ticket)" in labels and "Escalated" in labels
    dialog.resolved_combo.setCurrentIndex(labels.index("Resolved (closes the ticket)"))
    dialog.escalated_combo.setCurrentIndex(labels.index("Escalated"))
    dialog.buttons.accepted.emit()
    qloop.until(lambda: window.settings.dialog is None)
    preferences = []
    window.runner.run(
        DatabasePreferences(window.services.database).get_preferences(),
        on_success=preferences.append,
    )
    qloop.until(lambda: preferences)
    assert preferences[0]["cw_resolved_status_name"] == "Resolved"
    assert preferences[0]["cw_resolved_status_id"] == cw.status_id(30, "Resolved")
    assert preferences[0]["cw_escalated_status_name"] == "Escalated"
    assert preferences[0]["cw_status_board_id"] == 30
    assert PRIVATE_KEY not in json.dumps(preferences[0])


def test_new_session_for_a_ticket_from_the_keyboard(qtbot, qloop, cw_window, cw) -> None:
    window = cw_window
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_T, CTRL_SHIFT)
    qtbot.waitUntil(
        lambda: (
            QApplication.focusWidget() is not None
            and QApplication.focusWidget().objectName() == "sessionTicketEdit"
        )
    )
    qtbot.keyClicks(QApplication.focusWidget(), "5123")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qloop.until(lambda: window.current_session() is not None)
    assert window.current_session().title == "Ticket #5123"
    qloop.until(lambda: "Outlook keeps asking" in window.chat_dock.ticket_card.title_label.text())


def test_the_preview_marks_masked_values_and_counts_a_typed_credential(
    qtbot, qloop, cw_window, api, cw
) -> None:
    """A pasted password reaches the note only as its placeholder, highlighted; a password
    typed into the note is announced and masked in what ConnectWise receives."""
    window = cw_window
    _set_targets(qloop, window, cw)
    _new_session_by_keyboard(qtbot, qloop, window, "CRM sync", "#5123")
    _say(
        qtbot,
        qloop,
        window,
        api,
        "Noted.",
        text="log: Server=sql01;User Id=sa;Password=Pa55!Word9;",
    )
    api.enqueue(NOTE + "\n\nThe app used the sa login with [password #1].")
    qtbot.keyClick(window, Qt.Key.Key_D, CTRL_SHIFT)
    dialog = _preview(qtbot, qloop, window)
    assert "[password #1]" in dialog.editor.toPlainText()
    assert len(dialog.editor.extraSelections()) == 1, "the placeholder is highlighted"

    dialog.editor.moveCursor(dialog.editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(dialog.editor, " New one: Password=Fresh!Pass77;")
    qloop.until(lambda: dialog.mask_label.isVisible())
    assert dialog.mask_label.text() == "1 credential in the note will be masked when posted."
    qtbot.keyClick(dialog.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: len(cw.notes[5123]) == 1)
    posted = cw.notes[5123][0]["text"]
    assert "Fresh!Pass77" not in posted and "Pa55!Word9" not in posted
    assert "[password #2]" in posted
