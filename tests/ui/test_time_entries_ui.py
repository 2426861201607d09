"""Time entries from the window (issue 21): Triage → Log time… drafts the entry from the
session, Enter posts it, it lands on the ticket once and is read back; Esc skips; after
Resolve nothing is offered (ConnectWise refuses time on a closed ticket)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui import test_conclusion
from tests.ui.helpers import activate
from tests.ui.test_conclusion import (
    CTRL_SHIFT,
    NOTE,
    _new_session_by_keyboard,
    _preview,
    _say,
    _set_targets,
    _strip_text,
)

cw_window = test_conclusion.cw_window  # both emulators, ConnectWise and Anthropic set up


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


def test_esc_skips_and_resolve_offers_nothing(qtbot, qloop, cw_window, api, cw) -> None:
    window = cw_window
    _new_session_by_keyboard(qtbot, qloop, window, "Outlook prompts", "#5123")
    qloop.until(lambda: window.chat_dock.ticket_card.fetch_button.text() == "Refresh")
    _say(qtbot, qloop, window, api, "Let's look at the token.")
    form = _open_form(qtbot, qloop, window)
    qtbot.keyClick(form.minutes, Qt.Key.Key_Escape)  # Esc skips
    qloop.until(lambda: window.time_entries.dialog is None)
    assert cw.time.entries == {}
    assert window.statusBar().currentMessage() == "No time logged."

    _set_targets(qloop, window, cw)
    api.enqueue(NOTE)
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_D, CTRL_SHIFT)
    dialog = _preview(qtbot, qloop, window)
    qtbot.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: window.conclusion.preview_dialog is None)
    qloop.settle(1.0)
    assert window.time_entries.dialog is None, "a closed ticket takes no time"
