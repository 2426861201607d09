"""flowpilot:// links in the app: the window opens (or creates, for a ticket) the session; a
refused link or a missing session is said in the status bar and creates nothing; links the OS
hands the application object (macOS) wait until the window can open them."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtNetwork import QLocalServer

from flowpilot_desktop.app import link_in_arguments
from ui.single_instance import MAX_PENDING_LINKS, LinkInbox, channel_name

REPO = Path(__file__).resolve().parents[2]


def _sessions(window) -> list[tuple[str, str | None]]:
    model = window.sessions_panel.model
    return [
        (model.summary_at(row).title, model.summary_at(row).ticket_ref)
        for row in range(model.rowCount())
    ]


def test_a_ticket_link_creates_then_reopens_that_tickets_session(make_window, qloop) -> None:
    window = make_window()
    window.runner.run(window.services.sessions.create("Unrelated", "777"))
    qloop.until(lambda: window.sessions_panel.model.rowCount() == 1)

    window.open_link("flowpilot://ticket/48190")
    qloop.until(
        lambda: (
            (window.session_state.current or None) is not None
            and window.session_state.current.ticket_ref == "48190"
        )
    )
    created = window.session_state.current
    assert created.title == "Ticket #48190"
    assert window.sessions_panel.model.rowCount() == 2

    window.sessions_panel.select_first()
    window.open_link("FLOWPILOT://TICKET/777/")
    qloop.until(lambda: window.session_state.current.ticket_ref == "777")
    window.open_link("flowpilot://ticket/48190")
    qloop.until(lambda: window.session_state.current.id == created.id)
    assert window.sessions_panel.model.rowCount() == 2, "the ticket's session was reused"

    window.open_link(f"flowpilot://session/{created.id}")
    qloop.settle(0.1)
    assert window.session_state.current.id == created.id


def test_a_refused_link_or_a_missing_session_is_said_and_creates_nothing(
    make_window, qloop
) -> None:
    window = make_window()
    for hostile in (
        "flowpilot://ticket/12345?x=<script>alert(1)</script>",
        "flowpilot://ticket/../../etc/passwd",
        "javascript:alert(1)",
        "flowpilot://ticket/" + "9" * 5000,
    ):
        window.open_link(hostile)
        message = window.statusBar().currentMessage()
        assert "not a FlowPilot link" in message or "does not name a ticket" in message
        assert len(message) < 300
    window.open_link("flowpilot://session/1b4e28ba-2fa1-11d2-883f-0016d3cca427")
    qloop.until(lambda: "There is no session" in window.statusBar().currentMessage())
    qloop.settle(0.1)
    assert window.sessions_panel.model.rowCount() == 0


def test_links_wait_for_a_handler_and_only_the_newest_few_wait(qapp) -> None:
    inbox = LinkInbox()
    for number in range(1, 10):
        inbox.receive(f"flowpilot://ticket/{number}")
    assert len(inbox.pending) == MAX_PENDING_LINKS
    opened: list[str] = []
    inbox.set_handler(opened.append)
    assert opened == [f"flowpilot://ticket/{n}" for n in range(10 - MAX_PENDING_LINKS, 10)]
    inbox.receive("flowpilot://ticket/42")
    assert opened[-1] == "flowpilot://ticket/42" and inbox.pending == []


def test_a_link_the_os_hands_the_application_goes_in(qapp) -> None:
    """macOS passes a clicked flowpilot:// link as a QFileOpenEvent to the application."""
    inbox = LinkInbox()
    assert inbox.take_file_open(QFileOpenEvent(QUrl("flowpilot://ticket/12345")))
    assert inbox.pending == ["flowpilot://ticket/12345"]
    assert not inbox.take_file_open(QEvent(QEvent.Type.Show))
    assert inbox.pending == ["flowpilot://ticket/12345"]


def test_the_link_is_found_among_a_second_starts_arguments() -> None:
    assert link_in_arguments(["--data-dir", "/x", "flowpilot://ticket/1"]) == "flowpilot://ticket/1"
    assert link_in_arguments(["flowpilot://session/abc", "--demo"]) == "flowpilot://session/abc"
    assert link_in_arguments(["--data-dir", "/x"]) is None
    assert link_in_arguments(["--screen", "nonsense"]) is None  # no exit, no print
    assert link_in_arguments(["--data-dir"]) is None
    assert link_in_arguments(["-h"]) is None


# ---- Real processes: a fresh start with a link, then second starts handing links over


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _ticket_sessions(database: Path, ticket: str) -> list[str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT id FROM ai_sessions WHERE ticket_ref = ? AND deleted_at IS NULL", (ticket,)
        ).fetchall()
    return [row[0] for row in rows]


def test_links_on_a_fresh_start_and_from_second_starts_open_their_session(tmp_path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    log_file = data / "logs" / "flowpilot.log"
    database = data / "flowpilot.sqlite3"

    def log_text() -> str:
        return log_file.read_text(encoding="utf-8") if log_file.exists() else ""

    def app(*args: str) -> list[str]:
        return [sys.executable, "-m", "flowpilot_desktop", "--data-dir", str(data), *args]

    first = subprocess.Popen(
        app("flowpilot://ticket/4242"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: "opened flowpilot://ticket/4242" in log_text(), 30, "the fresh start")
        assert len(_ticket_sessions(database, "4242")) == 1

        def hand_over(link: str) -> None:
            done = subprocess.run(app(link), env=env, capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, done.stderr
            assert "it was brought to the front" in done.stdout

        hand_over("flowpilot://ticket/4242")  # the same ticket: its session, not a new one
        hand_over("FlowPilot://ticket/5151/")  # another ticket: created
        _wait_for(lambda: "opened flowpilot://ticket/5151" in log_text(), 10, "the new ticket")
        assert log_text().count("opened flowpilot://ticket/4242") == 2
        assert len(_ticket_sessions(database, "4242")) == 1
        (new_id,) = _ticket_sessions(database, "5151")

        hand_over(f"flowpilot://session/{new_id}")
        hand_over("flowpilot://ticket/99?<script>")
        _wait_for(lambda: f"opened flowpilot://session/{new_id}" in log_text(), 10, "the session")
        _wait_for(lambda: "refused a link" in log_text(), 10, "the refusal")
        assert first.poll() is None, "the first instance keeps running"
    finally:
        first.kill()
        first.wait(10)
        QLocalServer.removeServer(channel_name(data))
