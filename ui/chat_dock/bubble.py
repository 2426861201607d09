"""One message of the conversation: markdown text and code blocks (each with Copy),
attachments, quick replies and its status line; while a reply streams, finished paragraphs are
rendered once and the unfinished rest about ten times a second.

A reply is outside text: its markdown is shown through ``ui.safe_text`` (raw HTML stays
literal, images become "[image: …]", a link opens only after its address was confirmed), and
every other label here is plain text.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QEnterEvent, QFontDatabase, QGuiApplication, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.assistant.chat import ChatMessage
from flowpilot_desktop.assistant.markers import QuestionItem, parse_reply
from flowpilot_desktop.usage import describe_turn
from ui.safe_text import (
    SAFE_RICH_TEXT,
    connect_safe_links,
    plain_label,
    plain_text,
    plain_tooltip,
    set_safe_markdown,
)
from ui.theme import set_style_property
from ui.widgets.wrapping import breakable

TAIL_FRAME_MS = 16  # live raw text: at most one label update per frame
COPIED_FEEDBACK_MS = 1500
THUMBNAIL_SIZE = 96
PENDING_ID = "pending"  # a message shown while it is being stored has no id yet
_FENCE = re.compile(r"^```", re.MULTILINE)
_CODE_BLOCK = re.compile(r"```([\w+-]*)\n(.*?)```", re.DOTALL)


def commit_boundary(raw: str, start: int) -> int:
    """The end of the last paragraph break after ``start`` that is not inside a code block."""
    inside = False
    boundary = start
    position = start
    while True:
        fence = raw.find("```", position)
        gap = raw.find("\n\n", position)
        if gap < 0:
            return boundary
        if 0 <= fence < gap:
            inside = not inside
            position = fence + 3
            continue
        if not inside:
            boundary = gap + 2
        position = gap + 2


def close_open_fence(markdown: str) -> str:
    """Render a half-received code block as a closed one instead of swallowing the rest."""
    return markdown + "\n```" if len(_FENCE.findall(markdown)) % 2 else markdown


class SettledText(QLabel):
    """A finished paragraph that lays its text out once per width.

    Qt asks every word-wrapped label of a layout for its height (heightForWidth, and again for
    the minimum) on each layout pass, and a label answers by laying its text out anew. While a
    reply streams there is a layout pass per frame, and a long reply has hundreds of finished
    paragraphs: answering from a small per-width memory keeps each pass cheap.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._heights: dict[int, int] = {}

    def minimumSizeHint(self) -> QSize:
        """No minimum width of its own: a long word never widens the conversation (the text
        wraps, or is cut at the bubble's edge if it can't)."""
        return QSize(0, super().minimumSizeHint().height())

    def heightForWidth(self, width: int) -> int:
        height = self._heights.get(width)
        if height is None:
            if len(self._heights) > 8:
                self._heights.clear()
            height = self._heights[width] = super().heightForWidth(width)
        return height

    @property
    def remembered_widths(self) -> set[int]:
        """The widths whose height is answered from memory (what the memo holds now)."""
        return set(self._heights)

    def setText(self, text: str) -> None:
        self._heights.clear()
        super().setText(text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._heights.clear()  # the same width now wraps differently
        super().changeEvent(event)


def _markdown_label(label: QLabel, object_name: str) -> QLabel:
    """A label for a reply's markdown: safe rich text, selectable, links asked about first."""
    label.setObjectName(object_name)
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setProperty(SAFE_RICH_TEXT, True)
    label.setWordWrap(True)
    # selectable and its links reachable from the keyboard too (Tab lands on each paragraph)
    label.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
        | Qt.TextInteractionFlag.LinksAccessibleByMouse
        | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
    )
    connect_safe_links(label)
    return label


