"""Time entries from the window (issue 21): Triage → Log time… drafts the entry from the
session, Enter posts it, it lands on the ticket once and is read back; Esc skips. On Resolve the
form comes before the note is queued, so the entry reaches the ticket before Resolve closes it
(ConnectWise takes no time on a closed ticket); the team can skip the offer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from flowpilot_desktop.preferences import DatabasePreferences
from storage.repositories.sessions import create_session
from tests.ui.helpers import activate
from tests.ui.test_conclusion import (
    CTRL_SHIFT,
    NOTE,
    _new_session_by_keyboard,
    _preview,
    _say,
    _set_targets,
    _strip_text,
    window_on_both_emulators,
)


@pytest.fixture
def cw_window(qtbot, qloop, make_window, app_paths, memory_keyring, api, cw):
    """Both emulators set up, with the time entry offer on."""
    return window_on_both_emulators(
        make_window, app_paths, memory_keyring, api, cw, skip_time_entries=False
    )


def _open_form(qtbot, qloop, window):
    activate(qtbot, window)
    assert window.registry.trigger("ticket.log_time")
    qloop.until(lambda: window.time_entries.dialog is not None, timeout=10)
    form = window.time_entries.dialog
    qtbot.waitExposed(form)
    return form


def test_log_time_posts_once_and_is_verified(qtbot, qloop, cw_window, api, cw) -> None:
    window = cw_window
    _new_session_by_keyboard(qtbot, qloop, window, "Outlook prompts", "#5123")
    qloop.until(lambda: window.chat_dock.ticket_card.fetch_button.text() == "Refresh")
    _say(qtbot, qloop, window, api, "Let's look at the token.")
    sid = window.current_session().id
    timer: list[object] = []
    window.runner.run(window.services.work_timer.work_time(sid), on_success=timer.append)
    qloop.until(lambda: timer)
    assert timer[0].last_event_at is not None, "opening and typing in the session is work"
    qloop.until(lambda: "min worked" in window.chat_dock.header.meta_label.text())
    form = _open_form(qtbot, qloop, window)
    assert QApplication.focusWidget() is form.minutes
    names = [form.work_type.itemText(i) for i in range(form.work_type.count())]
    assert "Remote Support" in names and "Legacy Travel" not in names, "the live, active list"
    qtbot.keyClick(form.minutes, Qt.Key.Key_Return)  # Enter posts
    qloop.until(lambda: len(cw.time.entries) == 1, timeout=10)
    (entry,) = cw.time.entries.values()
    assert entry["chargeToId"] == 5123 and entry["chargeToType"] == "ServiceTicket"
    qloop.until(lambda: "time entry" in _strip_text(window).lower(), timeout=10)
    qloop.until(lambda: "Failed" not in _strip_text(window) and "Posted" in _strip_text(window))
    qloop.settle(0.5)
    assert len(cw.time.entries) == 1, "posted once"


def _confirm_resolve(qtbot, qloop, window, api, cw) -> None:
    _set_targets(qloop, window, cw)
    api.enqueue(NOTE)
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_D, CTRL_SHIFT)
    dialog = _preview(qtbot, qloop, window)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_resolve_offers_the_time_first_and_it_lands_before_the_ticket_closes(
    qtbot, qloop, cw_window, api, cw
) -> None:
    window = cw_window
    _new_session_by_keyboard(qtbot, qloop, window, "Outlook prompts", "#5123")
    qloop.until(lambda: window.chat_dock.ticket_card.fetch_button.text() == "Refresh")
    _say(qtbot, qloop, window, api, "Let's look at the token.")
    _confirm_resolve(qtbot, qloop, window, api, cw)
    qloop.until(lambda: window.time_entries.dialog is not None, timeout=10)
    form = window.time_entries.dialog
    qtbot.waitExposed(form)
    assert "Cleared the token" in form.notes.toPlainText(), "from the note about to be posted"
    assert window.current_session().status == "active", "nothing concluded before the form"
    qtbot.keyClick(form.minutes, Qt.Key.Key_Return)
    qloop.until(lambda: window.conclusion.preview_dialog is None, timeout=10)
    qloop.until(lambda: cw.tickets[5123]["status"]["name"] == "Resolved", timeout=15)
    qloop.until(lambda: "status moved to “Resolved” (verified)" in _strip_text(window), timeout=15)
    assert len(cw.time.entries) == 1
    assert window.current_session().status == "resolved"
    assert "Failed" not in _strip_text(window), _strip_text(window)
    posts = [r.path for r in cw.api_requests("POST")]
    assert posts.index(next(p for p in posts if "time/entries" in p)) < posts.index(
        next(p for p in posts if p.endswith("/notes"))
    ), "the time entry goes first"


def test_esc_skips_and_the_team_can_skip_the_offer(qtbot, qloop, cw_window, api, cw) -> None:
    window = cw_window
    _new_session_by_keyboard(qtbot, qloop, window, "Outlook prompts", "#5123")
    qloop.until(lambda: window.chat_dock.ticket_card.fetch_button.text() == "Refresh")
    _say(qtbot, qloop, window, api, "Let's look at the token.")
    form = _open_form(qtbot, qloop, window)
    qtbot.keyClick(form.minutes, Qt.Key.Key_Escape)  # Esc skips
    qloop.until(lambda: window.time_entries.dialog is None)
    assert cw.time.entries == {}
    assert window.statusBar().currentMessage() == "No time logged."

    done: list[object] = []
    window.runner.run(
        DatabasePreferences(window.services.database).merge_preferences(
            {"skip_time_entries": True}
        ),
        on_success=done.append,
    )
    qloop.until(lambda: done)
    _confirm_resolve(qtbot, qloop, window, api, cw)
    qloop.until(lambda: window.conclusion.preview_dialog is None, timeout=10)
    assert window.time_entries.dialog is None, "the team skips the offer"
    qloop.until(lambda: window.current_session().status == "resolved")
    assert cw.time.entries == {}


def test_only_a_session_stayed_on_counts_as_worked(qtbot, qloop, make_window) -> None:
    """Arrowing past a session in the list is not work (and opening one never waits behind a
    timer write); the session the technician stays on is."""
    window = make_window(load=False)
    user = window.services.sessions.user_id
    ids = [
        window.services.database.run_sync(
            lambda s, t=title: create_session(s, user_id=user, title=t).id
        )
        for title in ("Passed by", "Stayed on", "Shown at start")
    ]
    loaded: list[int] = []
    window.sig_sessions_loaded.connect(loaded.append)
    window.load_sessions()
    qloop.until(lambda: loaded)
    window.sessions_panel.select_session(ids[0])
    window.sessions_panel.select_session(ids[1])
    qloop.settle(2.5)

    def worked(session_id: str):
        found: list[object] = []
        window.runner.run(window.services.work_timer.work_time(session_id), on_success=found.append)
        qloop.until(lambda: found)
        return found[0].last_event_at

    assert worked(ids[0]) is None
    assert worked(ids[1]) is not None
