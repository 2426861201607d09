"""The conversation: one bubble per message, smooth streaming, follow-the-bottom scrolling.

While a reply streams, its raw text is appended as plain text at once and the markdown is
re-rendered at most ~10 times a second (and once at the end), with an open code fence
rendered closed. The view follows the bottom only while the technician is at the bottom;
otherwise a "Jump to latest" button appears.

Each conversation is a ``ConversationPage`` that builds its newest bubbles first and older
ones as the technician scrolls up. The pages of the last few conversations shown stay built
(hidden), so switching back to one shows the same widgets at once, where it was left; older
pages are released.
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.assistant.chat import ChatMessage
from ui.chat_dock.bubble import (
    PENDING_ID,
    CodeBlock,
    MessageBubble,
    SettledText,
    close_open_fence,
)
from ui.chat_dock.conversation_page import ConversationPage

__all__ = [
    "PENDING_ID",
    "CodeBlock",
    "MessageBubble",
    "MessageView",
    "SettledText",
    "close_open_fence",
]

RENDER_INTERVAL_MS = 100  # markdown at most ~10x per second while streaming
PAGES_KEPT = 4  # conversations whose bubbles stay built while another one is shown


class MessageView(QScrollArea):
    """The scrolling list of bubbles, with the streaming bubble at the end."""

    sig_retry = Signal()
    """The technician asked to retry the failed last reply."""
    sig_delete = Signal(str)
    """The technician deleted this message (its id) from the conversation."""
    sig_quick_reply = Signal(str)
    """A quick-reply option was chosen: send it."""
    sig_open_in_builder = Signal(str, str)
    """A code block's Open in Script Builder (code, language)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageView")
        self.setAccessibleName("Conversation")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # One page per kept conversation; only the shown one is visible (a hidden widget
        # takes no room in a box layout), so switching is hide + show, never a re-parenting.
        self._content = QWidget(self)
        self._content.setObjectName("messageList")
        self._pages_layout = QVBoxLayout(self._content)
        self._pages_layout.setContentsMargins(0, 0, 0, 0)
        self._pages_layout.setSpacing(0)
        self.setWidget(self._content)
        self._pages: OrderedDict[str, ConversationPage] = OrderedDict()  # least recent first
        self._page = self._add_page("")
        self._page.show()
        self._streaming: MessageBubble | None = None
        self._follow = True
        self._anchor: int | None = None  # keep this distance from the bottom when it grows
        self._render_timer = QTimer(self)
        self._render_timer.setInterval(RENDER_INTERVAL_MS)
        self._render_timer.timeout.connect(self._render_streaming)
        # Older messages are built in small batches, one per pass of the event loop.
        self._older_timer = QTimer(self)
        self._older_timer.setSingleShot(True)
        self._older_timer.setInterval(0)
        self._older_timer.timeout.connect(self._build_older_if_near_top)
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
        """The built bubbles of the shown conversation, top to bottom."""
        return self._page.bubbles()

    @property
    def older_count(self) -> int:
        """How many older messages of the shown conversation are not built yet."""
        return self._page.older_count

    def conversations(self) -> list[str]:
        """The keys of the conversations whose bubbles are kept, least recently shown first."""
        return list(self._pages)

    def show_conversation(self, key: str) -> None:
        """Show the conversation ``key``: its kept bubbles where it was left, or a new empty
        page (the least recently shown one beyond ``PAGES_KEPT`` is released)."""
        if key == self._page.key:
            return
        old = self._page
        bar = self.verticalScrollBar()
        old.follow, old.from_bottom = self._follow, bar.maximum() - bar.value()
        page = self._pages.get(key) or self._add_page(key)
        self._pages.move_to_end(key)
        if old.isAncestorOf(QApplication.focusWidget()):
            # Hiding the focused widget would hand the focus to the next control on screen.
            self.setFocus(Qt.FocusReason.OtherFocusReason)
        old.hide()
        self._page = page
        page.show()
        self.jump_button.hide()
        self._follow = page.follow
        self._settle(page.from_bottom)
        self._release_old_pages()
        self._older_timer.start()

    def set_messages(self, messages: list[ChatMessage], key: str | None = None) -> None:
        """Show ``messages`` as the conversation ``key`` (the shown one if None), reusing the
        bubbles it already has."""
        if key is not None:
            self.show_conversation(key)
        self._page.set_messages(messages)
        self._settle()
        self._older_timer.start()

    def show_older(self) -> int:
        """Build a batch of older messages above the others, the view staying on what it
        shows; how many were built."""
        distance = self._distance_from_bottom()
        built = self._page.show_older()
        if built:
            self._settle(distance)
        return built

    def reveal(self, message_id: str) -> bool:
        """Scroll the shown conversation to one message (building older ones down to it) and
        put the focus on it: a search hit opens here. False when it is not in this conversation."""
        bubble = self._find(message_id)
        while bubble is None and self._page.older_count:
            if not self.show_older():
                break
            bubble = self._find(message_id)
        if bubble is None:
            return False
        self._follow = False
        self.widget().layout().activate()
        self.ensureWidgetVisible(bubble, 0, self.viewport().height() // 3)
        bubble.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    def _find(self, message_id: str) -> MessageBubble | None:
        return next(
            (
                b
                for b in self._page.bubbles()
                if b.message is not None and b.message.id == message_id
            ),
            None,
        )

    def set_pending_checks(self, total: int, pending: int) -> None:
        """ "Next steps · N pending" above the latest reply that carries checks (SPEC §6)."""
        self._page.set_pending_checks(total, pending)

    def clear(self) -> None:
        """Empty the shown conversation (a reply streaming into it included)."""
        if self._streaming is not None and self._page.isAncestorOf(self._streaming):
            self._render_timer.stop()
            self._streaming = None
        self._page.set_messages([])
        for bubble in self._page.bubbles():
            self._page.remove(bubble)

    def add_message(self, message: ChatMessage) -> MessageBubble:
        return self._page.add(MessageBubble(message, message.role, self._page))

    def begin_streaming(self) -> MessageBubble:
        bubble = self._page.add(MessageBubble(None, "assistant", self._page))
        bubble.show_note("Thinking…")
        self._streaming = bubble
        self._render_timer.start()
        return bubble

    def set_streaming_status(self, text: str) -> None:
        """What the reply being written waits for (before its first words)."""
        if self._streaming is not None and not self._streaming.text:
            self._streaming.show_note(text)

    def append_streamed(self, text: str) -> None:
        """Called for every delta: cheap (no markdown); the timer renders."""
        if self._streaming is not None:
            self._streaming.append_streamed(text)

    def finish_streaming(self, message: ChatMessage | None) -> None:
        """The reply ended: show it as stored (its conversation may be hidden by now)."""
        self._render_timer.stop()
        bubble, self._streaming = self._streaming, None
        if bubble is None:
            return
        page = bubble.parentWidget()
        if message is None:
            self.remove_bubble(bubble)
            return
        bubble.show_message(message)  # its signals were connected when it was inserted
        if isinstance(page, ConversationPage):
            page.offer_quick_replies()

    def remove_bubble(self, bubble: MessageBubble) -> None:
        page = bubble.parentWidget()
        if isinstance(page, ConversationPage):
            page.remove(bubble)

    def remove_message(self, message_id: str) -> None:
        for bubble in self.bubbles():
            if bubble.message is not None and bubble.message.id == message_id:
                self.remove_bubble(bubble)

    def remove_last_assistant(self) -> None:
        bubbles = self.bubbles()
        if bubbles and bubbles[-1].role == "assistant":
            self.remove_bubble(bubbles[-1])

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
        self._older_timer.start()  # a taller view may reach the top

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Home goes to the top (older messages are built as it gets there), End to the
        latest; Page Up/Down and the arrows scroll as in any scroll area."""
        if event.key() == Qt.Key.Key_Home:
            self.verticalScrollBar().setValue(0)
        elif event.key() == Qt.Key.Key_End:
            self.scroll_to_bottom()
        else:
            super().keyPressEvent(event)

    # ---- Private

    def _add_page(self, key: str) -> ConversationPage:
        page = ConversationPage(key, self._content)
        page.hide()
        page.sig_retry.connect(self.sig_retry)
        page.sig_delete.connect(self.sig_delete)
        page.sig_quick_reply.connect(self.sig_quick_reply)
        page.sig_open_in_builder.connect(self.sig_open_in_builder)
        self._pages_layout.addWidget(page)
        self._pages[key] = page
        return page

    def _release_old_pages(self) -> None:
        """Keep the bubbles of the last ``PAGES_KEPT`` conversations shown, never those of
        the shown one or of the one a reply streams into."""
        for key, page in list(self._pages.items()):
            if len(self._pages) <= PAGES_KEPT:
                return
            if page is self._page or (
                self._streaming is not None and page.isAncestorOf(self._streaming)
            ):
                continue
            del self._pages[key]
            self._pages_layout.removeWidget(page)
            page.deleteLater()

    def _distance_from_bottom(self) -> int:
        bar = self.verticalScrollBar()
        return bar.maximum() - bar.value()

    def _settle(self, from_bottom: int | None = None) -> None:
        """Lay the shown page out now, then show its bottom while following, else keep
        ``from_bottom`` pixels below the view (older messages built above, a page shown
        again) or, without it, the position (a new message shows "Jump to latest"). The
        first paint is then already in place, with no jump a frame later."""
        self._anchor = None if self._follow else from_bottom
        self._page.layout().activate()
        self._pages_layout.activate()
        # What Qt would do on a later pass: size the content, recompute the scroll range.
        QApplication.sendEvent(self, QEvent(QEvent.Type.LayoutRequest))
        self._anchor = None
        bar = self.verticalScrollBar()
        if self._follow:
            bar.setValue(bar.maximum())
        elif from_bottom is not None:
            bar.setValue(bar.maximum() - from_bottom)

    def _build_older_if_near_top(self) -> None:
        """Within a screen of the top, build the next batch of older messages, and look again
        after it (until the top is a screen away or nothing older is left)."""
        near_top = self.verticalScrollBar().value() < self.viewport().height()
        if near_top and self._page.older_count and self.show_older():
            self._older_timer.start()

    def _render_streaming(self) -> None:
        if self._streaming is not None:
            if self._streaming.text:
                self._streaming.show_note("")
            self._streaming.render_streaming()

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
        self._older_timer.start()

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._anchor is not None:
            self.verticalScrollBar().setValue(maximum - self._anchor)
        elif self._follow:
            self.verticalScrollBar().setValue(maximum)
        else:
            self.jump_button.show()
            self.jump_button.raise_()