class CodeBlock(QFrame):
    """A code block of a reply with its own Copy button."""

    sig_open_in_builder = Signal(str, str)
    """(code, language): open this block in the Script Builder."""

    def __init__(self, code: str, language: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.code = code
        self.language = language
        self.setObjectName("codeBlock")
        header = QHBoxLayout()
        language_label = plain_text(QLabel(language or "code", self))
        language_label.setProperty("role", "header-meta")
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setObjectName("codeCopy")
        self.copy_button.setAccessibleName(f"Copy {language or 'code'} block")
        self.copy_button.clicked.connect(self._copy)
        self.builder_button = QPushButton("Open in Script Builder", self)
        self.builder_button.setObjectName("codeOpenInBuilder")
        self.builder_button.setAccessibleName(
            f"Open the {language or 'code'} block in the Script Builder"
        )
        self.builder_button.setToolTip("Edit, check and submit this script to the session's fix")
        self.builder_button.clicked.connect(
            lambda: self.sig_open_in_builder.emit(self.code, self.language)
        )
        header.addWidget(language_label)
        header.addStretch(1)
        header.addWidget(self.builder_button)
        header.addWidget(self.copy_button)
        body = SettledText(self)
        body.setObjectName("codeText")
        body.setTextFormat(Qt.TextFormat.PlainText)
        body.setWordWrap(True)  # long lines wrap (Copy copies the code exactly as written)
        body.setText(breakable(code))
        body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body.setProperty("role", "code")
        body.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addLayout(header)
        layout.addWidget(body)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code)
        self.copy_button.setText("Copied")
        # With the button as context, the timer dies with it if the reply is re-rendered.
        QTimer.singleShot(
            COPIED_FEEDBACK_MS, self.copy_button, lambda: self.copy_button.setText("Copy")
        )


