"""Seen before in the task lane (issue 19): what worked in resolved sessions like this one,
shown once the lane is there, opened with Enter."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from storage.models import FixStatus
from storage.repositories import facts
from storage.repositories.sessions import set_ticket_snapshot
from tests.core.test_seen_before import USER, _past  # noqa: F401 - the same past sessions
from tests.ui.helpers import activate


def test_the_lane_shows_what_worked_before_and_enter_opens_it(qtbot, qloop, make_window) -> None:
    window = make_window(load=False)
    database = window.services.database
    user = window.services.sessions.user_id
    worked = _past(
        database,
        "Printer offline at reception",
        "Clear the spooler queue",
        FixStatus.APPLIED_SUCCESS,
        user=user,
    )
    done: list[object] = []
    window.runner.run(window.services.sessions.create("Floor 3 printer"), on_success=done.append)
    qloop.until(lambda: done)
    current = done[0].session_id
    database.run_sync(
        lambda s: set_ticket_snapshot(
            s, current, {"summary": "Printer offline again", "company": "Calder"}
        )
    )
    database.run_sync(
        lambda s: facts.add_fact(s, current, "The print queue holds stuck jobs", "engineer_note")
    )
    loaded: list[int] = []
    window.sig_sessions_loaded.connect(loaded.append)
    window.load_sessions()
    qloop.until(lambda: loaded)
    window.sessions_panel.select_session(current)
    section = window.task_lane_dock.seen_before
    qloop.until(lambda: section.isVisible() and len(section.rows) == 1)
    row = section.rows[0]
    texts = " ".join(label.text() for label in row.findChildren(QLabel))
    assert (
        "Printer offline at reception" in texts
        and "Clear the spooler queue — worked 1 of 1" in texts
    )
    activate(qtbot, window)
    row.setFocus()
    qtbot.keyClick(row, Qt.Key.Key_Return)
    qloop.until(lambda: window.current_session().id == worked)
    assert QApplication.focusWidget() is window.chat_dock.composer.edit


def test_seen_before_follows_the_ticket_once_it_is_fetched(qtbot, qloop, make_window) -> None:
    """Opened before its ticket arrived, nothing resembled the session; the fetched ticket
    (a write to the session) brings the match in."""
    from flowpilot_desktop.changes import ChangeKind, SessionChange
    from storage.repositories.sessions import get_session_summary

    window = make_window(load=False)
    database = window.services.database
    user = window.services.sessions.user_id
    _past(
        database,
        "Outlook keeps prompting",
        "Clear the cached credentials",
        FixStatus.APPLIED_SUCCESS,
        user=user,
        summary="Outlook password prompts",
    )
    done: list[object] = []
    window.runner.run(window.services.sessions.create("New ticket"), on_success=done.append)
    qloop.until(lambda: done)
    current = done[0].session_id
    loaded: list[int] = []
    window.sig_sessions_loaded.connect(loaded.append)
    window.load_sessions()
    qloop.until(lambda: loaded)
    window.sessions_panel.select_session(current)
    section = window.task_lane_dock.seen_before
    qloop.until(
        lambda: (
            window.task_lane_dock._seen_key is not None
            and window.task_lane_dock._seen_key[0] == current
        )
    )
    qloop.settle(0.2)
    assert not section.isVisible()
    database.run_sync(
        lambda s: set_ticket_snapshot(s, current, {"summary": "Outlook asks for the password"})
    )
    summary = database.run_sync(lambda s: get_session_summary(s, current))
    window.session_state.publish(SessionChange.of(summary, ChangeKind.TICKET))
    qloop.until(lambda: section.isVisible() and len(section.rows) == 1)
