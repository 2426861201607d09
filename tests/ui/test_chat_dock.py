"""The Chat dock as a technician uses it, against the local Anthropic emulator."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QPushButton

from tests.anthropic_emulator import ScriptedReply
from tests.ui.helpers import activate
from ui.settings_dialog import SettingsDialog


@pytest.fixture
def chat_window(session_window):
    return session_window("Outlook prompts")


def _block(name: str, payload: object) -> str:
    return f"[{name}]\n{json.dumps(payload)}\n[/{name}]"


def _type_and_send(qtbot, window, text: str) -> None:
    window.focus_chat()
    edit = window.chat_dock.composer.edit
    assert QApplication.focusWidget() is edit
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_a_reply_streams_in_with_markers_hidden_and_quick_replies(
    qtbot, qloop, chat_window, api
) -> None:
    reply = "It looks like a **stale token**.\n" + _block(
        "QUESTIONS", [{"text": "Does Teams prompt too?", "options": ["Yes", "No"]}]
    )
    api.enqueue(ScriptedReply(text=reply, delay_s=0.01))
    dock = chat_window.chat_dock
    _type_and_send(qtbot, chat_window, "Outlook keeps prompting")
    assert dock.composer.send_button.text() == "Stop", "Send turns into Stop while streaming"
    assert dock.composer.edit.toPlainText() == ""
    qloop.until(lambda: not dock.streaming)
    bubbles = dock.view.bubbles()
    assert [b.role for b in bubbles] == ["user", "assistant"]
    assert bubbles[1].text == "It looks like a **stale token**."
    assert "QUESTIONS" not in bubbles[1].text
    assert dock.composer.send_button.text() == "Send"
    options = [b.text() for b in bubbles[1].findChildren(QPushButton, "quickReply")]
    assert options == ["Yes", "No"]
    qloop.until(lambda: "cache" in chat_window.usage_label.text())
    assert "tokens" in chat_window.usage_label.text()

    api.enqueue("Then it is the account token.")
    qtbot.mouseClick(
        bubbles[1].findChildren(QPushButton, "quickReply")[0], Qt.MouseButton.LeftButton
    )
    qloop.until(lambda: len(dock.view.bubbles()) == 4 and not dock.streaming)
    sent = api.message_requests[-1].body["messages"][-1]["content"][-1]["text"]
    assert sent == "Does Teams prompt too? — Yes"


def test_escape_stops_and_keeps_the_partial_reply(qtbot, qloop, chat_window, api) -> None:
    api.enqueue(ScriptedReply(chunks=[f"step{i} " for i in range(300)], delay_s=0.01))
    dock = chat_window.chat_dock
    _type_and_send(qtbot, chat_window, "go")
    qloop.until(lambda: len(dock.view.bubbles()[-1].text) > 20)
    qtbot.keyClick(dock.composer.edit, Qt.Key.Key_Escape)
    qloop.until(lambda: not dock.streaming)
    last = dock.view.bubbles()[-1]
    assert last.message.stopped and last.text.startswith("step0 step1")
    assert "Stopped" in last.status_label.text()
    assert not last.retry_button.isVisible()


def test_a_failed_reply_shows_the_error_inline_and_retry_recovers(
    qtbot, qloop, chat_window, api
) -> None:
    api.enqueue(ScriptedReply(chunks=["Partial ", "answer"], error_event_after=1), "Full answer.")
    dock = chat_window.chat_dock
    _type_and_send(qtbot, chat_window, "hello")
    qloop.until(lambda: not dock.streaming)
    failed = dock.view.bubbles()[-1]
    assert failed.text == "Partial"
    assert "overloaded" in failed.status_label.text().lower()
    assert failed.retry_button.isVisible()
    qtbot.mouseClick(failed.retry_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: not dock.streaming and dock.view.bubbles()[-1].text == "Full answer.")
    assert [b.role for b in dock.view.bubbles()] == ["user", "assistant"]


def test_code_blocks_have_copy_with_feedback(qtbot, qloop, chat_window, api) -> None:
    api.enqueue(
        "Run this:\n```powershell\nGet-Service Spooler\n```\n" + _block("ACTIONS", [{"label": "x"}])
    )
    dock = chat_window.chat_dock
    _type_and_send(qtbot, chat_window, "printer")
    qloop.until(lambda: not dock.streaming)
    [block] = dock.view.bubbles()[-1].code_blocks()
    qtbot.mouseClick(block.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "Get-Service Spooler"
    assert block.copy_button.text() == "Copied"


def test_conversation_survives_switching_and_restart(
    qtbot, qloop, chat_window, make_window, api
) -> None:
    api.enqueue("First answer.")
    dock = chat_window.chat_dock
    _type_and_send(qtbot, chat_window, "first question")
    qloop.until(lambda: not dock.streaming)
    chat_window.runner.run(chat_window.services.sessions.create("Other"))
    qloop.until(lambda: chat_window.sessions_panel.model.rowCount() == 2)
    chat_window.sessions_panel.select_session(chat_window.sessions_panel.model.summary_at(0).id)
    qloop.settle()
    assert dock.view.bubbles() == [] or not dock.view.isVisible()
    chat_window.sessions_panel.select_relative(1)
    assert [b.text for b in dock.view.bubbles()] == ["first question", "First answer."], (
        "instant, from cache"
    )
    chat_window.close()

    again = make_window()
    again.sessions_panel.select_session(chat_window.current_session().id)
    qloop.until(lambda: len(again.chat_dock.view.bubbles()) == 2)


def test_the_status_bar_shows_the_shown_sessions_cost_and_a_reply_its_own(
    qtbot, qloop, chat_window, api
) -> None:
    """The figures follow the selected session, also for one whose conversation is kept
    (opened before); a reply's tooltip says what that turn cost."""
    dock = chat_window.chat_dock
    api.enqueue("Short.")
    _type_and_send(qtbot, chat_window, "first session")
    qloop.until(lambda: not dock.streaming and "cache" in chat_window.usage_label.text())
    first = chat_window.usage_label.text()
    assert "This session: 1 replies" in chat_window.usage_label.toolTip()
    reply = dock.view.bubbles()[-1]
    assert "tokens in" in reply.toolTip() and "about $" in reply.toolTip()

    chat_window.runner.run(chat_window.services.sessions.create("Second"))
    qloop.until(lambda: chat_window.sessions_panel.model.rowCount() == 2)
    chat_window.sessions_panel.select_session(chat_window.sessions_panel.model.summary_at(0).id)
    qloop.until(lambda: chat_window.usage_label.text() == "No tokens used yet")
    api.enqueue("A much longer answer. " * 40)
    _type_and_send(qtbot, chat_window, "second session, with a longer question " * 20)
    qloop.until(lambda: not dock.streaming and "cache" in chat_window.usage_label.text())
    second = chat_window.usage_label.text()
    assert second != first

    chat_window.sessions_panel.select_relative(1)  # back: its conversation is kept
    qloop.until(lambda: chat_window.usage_label.text() == first)
    chat_window.sessions_panel.select_relative(-1)
    qloop.until(lambda: chat_window.usage_label.text() == second)


