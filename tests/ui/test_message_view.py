"""Streaming rendering pieces of the conversation view."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel

from flowpilot_desktop.assistant.chat import ChatMessage
from ui.chat_dock.bubble import close_open_fence, commit_boundary
from ui.chat_dock.message_view import MessageView


def _message(text: str, role: str = "assistant") -> ChatMessage:
    return ChatMessage("m", role, text, text, None, None, False, None, (), datetime.now(UTC))


def test_open_code_fence_is_rendered_closed() -> None:
    assert (
        close_open_fence("Run:\n```powershell\nGet-Service")
        == "Run:\n```powershell\nGet-Service\n```"
    )
    assert close_open_fence("```x\ny\n```") == "```x\ny\n```"


def test_commit_boundary_never_splits_a_code_block() -> None:
    text = "First paragraph.\n\nSecond.\n\n```ps\nline one\n\nline two"
    boundary = commit_boundary(text, 0)
    assert text[:boundary] == "First paragraph.\n\nSecond.\n\n"
    closed = text + "\n```\n\nAfter."
    assert closed[: commit_boundary(closed, 0)].endswith("```\n\n")


def test_streaming_commits_paragraphs_and_keeps_a_plain_tail(qtbot) -> None:
    view = MessageView()
    qtbot.addWidget(view)
    bubble = view.begin_streaming()
    for piece in ["Para one **bold**.", "\n\n", "Para two ", "still coming"]:
        view.append_streamed(piece)
    qtbot.waitUntil(lambda: bubble.findChild(QLabel, "bubbleTail") is not None, timeout=1000)
    tail = bubble.findChild(QLabel, "bubbleTail")
    qtbot.waitUntil(
        lambda: tail.text() == "Para one **bold**.\n\nPara two still coming", timeout=100
    )
    bubble.render_streaming()
    assert tail.text() == "", "everything received so far is rendered now"
    assert (
        bubble.findChild(QLabel, "bubbleTailRendered").property("markdownSource")
        == "Para two still coming"
    )
    rendered = [w for w in bubble.findChildren(QLabel, "bubbleText")]
    assert [w.property("markdownSource") for w in rendered] == ["Para one **bold**."]
    view.append_streamed(" and more")
    qtbot.waitUntil(lambda: tail.text() == " and more", timeout=200)
    view.finish_streaming(_message("Para one **bold**.\n\nPara two still coming"))
    assert (
        bubble.findChild(QLabel, "bubbleTail") is None
        or not bubble.findChild(QLabel, "bubbleTail").isVisible()
    )


def test_an_open_code_fence_streams_as_a_closed_code_block(qtbot) -> None:
    view = MessageView()
    qtbot.addWidget(view)
    bubble = view.begin_streaming()
    view.append_streamed("Run this:\n\n```powershell\nGet-Serv")
    bubble.render_streaming()
    rendered = bubble.findChild(QLabel, "bubbleTailRendered")
    assert rendered.textFormat() == Qt.TextFormat.RichText and rendered.property("safeRichText")
    assert rendered.property("markdownSource") == "```powershell\nGet-Serv\n```"
    assert [w.property("markdownSource") for w in bubble.findChildren(QLabel, "bubbleText")] == [
        "Run this:"
    ]


def test_view_follows_the_bottom_only_while_at_the_bottom(qtbot) -> None:
    view = MessageView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    view.set_messages([_message(f"Message {n}\n\n" + "text " * 40) for n in range(20)])
    qtbot.waitUntil(lambda: view.verticalScrollBar().maximum() > 0)
    view.scroll_to_bottom()
    assert view.at_bottom()
    view.verticalScrollBar().setValue(0)
    assert not view.at_bottom()
    reading = view.bubbles()[0]
    top = reading.mapTo(view.viewport(), QPoint(0, 0)).y()
    view.add_message(_message("A new reply " * 30))
    qtbot.waitUntil(view.jump_button.isVisible)
    assert reading.mapTo(view.viewport(), QPoint(0, 0)).y() == top, "reading position is kept"
    view.jump_button.click()
    qtbot.waitUntil(view.at_bottom)
    assert not view.jump_button.isVisible()


def test_settled_text_remembers_heights_per_width_until_its_text_or_font_changes(qtbot) -> None:
    from PySide6.QtWidgets import QWidget

    from ui.chat_dock.message_view import SettledText

    parent = QWidget()
    qtbot.addWidget(parent)
    label = SettledText(parent)
    label.setWordWrap(True)
    label.setText("word " * 80)
    plain = QLabel(parent)
    plain.setWordWrap(True)
    plain.setText("word " * 80)
    assert label.heightForWidth(200) == plain.heightForWidth(200)
    assert label.heightForWidth(400) == plain.heightForWidth(400)
    assert label.remembered_widths == {200, 400}
    label.setText("short")
    assert label.remembered_widths == set()
    assert label.heightForWidth(200) < plain.heightForWidth(200)
    font = label.font()
    font.setPointSize(font.pointSize() + 6)
    label.setFont(font)
    assert label.remembered_widths == set(), "a new font wraps differently"


def test_a_single_paragraph_reply_is_shown_once_when_it_ends(qtbot) -> None:
    """Regression: a frame update still pending at the end re-created the raw tail under the
    final rendering, so a one-paragraph reply showed twice."""
    view = MessageView()
    qtbot.addWidget(view)
    view.show()
    bubble = view.begin_streaming()
    view.append_streamed("One paragraph with **bold** text")
    view.finish_streaming(_message("One paragraph with **bold** text"))
    qtbot.wait(3 * 16)
    assert bubble.findChild(QLabel, "bubbleTail") is None
    texts = [w.property("markdownSource") for w in bubble.findChildren(QLabel, "bubbleText")]
    assert texts == ["One paragraph with **bold** text"]


def test_a_kept_conversation_syncs_by_touching_only_the_changed_bubbles(qtbot) -> None:
    """Showing a conversation again with one message gone and one new keeps every other
    bubble, and the latest reply's quick replies are offered once, not once per sync."""
    from PySide6.QtWidgets import QPushButton

    questions = '[QUESTIONS]\n[{"text": "Teams too?", "options": ["Yes", "No"]}]\n[/QUESTIONS]'
    messages = [
        ChatMessage(
            f"m{n}",
            role,
            f"Message {n}",
            f"Message {n}",
            None,
            None,
            False,
            None,
            (),
            datetime.now(UTC),
        )
        for n, role in enumerate(["user", "assistant", "user", "assistant"])
    ]
    last = ChatMessage(
        "m3",
        "assistant",
        "Does Teams prompt?",
        "Does Teams prompt?\n" + questions,
        None,
        None,
        False,
        None,
        (),
        datetime.now(UTC),
    )
    messages[3] = last
    view = MessageView()
    qtbot.addWidget(view)
    view.set_messages(messages, key="a")
    before = view.bubbles()
    view.set_messages([messages[0], messages[2], messages[3]], key="a")
    assert view.bubbles() == [before[0], before[2], before[3]]
    view.set_messages(messages[:2], key="b")
    view.set_messages([messages[0], messages[2], messages[3]], key="a")
    assert view.bubbles() == [before[0], before[2], before[3]], "the same widgets"
    options = [b.text() for b in view.bubbles()[-1].findChildren(QPushButton, "quickReply")]
    assert options == ["Yes", "No"]
    reply = ChatMessage("m4", "user", "Yes", "Yes", None, None, False, None, (), datetime.now(UTC))
    view.set_messages([messages[0], messages[2], messages[3], reply], key="a")
    assert view.bubbles()[:3] == [before[0], before[2], before[3]]
    assert view.bubbles()[-1].message is reply
    assert before[3].quick_replies.isHidden(), "quick replies belong to the latest reply only"
