"""The conversation: one bubble per message, smooth streaming, follow-the-bottom scrolling.

While a reply streams, its raw text is appended as plain text at once and the markdown is
re-rendered at most ~10 times a second (and once at the end), with an open code fence
rendered closed. The view follows the bottom only while the technician is at the bottom;
otherwise a "Jump to latest" button appears.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.assistant.chat import ChatMessage
from flowpilot_desktop.assistant.markers import parse_reply
from ui.chat_dock.bubble import (
    PENDING_ID,
    CodeBlock,
    MessageBubble,
    SettledText,
    close_open_fence,
)

__all__ = [
    "PENDING_ID",
    "CodeBlock",
    "MessageBubble",
    "MessageView",
    "SettledText",
    "close_open_fence",
]

RENDER_INTERVAL_MS = 100  # markdown at most ~10x per second while streaming


class MessageView(QScrollArea):
    """The scrolling list of bubbles, with the streaming bubble at the end."""

    sig_retry = Signal()
    """The technician asked to retry the failed last reply."""
    sig_delete = Signal(str)
    """The technician deleted this message (its id) from the conversation."""
    sig_quick_reply = Signal(str)
    """A quick-reply option was chosen: send it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageView")
        self.setAccessibleName("Conversation")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._content = QWidget(self)
        self._content.setObjectName("messageList")
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(12, 12, 12, 12)
        self._layout.setSpacing(10)
        self._layout.addStretch(1)
        self.setWidget(self._content)
        self._streaming: MessageBubble | None = None
        self._follow = True
        self._render_timer = QTimer(self)
        self._render_timer.setInterval(RENDER_INTERVAL_MS)
        self._render_timer.timeout.connect(self._render_streaming)
        self.jump_button = QPushButton("↓ Jump to latest", self)
        self.jump_button.setObjectName("jumpToLatest")
        self.jump_button.setAccessibleName("Jump to latest message")
        self.jump_button.hide()
        self.jump_button.clicked.connect(self.scroll_to_bottom)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._range_changed)

    # ---- Public API

    def bubbles(self) -> list[MessageBubble]:
        return [
            self._layout.itemAt(i).widget()
            for i in range(self._layout.count())
            if isinstance(self._layout.itemAt(i).widget(), MessageBubble)
        ]

    def set_messages(self, messages: list[ChatMessage]) -> None:
        self.clear()
        for message in messages:
            self._insert(MessageBubble(message, message.role, self._content))
        self._offer_quick_replies()
        self._follow = True
        self.scroll_to_bottom()

    def set_pending_checks(self, total: int, pending: int) -> None:
        """ "Next steps · N pending" above the latest reply that carries checks (SPEC §6)."""
        latest = next((b for b in reversed(self.bubbles()) if b.carries_checks), None)
        for bubble in self.bubbles():
            bubble.next_steps.setVisible(bubble is latest and total > 0)
        if latest is not None and total > 0:
            latest.next_steps.setText(
                f"Next steps · {pending} pending" if pending else "Next steps · all done"
            )
            latest.next_steps.setAccessibleName(latest.next_steps.text())

    def clear(self) -> None:
        self._render_timer.stop()
        self._streaming = None
        for bubble in self.bubbles():
            self._layout.removeWidget(bubble)
            bubble.deleteLater()

    def add_message(self, message: ChatMessage) -> MessageBubble:
        for bubble in self.bubbles():
            bubble.hide_quick_replies()
        bubble = MessageBubble(message, message.role, self._content)
        self._insert(bubble)
        return bubble

    def begin_streaming(self) -> MessageBubble:
        bubble = MessageBubble(None, "assistant", self._content)
        bubble._set_status("Thinking…")
        self._insert(bubble)
        self._streaming = bubble
        self._render_timer.start()
        return bubble

    def append_streamed(self, text: str) -> None:
        """Called for every delta: cheap (no markdown); the timer renders."""
        if self._streaming is not None:
            self._streaming.append_streamed(text)

    def finish_streaming(self, message: ChatMessage | None) -> None:
        self._render_timer.stop()
        bubble, self._streaming = self._streaming, None
        if bubble is None:
            return
        if message is None:
            self._layout.removeWidget(bubble)
            bubble.deleteLater()
            return
        bubble.show_message(message)  # its signals were connected when it was inserted
        self._offer_quick_replies()

    def remove_bubble(self, bubble: MessageBubble) -> None:
        self._layout.removeWidget(bubble)
        bubble.deleteLater()

    def remove_message(self, message_id: str) -> None:
        for bubble in self.bubbles():
            if bubble.message is not None and bubble.message.id == message_id:
                self.remove_bubble(bubble)

    def remove_last_assistant(self) -> None:
        bubbles = self.bubbles()
        if bubbles and bubbles[-1].role == "assistant":
            self._layout.removeWidget(bubbles[-1])
            bubbles[-1].deleteLater()

    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def scroll_to_bottom(self) -> None:
        self._follow = True
        self.jump_button.hide()
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    # ---- Qt overrides

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        size = self.jump_button.sizeHint()
        self.jump_button.move(
            (self.viewport().width() - size.width()) // 2,
            self.viewport().height() - size.height() - 8,
        )

    # ---- Private

    def _insert(self, bubble: MessageBubble) -> None:
        self._layout.insertWidget(self._layout.count() - 1, bubble)
        bubble.sig_retry.connect(self.sig_retry)
        bubble.sig_quick_reply.connect(self.sig_quick_reply)
        bubble.sig_delete.connect(self.sig_delete)

    def _render_streaming(self) -> None:
        if self._streaming is not None:
            if self._streaming.text:
                self._streaming._set_status("")
            self._streaming.render_streaming()

    def _offer_quick_replies(self) -> None:
        bubbles = self.bubbles()
        if bubbles and bubbles[-1].role == "assistant" and bubbles[-1].message is not None:
            parsed = parse_reply(bubbles[-1].message.raw_content)
            if parsed.questions:
                bubbles[-1].show_quick_replies(parsed.questions)

    def _focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        """A message shows its time while the keyboard focus is in it (as on hover)."""
        for widget, inside in ((old, False), (new, True)):
            bubble = widget
            while bubble is not None and not isinstance(bubble, MessageBubble):
                bubble = bubble.parentWidget()
            if bubble is not None and self._content.isAncestorOf(bubble):
                bubble.focus_moved(inside)

    def _scrolled(self, _value: int) -> None:
        self._follow = self.at_bottom()
        if self._follow:
            self.jump_button.hide()

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)
        else:
            self.jump_button.show()
            self.jump_button.raise_()
