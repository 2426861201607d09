"""One conversation's bubbles: the newest built at once, older ones only when asked for.

A bubble costs ~2.5 ms to build, style and lay out, so a 200-message conversation built in one
go stalls the window for half a second. A page builds the newest ``INITIAL_BUBBLES`` and keeps
the older messages as data until the technician scrolls towards them (``show_older``, a small
batch at a time). A page is kept while its conversation is hidden, so switching back shows
the same widgets; ``set_messages`` brings it up to date by changing only the bubbles whose
message changed.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from flowpilot_desktop.assistant.chat import ChatMessage
from flowpilot_desktop.assistant.markers import parse_reply
from ui.chat_dock.bubble import PENDING_ID, MessageBubble

INITIAL_BUBBLES = 6  # about a screen; ~20 ms to build (older ones follow, a batch a pass)
OLDER_BATCH = 4  # ~3 ms a bubble: each batch stays well under a frame or two


class ConversationPage(QWidget):
    """The bubbles of one conversation, in order, with the not yet built older messages."""

    sig_retry = Signal()
    """A bubble's Retry was pressed."""
    sig_delete = Signal(str)
    """A bubble's Delete was pressed (the message id)."""
    sig_quick_reply = Signal(str)
    """A quick-reply option was chosen (the text to send)."""
    sig_open_in_builder = Signal(str, str)
    """A code block's Open in Script Builder (code, language)."""

    def __init__(self, key: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName("conversationPage")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(12, 12, 12, 12)
        self._layout.setSpacing(10)
        self._layout.addStretch(1)
        self._older: list[ChatMessage] = []  # not built yet, oldest first
        self._checks = (0, 0)
        # Where the technician was when the page was hidden: at the bottom (follow), or this
        # many pixels above it.
        self.follow = True
        self.from_bottom = 0

    # ---- Public API

    def bubbles(self) -> list[MessageBubble]:
        """The built bubbles, top to bottom."""
        bubbles = []
        for i in range(self._layout.count()):
            widget = self._layout.itemAt(i).widget()
            if isinstance(widget, MessageBubble):
                bubbles.append(widget)
        return bubbles

    @property
    def older_count(self) -> int:
        """How many older messages are not built yet."""
        return len(self._older)

    def set_messages(self, messages: list[ChatMessage]) -> None:
        """Show exactly ``messages`` (plus a reply still streaming), rebuilding only what
        changed: a message appended, deleted, restored or replaced touches its bubble only."""
        settled = self._settled()
        shown = [b.message for b in settled]
        known = self._older + shown
        if known == messages:
            return
        prefix = _common_prefix(known, messages)
        suffix = _common_prefix(known[prefix:][::-1], messages[prefix:][::-1])
        first = len(self._older)
        if prefix < first and suffix >= len(shown):  # only messages not built yet changed
            self._older = messages[: len(messages) - len(shown)]
            return
        if prefix < first or not shown or len(messages) - suffix - prefix > INITIAL_BUBBLES:
            self._rebuild(messages)  # a new conversation, or one changed all over: the newest
            return
        start, end = prefix - first, len(known) - suffix - first
        before = settled[end] if end < len(settled) else None
        for bubble in settled[start:end]:
            self.remove(bubble)
        index = self._layout.indexOf(before) if before is not None else self._end_index()
        for offset, message in enumerate(messages[prefix : len(messages) - suffix]):
            self._insert(index + offset, MessageBubble(message, message.role, self))
        self._after_change()

    def show_older(self) -> int:
        """Build the next ``OLDER_BATCH`` older messages above the others; how many."""
        batch, self._older = self._older[-OLDER_BATCH:], self._older[:-OLDER_BATCH]
        for offset, message in enumerate(batch):
            self._insert(offset, MessageBubble(message, message.role, self))
        if batch:
            self._apply_checks()
        return len(batch)

    def add(self, bubble: MessageBubble) -> MessageBubble:
        """Put a bubble at the end (a message being sent, a reply starting to stream)."""
        for other in self.bubbles():
            other.hide_quick_replies()
        self._insert(self._layout.count() - 1, bubble)
        return bubble

    def remove(self, bubble: MessageBubble) -> None:
        self._layout.removeWidget(bubble)
        bubble.deleteLater()

    def offer_quick_replies(self) -> None:
        """Quick replies belong to the latest reply only."""
        bubbles = self.bubbles()
        for bubble in bubbles[:-1]:
            bubble.hide_quick_replies()
        if bubbles and bubbles[-1].role == "assistant" and bubbles[-1].message is not None:
            parsed = parse_reply(bubbles[-1].message.raw_content)
            if parsed.questions:
                bubbles[-1].show_quick_replies(parsed.questions)

    def set_pending_checks(self, total: int, pending: int) -> None:
        """ "Next steps · N pending" above the latest reply that carries checks (SPEC §6);
        kept, so a reply built later (scrolled to) gets it too."""
        self._checks = (total, pending)
        self._apply_checks()

    # ---- Private

    def _settled(self) -> list[MessageBubble]:
        """The bubbles of stored messages (not one being sent or streaming)."""
        return [b for b in self.bubbles() if b.message is not None and b.message.id != PENDING_ID]

    def _end_index(self) -> int:
        """Where a stored message goes: after the others, before any live bubble."""
        live = [b for b in self.bubbles() if b.message is None or b.message.id == PENDING_ID]
        return self._layout.indexOf(live[0]) if live else self._layout.count() - 1

    def _rebuild(self, messages: list[ChatMessage]) -> None:
        for bubble in self._settled():
            self.remove(bubble)
        self._older = messages[:-INITIAL_BUBBLES] if len(messages) > INITIAL_BUBBLES else []
        index = self._end_index()
        for offset, message in enumerate(messages[len(self._older) :]):
            self._insert(index + offset, MessageBubble(message, message.role, self))
        self._after_change()

    def _after_change(self) -> None:
        self.offer_quick_replies()
        self._apply_checks()

    def _insert(self, index: int, bubble: MessageBubble) -> None:
        self._layout.insertWidget(index, bubble)
        bubble.show()  # now, not on Qt's queued call: the view lays the page out at once
        bubble.sig_retry.connect(self.sig_retry)
        bubble.sig_quick_reply.connect(self.sig_quick_reply)
        bubble.sig_delete.connect(self.sig_delete)
        bubble.sig_open_in_builder.connect(self.sig_open_in_builder)

    def _apply_checks(self) -> None:
        total, pending = self._checks
        bubbles = self.bubbles()
        latest = next((b for b in reversed(bubbles) if b.carries_checks), None)
        for bubble in bubbles:
            bubble.next_steps.setVisible(bubble is latest and total > 0)
        if latest is not None and total > 0:
            latest.next_steps.setText(
                f"Next steps · {pending} pending" if pending else "Next steps · all done"
            )
            latest.next_steps.setAccessibleName(latest.next_steps.text())


def _common_prefix(first: list[ChatMessage], second: list[ChatMessage]) -> int:
    """How many messages at the start of both lists are the same."""
    count = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        count += 1
    return count