class MessageBubble(QFrame):
    """One message: markdown text and code blocks, attachments, and its status line."""

    sig_retry = Signal()
    """Retry this (failed) reply."""
    sig_quick_reply = Signal(str)
    """A quick-reply option was pressed: send this text."""
    sig_delete = Signal(str)
    """Take this message (its id) out of the conversation."""
    sig_open_in_builder = Signal(str, str)
    """(code, language) of one of its code blocks, for the Script Builder."""

    def __init__(self, message: ChatMessage | None, role: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.role = role
        self.message = message
        self.setObjectName(f"{role}Bubble")
        self.setProperty("role", f"bubble-{role}")
        self._raw = ""
        self._committed = 0  # raw[:_committed] is rendered for good while streaming
        self._tail: QWidget | None = None
        self._rendered_to = 0  # raw[_committed:_rendered_to] is shown as markdown in the tail
        self._tail_timer = QTimer(self)
        self._tail_timer.setSingleShot(True)
        self._tail_timer.setInterval(TAIL_FRAME_MS)
        self._tail_timer.timeout.connect(self.flush_streamed)
        self._body = QVBoxLayout()
        self._body.setSpacing(6)
        self.status_label = plain_text(QLabel(self))
        self.status_label.setObjectName("bubbleStatus")
        self.status_label.setProperty("role", "header-meta")
        self.status_label.setWordWrap(True)
        self.status_label.hide()
        self.retry_button = QPushButton("Retry", self)
        self.retry_button.setObjectName("bubbleRetry")
        self.retry_button.setAccessibleName("Retry this reply")
        self.retry_button.clicked.connect(self.sig_retry)
        self.retry_button.hide()
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setObjectName("bubbleDelete")
        self.delete_button.setAccessibleName("Delete this message from the conversation")
        self.delete_button.setToolTip(
            "Leave this message out of the conversation and of every later request (Ctrl+Z "
            "brings it back)"
        )
        self.delete_button.setProperty("role", "subtle")
        self.delete_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.delete_button.clicked.connect(self._delete_clicked)
        self.delete_button.hide()
        self.copy_reply_button = QPushButton("Copy reply", self)
        self.copy_reply_button.setObjectName("bubbleCopyReply")
        self.copy_reply_button.setAccessibleName("Copy this reply")
        self.copy_reply_button.setProperty("role", "subtle")
        self.copy_reply_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.copy_reply_button.clicked.connect(self._copy_reply)
        self.copy_reply_button.hide()
        self.time_label = plain_text(QLabel(self))
        self.time_label.setObjectName("bubbleTime")
        self.time_label.setProperty("role", "header-meta")
        self.time_label.hide()
        self.quick_replies = QWidget(self)
        self.quick_replies.setObjectName("quickReplies")
        self._quick_layout = QVBoxLayout(self.quick_replies)
        self._quick_layout.setContentsMargins(0, 0, 0, 0)
        self.quick_replies.hide()
        self.next_steps = plain_text(QLabel(self))
        self.next_steps.setObjectName("nextSteps")
        self.next_steps.hide()
        self._carries_checks: bool | None = None
        footer = QHBoxLayout()
        footer.addWidget(self.status_label, 1)
        footer.addWidget(self.retry_button)
        footer.addStretch(0)
        footer.addWidget(self.time_label, 0, Qt.AlignmentFlag.AlignRight)
        footer.addWidget(self.copy_reply_button, 0, Qt.AlignmentFlag.AlignRight)
        footer.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.next_steps, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(self._body)
        layout.addWidget(self.quick_replies)
        layout.addLayout(footer)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        if message is not None:
            self.show_message(message)

    # ---- Public API

    @property
    def text(self) -> str:
        """The text as currently shown (for tests and accessibility)."""
        return self._raw

    def code_blocks(self) -> list[CodeBlock]:
        return self.findChildren(CodeBlock)

    def show_message(self, message: ChatMessage) -> None:
        self.message = message
        self._carries_checks = None
        if not self._finish_streamed(message.content):
            self._raw = message.content
            self._render(final=True)
        self._raw = message.content
        self._committed = self._rendered_to = 0
        self._show_attachments(message)
        parts = []
        if message.stopped:
            parts.append("Stopped — the partial reply is kept.")
        if message.error:
            parts.append(message.error)
        self._set_status(" ".join(parts), error=bool(message.error))
        self.retry_button.setVisible(bool(message.error))
        self.delete_button.setVisible(message.id != PENDING_ID)
        self.copy_reply_button.setVisible(self.role == "assistant" and bool(message.content))
        when = message.created_at.astimezone().strftime("%a %d %b %H:%M")
        self.time_label.setText(when)
        tip = f"{'You' if self.role == 'user' else 'Assistant'} · {when}"
        if message.usage is not None:
            tip += "\n" + describe_turn(message.usage, message.model)
        self.setToolTip(plain_tooltip(tip))
        self.setAccessibleDescription(f"Sent {when}")

    def append_streamed(self, text: str) -> None:
        """Raw text goes on screen within a frame (plain, cheap); markdown with the next render.

        Updates are coalesced to one per frame: at 500 deltas a second, setting the label for
        each one would keep Qt busy laying it out instead of painting.
        """
        self._raw += text
        if not self._tail_timer.isActive():
            self._tail_timer.start()

    def flush_streamed(self) -> None:
        """Put the raw text received since the last render on screen now."""
        self._tail_timer.stop()
        start = max(self._committed, self._rendered_to)
        fresh = self._raw[start:]
        self._tail_raw().setText(fresh.lstrip("\n") if start == self._committed else fresh)

    def render_streaming(self) -> None:
        """The ~10 Hz render: finished paragraphs and closed code blocks become blocks for good;
        the unfinished rest is shown as markdown, an open code fence rendered closed.

        Each call costs what arrived since the last one plus the unfinished paragraph, not the
        whole reply, so a 20,000-token reply streams without growing stalls.
        """
        boundary = commit_boundary(self._raw, self._committed)
        if boundary > self._committed:
            self._append_rendered(self._raw[self._committed : boundary])
            self._committed = boundary
        self._rendered_to = len(self._raw)
        set_safe_markdown(
            self._tail_rendered(), close_open_fence(self._raw[self._committed :]).strip()
        )
        self.flush_streamed()

    def show_quick_replies(self, questions: tuple[QuestionItem, ...]) -> None:
        """Offer the options as buttons; built once (a kept conversation offers them again
        whenever its latest reply is shown anew)."""
        if self._quick_layout.count():
            self.quick_replies.show()
            return
        for question in questions:
            if not question.options:
                continue
            row = QHBoxLayout()
            prompt = plain_label(question.text, self.quick_replies, "quickReplyPrompt")
            prompt.setProperty("role", "header-meta")
            self._quick_layout.addWidget(prompt)
            for option in question.options:
                button = QPushButton(option, self.quick_replies)
                button.setObjectName("quickReply")
                button.setAccessibleName(f"Answer “{question.text}”: {option}")
                button.clicked.connect(
                    lambda _checked=False, q=question.text, o=option: self.sig_quick_reply.emit(
                        f"{q} — {o}"
                    )
                )
                row.addWidget(button)
            row.addStretch(1)
            self._quick_layout.addLayout(row)
        self.quick_replies.setVisible(any(q.options for q in questions))

    @property
    def carries_checks(self) -> bool:
        """Whether this reply brought diagnostic checks ([ACTIONS]); parsed once."""
        if self._carries_checks is None:
            self._carries_checks = self.message is not None and bool(
                parse_reply(self.message.raw_content).actions
            )
        return self._carries_checks

    def hide_quick_replies(self) -> None:
        self.quick_replies.hide()

    # ---- Private

    def _copy_reply(self) -> None:
        if self.message is not None:
            QGuiApplication.clipboard().setText(self.message.content)
            self.copy_reply_button.setText("Copied")
            QTimer.singleShot(
                COPIED_FEEDBACK_MS,
                self.copy_reply_button,
                lambda: self.copy_reply_button.setText("Copy reply"),
            )

    # ---- The time, on hover and on focus

    def enterEvent(self, event: QEnterEvent) -> None:
        self._show_time(True)
        super().enterEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._show_time(self.isAncestorOf(QApplication.focusWidget()))
        super().leaveEvent(event)

    def focus_moved(self, inside: bool) -> None:
        """The keyboard focus entered or left this message (the view tells every bubble)."""
        self._show_time(inside or self.underMouse())

    def _show_time(self, shown: bool) -> None:
        self.time_label.setVisible(shown and bool(self.time_label.text()))

    def _delete_clicked(self) -> None:
        if self.message is not None and self.message.id != PENDING_ID:
            self.sig_delete.emit(self.message.id)

    def show_note(self, text: str) -> None:
        """A line under the message: what it waits for, or how it was sent."""
        self._set_status(text)

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        set_style_property(self.status_label, "role", "error" if error else "header-meta")
        self.status_label.setVisible(bool(text))

    def _clear_body(self) -> None:
        self._tail_timer.stop()  # a pending frame update must not bring the tail back
        self._tail = None
        while self._body.count():
            item = self._body.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()

    def _tail_widget(self) -> QWidget:
        """The unfinished end of a streaming reply: rendered markdown, then fresh raw text."""
        # Held directly: a findChild() search would walk every rendered block, every frame.
        if self._tail is None:
            self._tail = QWidget(self)
            self._tail.setObjectName("bubbleTailBox")
            layout = QVBoxLayout(self._tail)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.setSpacing(0)
            rendered = _markdown_label(QLabel(self._tail), "bubbleTailRendered")
            raw = plain_label("", self._tail, "bubbleTail")
            layout.addWidget(rendered)
            layout.addWidget(raw)
            self._body.addWidget(self._tail)
        return self._tail

    def _tail_rendered(self) -> QLabel:
        return self._tail_widget().layout().itemAt(0).widget()

    def _tail_raw(self) -> QLabel:
        return self._tail_widget().layout().itemAt(1).widget()

    def _finish_streamed(self, content: str) -> bool:
        """Keep what streaming already rendered when the final text is what was streamed."""
        if self._committed == 0 or content.split() != self._raw.split():
            return False  # the final text differs in more than whitespace: render it anew
        self._tail_timer.stop()
        tail, self._tail = self._tail_widget(), None
        self._body.removeWidget(tail)
        tail.deleteLater()
        self._append_rendered(self._raw[self._committed :])
        return True

    def _render(self, *, final: bool) -> None:
        """Markdown with code blocks as widgets (the whole text: on load and at the end)."""
        self._clear_body()
        self._append_rendered(self._raw if final else close_open_fence(self._raw))

    def _append_rendered(self, text: str) -> None:
        position = 0
        for match in _CODE_BLOCK.finditer(text):
            self._add_markdown(text[position : match.start()])
            block = CodeBlock(match.group(2).rstrip("\n"), match.group(1), self)
            block.builder_button.setVisible(self.role == "assistant")
            block.sig_open_in_builder.connect(self.sig_open_in_builder)
            self._add_block(block)
            position = match.end()
        self._add_markdown(text[position:])

    def _add_markdown(self, markdown: str) -> None:
        if not markdown.strip():
            return
        label = _markdown_label(SettledText(self), "bubbleText")
        set_safe_markdown(label, markdown.strip())
        self._add_block(label)

    def _add_block(self, widget: QWidget) -> None:
        """Add a rendered block after the others (before the streaming tail, if any)."""
        index = self._body.indexOf(self._tail) if self._tail is not None else -1
        self._body.insertWidget(index if index >= 0 else self._body.count(), widget)

    def _show_attachments(self, message: ChatMessage) -> None:
        if not message.attachments:
            return
        strip = QWidget(self)
        strip.setObjectName("attachmentStrip")
        row = QHBoxLayout(strip)
        row.setContentsMargins(0, 0, 0, 0)
        for attachment in message.attachments:
            chip = plain_text(QLabel(strip))
            chip.setObjectName("attachmentThumbnail")
            chip.setToolTip(plain_tooltip(attachment.get("name", "")))
            chip.setAccessibleName(f"Attachment {attachment.get('name', '')}")
            pixmap = (
                QPixmap(attachment.get("path", ""))
                if attachment.get("kind") == "image"
                else QPixmap()
            )
            if not pixmap.isNull():
                chip.setPixmap(
                    pixmap.scaled(
                        THUMBNAIL_SIZE,
                        THUMBNAIL_SIZE,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )
            else:
                chip.setText(f"📎 {attachment.get('name', 'file')}")
            row.addWidget(chip)
        row.addStretch(1)
        self._body.insertWidget(0, strip)
