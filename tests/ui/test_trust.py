"""What leaves the machine, as the technician sees it: the composer's mask notice (View,
Send unmasked), a long paste becoming an attachment, a refused file named with the text kept,
deleting a message with undo, the preview's masked values, and one request per Retry."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QMimeData, Qt
from PySide6.QtWidgets import QApplication

from flowpilot_desktop.assistant.chat import Attachment
from tests.anthropic_emulator import ScriptedReply
from tests.ui.helpers import activate

PASSWORD = "Sup3r$ecretSA!"
LOG_LINE = f"Server=sql01;Database=crm;User Id=sa;Password={PASSWORD};"


@pytest.fixture
def chat_window(session_window):
    return session_window("CRM sync fails")


def _type(qtbot, window, text: str) -> None:
    window.focus_chat()
    edit = window.chat_dock.composer.edit
    assert QApplication.focusWidget() is edit
    qtbot.keyClicks(edit, text)


def _sent_text(api) -> str:
    return json.dumps([r.body for r in api.message_requests], ensure_ascii=False)


def test_the_composer_says_what_will_be_masked_and_sends_it_masked(
    qtbot, qloop, chat_window, api
) -> None:
    composer = chat_window.chat_dock.composer
    notice = composer.mask_notice
    _type(qtbot, chat_window, f"The log says {LOG_LINE}")
    qloop.until(lambda: notice.isVisible())
    assert notice.label.text().startswith("1 credential will be masked")
    assert "password" in notice.label.text()

    qtbot.mouseClick(notice.view_button, Qt.MouseButton.LeftButton)
    assert notice.preview.isVisible()
    shown = notice.preview.toPlainText()
    assert "[password #1]" in shown and PASSWORD not in shown
    assert len(notice.preview.extraSelections()) == 1, "the masked value is highlighted"

    api.enqueue("Looks like the sa login.")
    composer.edit.setFocus()
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    dock = chat_window.chat_dock
    qloop.until(lambda: not dock.streaming and len(dock.view.bubbles()) == 2)
    assert not notice.isVisible(), "the notice belongs to the message just sent"
    user = dock.view.bubbles()[0]
    qloop.until(lambda: user.message is not None and user.message.id != "pending")
    assert PASSWORD not in user.text and "[password #1]" in user.text, "shown as sent"
    assert PASSWORD not in _sent_text(api)


def test_send_unmasked_is_chosen_from_the_keyboard_for_one_message(
    qtbot, qloop, chat_window, api
) -> None:
    composer = chat_window.chat_dock.composer
    notice = composer.mask_notice
    harmless = "the wiki says password=ChangeMeAtFirstLogon for new starters"
    _type(qtbot, chat_window, harmless)
    qloop.until(lambda: notice.isVisible())
    notice.unmasked_check.setFocus()
    qtbot.keyClick(notice.unmasked_check, Qt.Key.Key_Space)
    assert composer.send_unmasked
    assert "UNMASKED" in notice.label.text()

    api.enqueue("Noted.")
    composer.edit.setFocus()
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    dock = chat_window.chat_dock
    qloop.until(lambda: not dock.streaming and len(dock.view.bubbles()) == 2)
    assert "ChangeMeAtFirstLogon" in _sent_text(api)
    assert not composer.send_unmasked, "the choice is for that message only"


def test_a_long_paste_becomes_a_text_attachment(qtbot, qloop, chat_window) -> None:
    composer = chat_window.chat_dock.composer
    pasted = "Event 4625: An account failed to log on.\n" * 4000  # ~164,000 characters
    data = QMimeData()
    data.setText(pasted)
    composer.edit.insertFromMimeData(data)
    assert composer.edit.toPlainText() == "", "nothing huge lands in the message itself"
    assert [a.name for a in composer.attachments] == ["pasted-text.txt"]
    assert "attached as pasted-text.txt" in composer.chips.text()
    assert composer.attachments[0].data.decode("utf-8") == pasted


def test_a_file_that_cannot_be_sent_is_named_and_the_message_kept(
    qtbot, qloop, chat_window, api
) -> None:
    composer = chat_window.chat_dock.composer
    composer.add_attachment(Attachment("setup.exe", b"MZ\x90\x00" + bytes(range(256)) * 40))
    _type(qtbot, chat_window, "installer attached")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    dock = chat_window.chat_dock
    qloop.until(lambda: not dock.streaming and "setup.exe" in composer.chips.text())
    assert composer.edit.toPlainText() == "installer attached", "nothing typed is lost"
    assert [a.name for a in composer.attachments] == ["setup.exe"]
    assert api.message_requests == []


def test_deleting_a_message_leaves_it_out_and_ctrl_z_brings_it_back(
    qtbot, qloop, chat_window, api
) -> None:
    dock = chat_window.chat_dock
    api.enqueue("First.", "Second.", "Third.")
    for text in ("a bad paste", "the real question"):
        _type(qtbot, chat_window, text)
        qtbot.keyClick(dock.composer.edit, Qt.Key.Key_Return)
        count = 2 if text == "a bad paste" else 4
        qloop.until(lambda c=count: not dock.streaming and len(dock.view.bubbles()) == c)
    first = dock.view.bubbles()[0]
    qloop.until(lambda: first.delete_button.isVisible())
    first.delete_button.setFocus()
    qtbot.keyClick(first.delete_button, Qt.Key.Key_Space)
    qloop.until(lambda: len(dock.view.bubbles()) == 3)
    assert "a bad paste" not in [b.text for b in dock.view.bubbles()]
    assert "Message deleted" in chat_window.statusBar().currentMessage()

    _type(qtbot, chat_window, "third")
    qtbot.keyClick(dock.composer.edit, Qt.Key.Key_Return)
    qloop.until(lambda: not dock.streaming and len(api.message_requests) == 3)
    assert "a bad paste" not in json.dumps(api.message_requests[-1].body["messages"])

    activate(qtbot, chat_window)
    qtbot.keyClick(chat_window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: "a bad paste" in [b.text for b in dock.view.bubbles()])
    assert dock.view.bubbles()[0].text == "a bad paste", "back in its place"


def test_one_retry_click_makes_exactly_one_request(qtbot, qloop, chat_window, api) -> None:
    dock = chat_window.chat_dock
    api.enqueue(ScriptedReply(chunks=["Half"], error_event_after=0), "Recovered.")
    _type(qtbot, chat_window, "hello")
    qtbot.keyClick(dock.composer.edit, Qt.Key.Key_Return)
    qloop.until(lambda: not dock.streaming and dock.view.bubbles()[-1].retry_button.isVisible())
    before = len(api.message_requests)
    emitted: list[bool] = []
    dock.view.sig_retry.connect(lambda: emitted.append(True))
    qtbot.mouseClick(dock.view.bubbles()[-1].retry_button, Qt.MouseButton.LeftButton)
    qloop.until(lambda: not dock.streaming and dock.view.bubbles()[-1].text == "Recovered.")
    qloop.settle(0.2)
    assert emitted == [True], "one click, one signal"
    assert len(api.message_requests) == before + 1
