"""Long conversations open and switch at once: the newest bubbles are built first, older ones
as the technician scrolls up, and the last few conversations keep their widgets."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel
from sqlalchemy.orm import Session

from flowpilot_desktop.changes import SessionChange
from storage.models import Message
from tests.anthropic_emulator import ScriptedReply
from tests.ui.helpers import activate
from ui.chat_dock.bubble import MessageBubble
from ui.chat_dock.message_view import PAGES_KEPT, MessageView
from ui.main_window import MainWindow

LONG = 200


def _text(n: int) -> str:
    return f"Message {n}: " + "the user reports the printer is offline again " * (1 + n % 4)


def _long_session(window: MainWindow, qloop, title: str, count: int = LONG) -> str:
    """A session holding ``count`` stored messages, written straight to the database."""
    created: list[SessionChange] = []
    window.runner.run(window.services.sessions.create(title), on_success=created.append)
    qloop.until(lambda: created)
    session_id = created[0].session_id
    start = datetime.now(UTC) - timedelta(days=1)

    def write(s: Session) -> None:
        for n in range(count):
            at = start + timedelta(seconds=n)
            role = "user" if n % 2 == 0 else "assistant"
            s.add(
                Message(
                    session_id=session_id,
                    role=role,
                    content=_text(n),
                    raw_content=_text(n),
                    created_at=at,
                    updated_at=at,
                )
            )

    window.services.database.run_sync(write)
    qloop.until(lambda: window.sessions_panel.model.row_of(session_id) is not None)
    return session_id


def _open(window: MainWindow, qloop, session_id: str, last: str) -> MessageView:
    """Select a session and wait for its latest message to be on screen, and for its lane
    (the banner and cards around the conversation change its height)."""
    view = window.chat_dock.view
    window.sessions_panel.select_session(session_id)
    qloop.until(lambda: view.isVisible() and _texts(view)[-1:] == [last])
    state = window.session_state
    qloop.until(lambda: state.lane is not None and state.lane.session_id == session_id)
    qloop.settle(0.05)
    return view


def _texts(view: MessageView) -> list[str]:
    return [b.message.content for b in view.bubbles() if b.message is not None]


def _top(view: MessageView, bubble: MessageBubble) -> int:
    return bubble.mapTo(view.viewport(), QPoint(0, 0)).y()


@pytest.fixture(autouse=True)
def _previous_window_collected_here() -> Iterator[None]:
    """The previous test's window becomes garbage only after its teardown (pytest holds it
    until then); collect it now, on the GUI thread. Left to the collector, it may be freed
    from the thread of a streaming reply (these tests make a lot of garbage), and a Qt object
    freed from another thread leaves a dangling timer behind."""
    gc.collect()
    yield


@pytest.fixture
def window(session_window) -> MainWindow:
    return session_window("Short one")


def test_a_long_conversation_opens_with_only_its_latest_messages_built(window, qloop) -> None:
    session_id = _long_session(window, qloop, "Printer saga")
    view = _open(window, qloop, session_id, _text(LONG - 1))
    qloop.settle(0.2)  # older batches are built while the top is within a screen
    built = len(view.bubbles())
    assert built < LONG // 4, "the older messages wait until they are scrolled to"
    assert view.older_count == LONG - built
    assert _texts(view) == [_text(n) for n in range(LONG - built, LONG)], "the newest, in order"
    last = view.bubbles()[-1]
    assert view.at_bottom()
    assert _top(view, last) >= 0 and _top(view, last) + last.height() <= view.viewport().height()


def test_scrolling_to_the_top_builds_older_messages_above_without_moving_the_view(
    qtbot, window, qloop
) -> None:
    session_id = _long_session(window, qloop, "Printer saga")
    view = _open(window, qloop, session_id, _text(LONG - 1))
    view.setFocus(Qt.FocusReason.OtherFocusReason)
    for _ in range(LONG):
        if not view.older_count:
            break
        qtbot.keyClick(view, Qt.Key.Key_Home)
        reading = view.bubbles()[0]
        top, built = _top(view, reading), len(view.bubbles())
        qloop.until(lambda built=built: len(view.bubbles()) > built)
        qloop.settle(0.05)
        assert _top(view, reading) == top, "what the technician reads stays where it is"
        assert view.bubbles()[0] is not reading
        assert not view.jump_button.isVisible(), "nothing new arrived"
    assert view.older_count == 0
    assert _texts(view) == [_text(n) for n in range(LONG)]
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.at_bottom()


def test_page_up_reaches_older_messages_too(qtbot, window, qloop) -> None:
    session_id = _long_session(window, qloop, "Printer saga")
    view = _open(window, qloop, session_id, _text(LONG - 1))
    built = len(view.bubbles())
    view.setFocus(Qt.FocusReason.OtherFocusReason)
    for _ in range(20):
        qtbot.keyClick(view, Qt.Key.Key_PageUp)
        qloop.settle(0.02)
    assert len(view.bubbles()) > built
    assert _texts(view) == [_text(n) for n in range(LONG - len(view.bubbles()), LONG)]


def test_switching_back_shows_the_same_bubbles_where_they_were_and_keeps_the_focus(
    window, qloop
) -> None:
    first = _long_session(window, qloop, "Printer saga")
    second = _long_session(window, qloop, "VPN drops", count=30)
    view = _open(window, qloop, first, _text(LONG - 1))
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() - view.viewport().height())  # read a screen up
    qloop.settle(0.1)
    bubbles = view.bubbles()
    reading = next(b for b in bubbles if _top(view, b) + b.height() > 0)
    top = _top(view, reading)
    window.focus_chat()
    focused = QApplication.focusWidget()
    assert focused is window.chat_dock.composer.edit

    _open(window, qloop, second, _text(29))
    assert QApplication.focusWidget() is focused
    window.sessions_panel.select_session(first)
    assert view.bubbles() == bubbles, "shown at once from the kept widgets"
    assert all(a is b for a, b in zip(view.bubbles(), bubbles, strict=True))
    assert _top(view, reading) == top, "where the technician left it"
    assert not view.jump_button.isVisible()
    assert QApplication.focusWidget() is focused, "switching never moves the focus"
    qloop.settle(0.2)  # the history load finds nothing new: nothing is rebuilt
    assert all(a is b for a, b in zip(view.bubbles()[-len(bubbles) :], bubbles, strict=True))


def test_switching_away_from_a_focused_message_leaves_the_focus_on_the_conversation(
    window, qloop
) -> None:
    """The message that had the focus is hidden with its conversation: the focus stays in
    the conversation view instead of jumping to whatever control comes next."""
    first = _long_session(window, qloop, "Printer saga", count=10)
    second = _long_session(window, qloop, "VPN drops", count=12)
    view = _open(window, qloop, first, _text(9))
    text = view.bubbles()[-1].findChild(QLabel, "bubbleText")
    text.setFocus(Qt.FocusReason.TabFocusReason)
    assert QApplication.focusWidget() is text
    assert view.bubbles()[-1].time_label.isVisible(), "the focused message shows its time"
    _open(window, qloop, second, _text(11))
    assert QApplication.focusWidget() is view


def test_only_the_last_few_conversations_keep_their_widgets(window, qloop) -> None:
    sessions = [
        _long_session(window, qloop, f"Session {n}", count=20 + n) for n in range(PAGES_KEPT + 2)
    ]
    view = _open(window, qloop, sessions[0], _text(19))
    released = view.bubbles()[-1]
    for n, session_id in enumerate(sessions[1:], start=1):
        _open(window, qloop, session_id, _text(19 + n))
    qloop.settle(0.1)  # released widgets are deleted on the next pass of the event loop
    assert len(view.conversations()) == PAGES_KEPT
    pages = {bubble.parentWidget() for bubble in view.findChildren(MessageBubble)}
    assert len(pages) <= PAGES_KEPT
    assert not shiboken6.isValid(released), "the least recently shown conversation was released"

    view = _open(window, qloop, sessions[0], _text(19))  # built again, from the newest
    assert _texts(view)[-1] == _text(19)


def test_a_reply_that_streams_while_another_session_is_shown_is_there_on_return(
    qtbot, window, qloop, api
) -> None:
    dock = window.chat_dock
    chat_session = window.current_session().id
    other = _long_session(window, qloop, "Printer saga", count=10)
    api.enqueue(ScriptedReply(chunks=[f"step{i} " for i in range(60)], delay_s=0.01))
    window.focus_chat()
    qtbot.keyClicks(dock.composer.edit, "go")
    qtbot.keyClick(dock.composer.edit, Qt.Key.Key_Return)
    qloop.until(lambda: len(dock.view.bubbles()) == 2 and len(dock.view.bubbles()[-1].text) > 10)
    streaming = dock.view.bubbles()[-1]

    _open(window, qloop, other, _text(9))
    window.sessions_panel.select_session(chat_session)  # back while it still streams
    assert dock.view.bubbles()[-1] is streaming
    qloop.until(lambda: not dock.streaming)
    assert [b.role for b in dock.view.bubbles()] == ["user", "assistant"]
    assert dock.view.bubbles()[-1] is streaming
    assert streaming.text == "".join(f"step{i} " for i in range(60)).strip()

    _open(window, qloop, other, _text(9))
    window.sessions_panel.select_session(chat_session)
    assert dock.view.bubbles()[-1] is streaming, "the finished reply is kept, not rebuilt"


def test_a_message_stored_while_the_session_was_hidden_is_shown_on_return(window, qloop) -> None:
    first = _long_session(window, qloop, "Printer saga")
    second = _long_session(window, qloop, "VPN drops", count=30)
    view = _open(window, qloop, first, _text(LONG - 1))
    bubbles = view.bubbles()
    _open(window, qloop, second, _text(29))

    def write(s: Session) -> None:
        at = datetime.now(UTC)
        s.add(
            Message(
                session_id=first,
                role="user",
                content="It works now",
                raw_content="It works now",
                created_at=at,
                updated_at=at,
            )
        )

    window.services.database.run_sync(write)
    _open(window, qloop, first, "It works now")
    assert view.bubbles()[-2] is bubbles[-1], "the kept bubbles stay; the new one is added"
    assert view.at_bottom()


def test_deleting_a_message_and_ctrl_z_in_a_long_conversation(qtbot, window, qloop) -> None:
    session_id = _long_session(window, qloop, "Printer saga")
    view = _open(window, qloop, session_id, _text(LONG - 1))
    before = view.bubbles()
    doomed = before[-2]
    assert doomed.message.content == _text(LONG - 2)
    qtbot.mouseClick(doomed.delete_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: doomed not in view.bubbles())
    assert _texts(view)[-2:] == [_text(LONG - 3), _text(LONG - 1)]

    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: _text(LONG - 2) in _texts(view))
    assert _texts(view)[-3:] == [_text(n) for n in range(LONG - 3, LONG)], "back in its place"
    assert view.bubbles()[-1] is before[-1] and view.bubbles()[-3] is before[-3]