def test_without_a_key_the_composer_says_so_and_opens_settings(
    qtbot, qloop, make_window, api
) -> None:
    window = make_window()
    window.runner.run(window.services.sessions.create("No key yet"))
    qloop.until(lambda: window.sessions_panel.model.rowCount() == 1)
    window.sessions_panel.select_first()
    qloop.until(lambda: window.chat_dock.composer.missing_key.isVisible())
    activate(qtbot, window)
    _type_and_send(qtbot, window, "hello")
    qloop.until(lambda: window.findChildren(SettingsDialog))
    assert window.chat_dock.composer.edit.toPlainText() == "hello", "nothing typed is lost"
    assert api.requests == []


def test_ctrl_enter_sends_and_shift_enter_breaks_the_line(qtbot, qloop, chat_window, api) -> None:
    dock = chat_window.chat_dock
    chat_window.focus_chat()
    edit = dock.composer.edit
    qtbot.keyClicks(edit, "line one")
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(edit, "line two")
    assert edit.toPlainText() == "line one\nline two"
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: not dock.streaming and len(dock.view.bubbles()) == 2)
    assert (
        api.message_requests[0].body["messages"][0]["content"][-1]["text"] == "line one\nline two"
    )


def test_regenerate_never_sits_where_stop_is(qtbot, chat_window) -> None:
    composer = chat_window.chat_dock.composer
    composer.set_streaming(True)
    stop = composer.send_button.geometry()
    regenerate = composer.regenerate_button.geometry()
    assert composer.send_button.text() == "Stop"
    assert not stop.intersects(regenerate) and regenerate.right() < stop.left()
    composer.set_streaming(False)


def test_a_pasted_screenshot_is_attached_and_shown_as_a_thumbnail(
    qtbot, qloop, chat_window, api
) -> None:
    from PySide6.QtCore import QMimeData
    from PySide6.QtGui import QColor, QImage

    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("#60a5fa"))
    mime = QMimeData()
    mime.setImageData(image)
    dock = chat_window.chat_dock
    dock.composer.edit.insertFromMimeData(mime)
    assert [a.kind for a in dock.composer.attachments] == ["image"]
    assert "pasted-screenshot.png" in dock.composer.chips.text()
    chat_window.focus_chat()
    qtbot.keyClicks(dock.composer.edit, "see screenshot")
    qtbot.keyClick(dock.composer.edit, Qt.Key.Key_Return)
    qloop.until(lambda: not dock.streaming and len(dock.view.bubbles()) == 2)
    _context, *blocks = api.message_requests[0].body["messages"][0]["content"]
    assert blocks[0]["type"] == "image" and blocks[0]["source"]["media_type"] == "image/png"
    from PySide6.QtWidgets import QLabel

    def thumbnails() -> list[QLabel]:
        return dock.view.bubbles()[0].findChildren(QLabel, "attachmentThumbnail")

    qloop.until(lambda: len(thumbnails()) == 1 and not thumbnails()[0].pixmap().isNull())
    assert "pasted-screenshot.png" in thumbnails()[0].toolTip(), "the stored file, as sent"


def test_stop_and_regenerate_from_anywhere_by_keyboard(qtbot, qloop, chat_window, api) -> None:
    dock = chat_window.chat_dock
    api.enqueue(ScriptedReply(chunks=[f"step{i} " for i in range(300)], delay_s=0.01))
    _type_and_send(qtbot, chat_window, "go")
    qloop.until(lambda: len(dock.view.bubbles()[-1].text) > 20)
    chat_window.sessions_panel.focus_list()  # focus elsewhere: the shortcut is window-wide
    qtbot.keyClick(
        chat_window.sessions_panel.list_view, Qt.Key.Key_Period, Qt.KeyboardModifier.ControlModifier
    )
    qloop.until(lambda: not dock.streaming)
    assert dock.view.bubbles()[-1].message.stopped

    api.enqueue("A fresh answer.")
    qtbot.keyClick(
        chat_window.sessions_panel.list_view,
        Qt.Key.Key_R,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    qloop.until(lambda: not dock.streaming and dock.view.bubbles()[-1].text == "A fresh answer.")
    assert [b.role for b in dock.view.bubbles()] == ["user", "assistant"]
