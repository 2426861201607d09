"""The Chat dock: the conversation with the assistant about the selected session."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.assistant.chat import (
    Attachment,
    ChatMessage,
    ChatService,
    TurnControl,
    TurnResult,
)
from flowpilot_desktop.assistant.conversation import conversation_usage
from flowpilot_desktop.changes import SessionChange
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.llm import MissingApiKeyError
from flowpilot_desktop.sessions import SessionSummary
from flowpilot_desktop.task_lane_service import TaskLaneState
from ui.chat_dock.composer import Composer
from ui.chat_dock.message_view import PENDING_ID, MessageBubble, MessageView
from ui.chat_dock.outcome_banner import OutcomeBanner
from ui.chat_dock.sync_strip import SyncStrip
from ui.chat_dock.ticket_card import TicketCard
from ui.ops import TaskRunner, describe_error
from ui.session_state import SessionState
from ui.widgets.session_header import SessionHeader

HISTORIES_KEPT = 16  # conversations whose messages stay in memory for an instant switch back


class ChatDock(QDockWidget):
    sig_usage_changed = Signal(str, str)
    """The selected session's token, cost and cache summary, and the same in words."""
    sig_open_in_builder = Signal(str, str)
    """A reply's code block is to be opened in the Script Builder (code, language)."""
    sig_notice = Signal(str)
    """Something the technician should know about a message just sent (the status bar)."""
    sig_open_settings = Signal()
    """The technician wants Settings (e.g. to add the API key)."""
    sig_message_deleted = Signal(str, str, str)
    """(session id, message id, its first words): a message left the conversation (undoable)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Chat", parent)
        self.setObjectName("chatDock")
        self.setAccessibleName("Chat")
        self._chat: ChatService | None = None
        self._runner: TaskRunner | None = None
        self._state: SessionState | None = None
        self._session: SessionSummary | None = None
        # The messages of the last few conversations (least recently used first).
        self._history: OrderedDict[str, list[ChatMessage]] = OrderedDict()
        self._control: TurnControl | None = None
        self._turn_session: str | None = None
        self._draft_check = 0  # only the latest mask check counts
        # Bumped by every turn: a history load issued before a turn must not undo it.
        self._history_epoch: dict[str, int] = {}
        self._reveal: tuple[str, str] | None = None  # (session, message) a search hit opens

        body = QWidget(self)
        body.setObjectName("chatBody")
        self.header = SessionHeader("chat", body)
        self.ticket_card = TicketCard(body)
        self.sync_strip = SyncStrip(body)
        self.view = MessageView(body)
        self.empty_state = QWidget(body)
        self.empty_state.setObjectName("chatEmptyState")
        self.empty_label = QLabel(self.empty_state)
        self.empty_label.setObjectName("chatEmpty")
        self.empty_label.setProperty("role", "empty-state")
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.setup_button = QPushButton("Open Settings…", self.empty_state)
        self.setup_button.setObjectName("chatEmptySettings")
        self.setup_button.setAccessibleName("Open Settings to connect ConnectWise and Anthropic")
        self.setup_button.clicked.connect(self.sig_open_settings)
        empty_layout = QVBoxLayout(self.empty_state)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.setup_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(1)
        self._stack = QStackedWidget(body)
        self._stack.addWidget(self.empty_state)
        self._stack.addWidget(self.view)
        self.banner = OutcomeBanner(body)
        self.composer = Composer(body)
        self._task_state: TaskLaneState | None = None
        chat_page = QWidget(body)
        chat_page.setObjectName("chatPage")
        chat_layout = QVBoxLayout(chat_page)
        chat_layout.setContentsMargins(0, 0, 0, 0)
        chat_layout.setSpacing(0)
        self._stack.setParent(chat_page)
        self.banner.setParent(chat_page)
        self.composer.setParent(chat_page)
        chat_layout.addWidget(self._stack, 1)
        chat_layout.addWidget(self.banner)
        chat_layout.addWidget(self.composer)
        # Chat | Script Builder ●: the tab bar shows only while the builder is offered
        self.workspace = QTabWidget(body)
        self.workspace.setObjectName("workspaceTabs")
        self.workspace.setAccessibleName("Session workspace")
        self.workspace.setDocumentMode(True)
        self.workspace.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys: Ctrl+Shift+B
        self.workspace.addTab(chat_page, "Chat")
        self.workspace.tabBar().hide()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.ticket_card)
        layout.addWidget(self.sync_strip)
        layout.addWidget(self.workspace, 1)
        self.setWidget(body)
        # The header is the dock's title bar: one line for "Chat" and the session, not two
        # (a 1366×768 laptop has no height to spare); it still drags the dock.
        self.setTitleBarWidget(self.header)

        self.composer.sig_send.connect(self.send)
        self.composer.sig_draft_changed.connect(self._check_draft)
        self.composer.sig_stop.connect(self.stop)
        self.composer.sig_regenerate.connect(self.regenerate)
        self.composer.sig_open_settings.connect(self.sig_open_settings)
        self.view.sig_retry.connect(self.regenerate)
        self.view.sig_delete.connect(self.delete_message)
        self.view.sig_quick_reply.connect(lambda text: self.send(text, [], False))
        self.view.sig_open_in_builder.connect(self.sig_open_in_builder)
        self.show_session(None)

    # ---- Public API: the workspace tabs

    def add_workspace_tab(self, page: QWidget, title: str) -> None:
        """A second tab beside the chat (the Script Builder), hidden until offered."""
        index = self.workspace.addTab(page, title)
        self.workspace.setTabVisible(index, False)

    def offer_workspace_tab(self, page: QWidget, offered: bool) -> None:
        """Show or hide ``page``'s tab; the tab bar shows only while there is a choice."""
        index = self.workspace.indexOf(page)
        if index < 0:
            return
        if not offered and self.workspace.currentIndex() == index:
            self.workspace.setCurrentIndex(0)
        self.workspace.setTabVisible(index, offered)
        self.workspace.tabBar().setVisible(
            any(self.workspace.isTabVisible(i) for i in range(1, self.workspace.count()))
        )

    def set_workspace_tab_title(self, page: QWidget, title: str) -> None:
        index = self.workspace.indexOf(page)
        if index >= 0:
            self.workspace.setTabText(index, title)

    def show_workspace_page(self, page: QWidget | None) -> None:
        """Bring ``page``'s tab (None: the chat) to the front."""
        index = 0 if page is None else self.workspace.indexOf(page)
        if index >= 0:
            self.workspace.setCurrentIndex(index)

    @property
    def showing_chat(self) -> bool:
        return self.workspace.currentIndex() == 0

    # ---- Public API

    def attach(self, chat: ChatService, runner: TaskRunner, state: SessionState) -> None:
        """Give the dock its service, the one way to run async work, and the session model
        it follows (the selected session, its lane for the banner, whether a reply streams)."""
        self._chat = chat
        self._runner = runner
        self._state = state
        state.sig_current_session_changed.connect(self.show_session)
        state.sig_summary_changed.connect(self.show_session)
        state.sig_lane_changed.connect(self.show_task_state)

    def show_session(self, summary: SessionSummary | None) -> None:
        same_session = (
            summary is not None and self._session is not None and (summary.id == self._session.id)
        )
        self._session = summary
        self.header.show_session(summary)
        if same_session:
            return  # a rename or a status change: the conversation on screen stays as it is
        self.composer.set_session_available(summary is not None)
        self.setup_button.setVisible(summary is None)
        if summary is None:
            self.empty_label.setText(
                "Select or create a session to talk it through with the assistant.\n\n"
                "First time here? Connect ConnectWise (your site, company and API keys) "
                "and add the Anthropic key in Settings."
            )
            self._stack.setCurrentWidget(self.empty_state)
            return
        self._refresh_usage(summary.id)  # the status bar's figures are this session's
        cached = self._history.get(summary.id)
        if cached is not None:
            self._history.move_to_end(summary.id)
            self._show_history(summary.id, cached)
        else:
            # Its own (blank) page until the history arrives: what is sent lands there, and
            # "No messages yet" never flashes up for a conversation that has some.
            self.view.show_conversation(summary.id)
            self._stack.setCurrentWidget(self.view)
            self.composer.set_can_regenerate(False)
        self._load_history(summary.id)

    def show_task_state(self, state: TaskLaneState | None) -> None:
        """The lane's state for the shown session: the outcome banner and the "Next steps"
        cue follow it."""
        if state is not None and (self._session is None or state.session_id != self._session.id):
            return
        self._task_state = state
        self.banner.show_state(state)
        self._show_next_steps()

    def reveal_message(self, session_id: str, message_id: str) -> None:
        """Show one message of a session (a search hit): now if its conversation is on
        screen, else as soon as it is."""
        self._reveal = (session_id, message_id)
        self._reveal_pending()

    def _reveal_pending(self) -> None:
        if self._reveal is None or self._session is None or self._session.id != self._reveal[0]:
            return
        if self.view.reveal(self._reveal[1]):
            self.workspace.setCurrentIndex(0)
            self._reveal = None

    def focus_composer(self) -> None:
        self.workspace.setCurrentIndex(0)  # the chat, not the Script Builder
        self.composer.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def refresh_key_state(self) -> None:
        if self._chat is None or self._runner is None:
            return
        self._runner.run(
            self._chat.has_api_key(),
            on_success=lambda present: self.composer.set_api_key_missing(not present),
            on_failure=lambda error: self.composer.set_api_key_missing(True, describe_error(error)),
            owner=self,
        )

    def send(self, text: str, attachments: list[Attachment], unmasked: bool = False) -> None:
        """Send a message: masked by the service unless the technician chose ``unmasked``."""
        if not self._can_start_turn():
            return
        session_id = self._session.id
        self._stack.setCurrentWidget(self.view)
        self._draft_check += 1  # a check still running is about the text just sent
        self.composer.show_outgoing(None)
        pending = self.view.add_message(_pending_user_message(text, attachments))
        control = self._begin_turn(session_id)
        self._runner.run(
            self._chat.send(
                session_id,
                text,
                attachments,
                unmasked=unmasked,
                on_text=self._on_text(session_id),
                control=control,
                on_status=self.view.set_streaming_status,
            ),
            on_success=lambda result: self._turn_done(session_id, result, pending),
            on_failure=lambda error: self._turn_refused(
                session_id, error, text, attachments, pending, unmasked
            ),
            owner=self,
        )

    def regenerate(self) -> None:
        if not self._can_start_turn():
            return
        session_id = self._session.id
        self.view.remove_last_assistant()
        control = self._begin_turn(session_id)
        self._runner.run(
            self._chat.regenerate(
                session_id,
                on_text=self._on_text(session_id),
                control=control,
                on_status=self.view.set_streaming_status,
            ),
            on_success=lambda result: self._turn_done(session_id, result, None),
            on_failure=lambda error: self._turn_refused(session_id, error, "", [], None, False),
            owner=self,
        )

    def delete_message(self, message_id: str) -> None:
        """Take a message out of the conversation: it is never sent to the model again."""
        if self._session is None or self._chat is None or self._runner is None:
            return
        if self.streaming:
            self.composer.show_problem("Wait for the reply (or stop it) before deleting messages.")
            return
        session_id = self._session.id
        self._runner.run(
            self._chat.delete_message(session_id, message_id),
            on_success=lambda change: self._message_deleted(session_id, message_id, change),
            title="Could not delete the message",
            owner=self,
        )

    def restore_message(self, session_id: str, message_id: str) -> None:
        """Undo a delete: the message is back where it was, and sent again from now on."""
        if self._chat is None or self._runner is None:
            return

        def restored(_change: SessionChange) -> None:
            self._history_epoch[session_id] = self._history_epoch.get(session_id, 0) + 1
            self._load_history(session_id)

        self._runner.run(
            self._chat.delete_message(session_id, message_id, deleted=False),
            on_success=restored,
            title="Could not bring the message back",
            owner=self,
        )

    def choose_attachments(self) -> None:
        """Open the file chooser for screenshots and logs."""
        self.composer.choose_files()

    def stop(self) -> None:
        if self._control is not None:
            self._control.stop()

    @property
    def streaming(self) -> bool:
        return self._control is not None

    # ---- Private

    def _can_start_turn(self) -> bool:
        return (
            self._session is not None
            and self._chat is not None
            and self._runner is not None
            and not self.composer.streaming
        )

    def _begin_turn(self, session_id: str) -> TurnControl:
        self._history_epoch[session_id] = self._history_epoch.get(session_id, 0) + 1
        self._control = TurnControl()
        self._turn_session = session_id
        self.composer.set_streaming(True)
        self._stack.setCurrentWidget(self.view)
        self.view.begin_streaming()
        if self._state is not None:
            self._state.set_streaming(True)
        return self._control

    def _end_turn(self) -> None:
        self._control = None
        self._turn_session = None
        self.composer.set_streaming(False)
        if self._state is not None:
            self._state.set_streaming(False)

    def _on_text(self, session_id: str):  # noqa: ANN202 - a callback factory
        def on_text(text: str) -> None:
            # Into the streaming bubble even while another session is shown: its
            # conversation is kept, and is up to date when the technician comes back.
            self.view.append_streamed(text)

        return on_text

    def _check_draft(self, text: str, attachments: list[Attachment]) -> None:
        """Ask the service what Send would mask in the message being written."""
        self._draft_check += 1
        check = self._draft_check
        if self._session is None or self._chat is None or self._runner is None:
            return
        if not text.strip() and not attachments:
            self.composer.show_outgoing(None)
            return

        def shown(outgoing: object) -> None:
            if check == self._draft_check:
                self.composer.show_outgoing(outgoing)  # type: ignore[arg-type]

        def refused(error: Exception) -> None:
            if check == self._draft_check:
                self.composer.show_outgoing(None)
                self.composer.show_problem(describe_error(error))

        self._runner.run(
            self._chat.outgoing(self._session.id, text, attachments),
            on_success=shown,
            on_failure=refused,
            owner=self,
        )

    def _turn_done(
        self, session_id: str, result: TurnResult, pending: MessageBubble | None
    ) -> None:
        self._end_turn()
        if pending is not None and result.user_message is not None:
            pending.show_message(result.user_message)  # as sent: masked
            if result.notice:
                pending.show_note(result.notice)
        if result.notice:
            self.sig_notice.emit(result.notice)
        history = self._history.get(session_id)
        if history is None:
            # Not loaded (or no longer kept): what this turn added is stored, a load has it all.
            self._load_history(session_id)
        else:
            if history and history[-1].role == "assistant" and result.user_message is None:
                history.pop()  # regenerated: the old reply was replaced
            if result.user_message is not None:
                history.append(result.user_message)
            if result.reply is not None:
                history.append(result.reply)
        self.view.finish_streaming(result.reply)  # its conversation may be hidden: still kept
        if self._session is not None and self._session.id == session_id:
            self.composer.set_can_regenerate(True)
            self._refresh_usage(session_id)

    def _turn_refused(
        self,
        session_id: str,
        error: Exception,
        text: str,
        attachments: list[Attachment],
        pending: MessageBubble | None,
        unmasked: bool,
    ) -> None:
        """Nothing was sent (no key, bad input, a local failure): say why, keep the input."""
        self._end_turn()
        self.view.finish_streaming(None)
        if pending is not None:
            self.view.remove_bubble(pending)
        if self._session is not None and self._session.id == session_id:
            self.composer.restore_message(text, attachments, unmasked)
            if isinstance(error, MissingApiKeyError):
                self.composer.set_api_key_missing(True)
                self.sig_open_settings.emit()
            message = str(error) if isinstance(error, UserFacingError) else describe_error(error)
            self.composer.show_problem(message)

    def _message_deleted(self, session_id: str, message_id: str, change: SessionChange) -> None:
        history = self._history.get(session_id, [])
        gone = next((m for m in history if m.id == message_id), None)
        left = [m for m in history if m.id != message_id]
        if session_id in self._history:
            self._history[session_id] = left
        if self._session is not None and self._session.id == session_id:
            self.view.remove_message(message_id)
            if not left and not self.view.bubbles():
                self._show_empty_conversation()
            self._refresh_usage(session_id)
        excerpt = " ".join((gone.content if gone else "").split())[:40]
        self.sig_message_deleted.emit(session_id, message_id, excerpt)

    def _load_history(self, session_id: str) -> None:
        if self._chat is None or self._runner is None:
            return
        epoch = self._history_epoch.get(session_id, 0)
        self._runner.run(
            self._chat.history(session_id),
            on_success=lambda messages: self._history_loaded(session_id, messages, epoch),
            title="Could not load the conversation",
            owner=self,
        )

    def _history_loaded(self, session_id: str, messages: list[ChatMessage], epoch: int) -> None:
        if self._turn_session == session_id or epoch != self._history_epoch.get(session_id, 0):
            return  # a turn started since: its result is newer than this load
        if self._history.get(session_id) == messages and self._stack.currentWidget() is self.view:
            return
        self._remember_history(session_id, messages)
        if self._session is not None and self._session.id == session_id:
            self._show_history(session_id, messages)
            self._refresh_usage(session_id)

    def _show_next_steps(self) -> None:
        checks = self._task_state.checks if self._task_state else ()
        pending = sum(1 for check in checks if not check.get("done"))
        self.view.set_pending_checks(len(checks), pending)

    def _remember_history(self, session_id: str, messages: list[ChatMessage]) -> None:
        self._history[session_id] = messages
        self._history.move_to_end(session_id)
        while len(self._history) > HISTORIES_KEPT:
            self._history.popitem(last=False)

    def _show_history(self, session_id: str, messages: list[ChatMessage]) -> None:
        if self._turn_session == session_id:
            # A reply streams into this conversation: its page is newer than any history.
            self.view.show_conversation(session_id)
            self._show_next_steps()
            self._stack.setCurrentWidget(self.view)
            return
        self.view.set_messages(messages, key=session_id)
        if not messages:
            self._show_empty_conversation()
            return
        self._show_next_steps()
        self._stack.setCurrentWidget(self.view)
        self.composer.set_can_regenerate(any(m.role == "user" for m in messages))
        self._reveal_pending()

    def _show_empty_conversation(self) -> None:
        self.empty_label.setText(
            "No messages yet.\n\nDescribe the problem the way the user did; the assistant "
            "will ask what it needs and the task lane will fill in as you go."
        )
        self._stack.setCurrentWidget(self.empty_state)
        self.composer.set_can_regenerate(False)

    def _refresh_usage(self, session_id: str) -> None:
        """The status bar's figures, from the conversation the dock holds (none yet: blank
        until it is loaded, never another session's)."""
        history = self._history.get(session_id)
        if history is None:
            self.sig_usage_changed.emit("", "")
            return
        summary = conversation_usage(history)
        self.sig_usage_changed.emit(summary.describe(), summary.explain())


def _pending_user_message(text: str, attachments: list[Attachment]) -> ChatMessage:
    """What the technician just sent, shown at once while it is being stored."""
    return ChatMessage(
        id=PENDING_ID,
        role="user",
        content=text.strip(),
        raw_content=text.strip(),
        model=None,
        usage=None,
        stopped=False,
        error=None,
        attachments=tuple({"kind": "text", "name": a.name, "path": ""} for a in attachments),
        created_at=datetime.now(UTC),
    )
