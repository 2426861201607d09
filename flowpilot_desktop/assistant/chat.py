"""The conversation with the assistant, as the chat dock uses it: history, what a message will
look like when sent (masked), send, regenerate, delete; and the single requests beside the
chat (fact synthesis, notes, template extraction).

One facade over the pieces: the client (assistant/client.py), the outgoing message
(outgoing.py), the turn that streams and saves the reply (turn.py), and the session context
(context.py). Everything that leaves the machine passes the scrubber with the session's
placeholders.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from flowpilot_desktop.assistant.attachment_store import AttachmentStore
from flowpilot_desktop.assistant.attachments import MAX_IMAGES, Attachment
from flowpilot_desktop.assistant.client import AssistantClient
from flowpilot_desktop.assistant.conversation import INTERRUPTED, ChatMessage, to_chat_message
from flowpilot_desktop.assistant.layout import (
    OneShotPrompt,
    chat_messages,
    chat_system,
    text_block,
)
from flowpilot_desktop.assistant.one_shot import EXTRACTION_MAX_TOKENS, ask
from flowpilot_desktop.assistant.one_shot import synthesize_fact as _synthesize_fact
from flowpilot_desktop.assistant.one_shot import write_note as _write_note
from flowpilot_desktop.assistant.outgoing import Outgoing, prepare_outgoing
from flowpilot_desktop.assistant.prompts import script_builder_prompt
from flowpilot_desktop.assistant.task_lane import LaneItem
from flowpilot_desktop.assistant.turn import (
    AUTOSAVE_INTERVAL_S,
    ReplyStreamer,
    Synthesizer,
    TurnControl,
    TurnResult,
    stream_reply,
)
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.conclusion.inputs import NoteInputs
from flowpilot_desktop.config import ConfigStore
from flowpilot_desktop.credentials import CredentialStore
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.llm import create_client, describe_llm_error
from flowpilot_desktop.preferences import PreferencesGateway
from flowpilot_desktop.scrubbing import Scrubber, default_scrubber
from flowpilot_desktop.tickets import TicketForChat
from flowpilot_desktop.usage import Usage
from storage.database import Database
from storage.repositories import messages
from storage.repositories import sessions as session_repository

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

SCRIPT_MAX_TOKENS = 8000  # a whole script, its parameters, a sentence or two


@dataclass(frozen=True)
class ScriptReply:
    """A Script Builder answer as it arrived (markers are not expected; raw text)."""

    text: str
    failure: str | None = None  # why it ended early, in the technician's words
    stopped: bool = False
    usage: Usage | None = None
    model: str | None = None


# (session id, told what is awaited) -> whether the request can carry the linked ticket
TicketWait = Callable[[str, Callable[[str], None]], Awaitable[TicketForChat]]

__all__ = [
    "INTERRUPTED",
    "MAX_IMAGES",
    "Attachment",
    "ChatMessage",
    "ChatService",
    "TurnControl",
    "TurnResult",
]


class ChatService:
    def __init__(
        self,
        database: Database,
        credentials: CredentialStore,
        config_store: ConfigStore,
        preferences: PreferencesGateway,
        attachments_dir: Path,
        client_factory: Callable[..., Any] = create_client,
        scrubber: Scrubber | None = None,
        autosave_interval_s: float = AUTOSAVE_INTERVAL_S,
        ticket_for_chat: TicketWait | None = None,
    ) -> None:
        self._database = database
        self._config_store = config_store
        # waits for the linked ticket's first fetch (TicketService.ready_for_chat)
        self._ticket_for_chat = ticket_for_chat
        self._scrubber = scrubber or default_scrubber()
        self._client = AssistantClient(credentials, config_store, preferences, client_factory)
        self._attachments = AttachmentStore(attachments_dir)
        self._turns = ReplyStreamer(database, self._scrubber, autosave_interval_s)
        self._seeded: set[str] = set()  # sessions whose placeholder numbering is known

    # ---- The conversation

    async def history(self, session_id: str) -> list[ChatMessage]:
        """The conversation; a reply found still "streaming" that this process is not streaming
        was cut off by a crash: it is marked interrupted (what arrived is kept)."""
        live = frozenset(self._turns.live_replies)

        def read(s: Session) -> list[ChatMessage]:
            rows = messages.list_messages(s, session_id)
            for row in rows:
                if row.streaming and row.id not in live:
                    messages.mark_interrupted(s, row, INTERRUPTED)
            return [to_chat_message(row) for row in rows]

        return await self._database.run(read)

    async def outgoing(
        self,
        session_id: str,
        text: str,
        attachments: Sequence[Attachment] = (),
        *,
        unmasked: bool = False,
    ) -> Outgoing:
        """The message as it would be sent now: validated, credentials masked (what the
        composer shows before Send). Raises UserFacingError for what can't be sent."""
        await self._seed_placeholders(session_id)
        return await asyncio.to_thread(
            prepare_outgoing,
            self._scrubber,
            session_id,
            text.strip(),
            attachments,
            unmasked=unmasked,
        )

    async def send(
        self,
        session_id: str,
        text: str,
        attachments: Sequence[Attachment] = (),
        *,
        unmasked: bool = False,
        on_text: Callable[[str], None] | None = None,
        control: TurnControl | None = None,
        on_status: Callable[[str], None] | None = None,
    ) -> TurnResult:
        """Store the technician's message as it is sent (masked unless ``unmasked``), then
        stream the assistant's answer to it. ``on_status`` hears what the turn waits for."""
        if not text.strip() and not attachments:
            raise UserFacingError("Type a message or attach a file first.")
        outgoing = await self.outgoing(session_id, text, attachments, unmasked=unmasked)
        client = await self._client.get()  # no key: say so before anything is stored
        stored = await asyncio.to_thread(self._attachments.store, session_id, outgoing.attachments)
        row = await self._database.run(
            lambda s: to_chat_message(
                messages.add_message(
                    s,
                    session_id,
                    "user",
                    content=outgoing.text,
                    raw_content="",  # a technician's message has no markers: stored once
                    attachments=stored or None,
                    sent_unmasked=unmasked,
                )
            )
        )
        result = await self._answer(client, session_id, on_text, control, on_status)
        return replace(result, user_message=row)

    async def regenerate(
        self,
        session_id: str,
        *,
        on_text: Callable[[str], None] | None = None,
        control: TurnControl | None = None,
        on_status: Callable[[str], None] | None = None,
    ) -> TurnResult:
        """Answer the last technician message again (Retry after a failure, or Regenerate)."""
        client = await self._client.get()
        history = await self.history(session_id)
        if not any(m.role == "user" for m in history):
            raise UserFacingError("There is nothing to answer yet.")
        if history[-1].role == "assistant":
            last_id = history[-1].id
            await self._database.run(lambda s: messages.delete_message(s, last_id))
        return await self._answer(client, session_id, on_text, control, on_status)

    async def delete_message(
        self, session_id: str, message_id: str, *, deleted: bool = True
    ) -> SessionChange:
        """Take one message out of the conversation (or put it back: undo). A deleted message
        is never sent again, so one bad paste can't poison every later request."""

        def write(s: Session) -> SessionChange:
            messages.set_message_deleted(s, session_id, message_id, deleted)
            summary = session_repository.get_session_summary(s, session_id)
            return SessionChange.of(summary, ChangeKind.ASSISTANT_TURN)

        try:
            return await self._database.run(write)
        except LookupError:
            raise UserFacingError("That message is no longer in this conversation.") from None

    # ---- The client

    async def has_api_key(self) -> bool:
        """Whether a key is set; KeyringLockedError when the keyring is locked."""
        return await self._client.has_api_key()

    async def prepare(self) -> None:
        """Import the SDK ahead of the first message, so the first reply streams smoothly."""
        await self._client.prepare()

    async def aclose(self) -> None:
        """Close the HTTP connections of the client (at quit)."""
        await self._client.aclose()

    # ---- Single requests beside the chat

    async def synthesize(self, session_id: str, item: LaneItem) -> str | None:
        """One fact from a question or check and its answer, by the fast tier (None: nothing
        usable, including no key or a failed call: the technician then writes it)."""
        try:
            client = await self._client.get()
        except UserFacingError:
            return None
        tiers = await self._client.tiers()
        await self._seed_placeholders(session_id)
        return await _synthesize_fact(
            client, tiers.fact_synthesis, item, self._scrub_for(session_id)
        )

    async def write_note(self, kind: str, inputs: NoteInputs, draft: str) -> str | None:
        """The resolution note or escalation package by the notes tier, from the gathered
        (already scrubbed) inputs and FlowPilot's own draft; None without a key."""
        try:
            client = await self._client.get()
        except UserFacingError:
            return None
        tiers = await self._client.tiers()
        model = tiers.resolution_note if kind == "resolution" else tiers.escalation_package
        scrub = self._scrub_for(inputs.session_id)
        return await _write_note(client, model, kind, inputs, draft, scrub)

    async def ask_template_extraction(self, prompt: OneShotPrompt) -> str | None:
        """One answer from the template-extraction tier (None without a key; raises when the
        call fails, and the caller falls back to the script as it is)."""
        try:
            client = await self._client.get()
        except UserFacingError:
            return None
        tiers = await self._client.tiers()
        scrubbed = replace(prompt, data=tuple(self._scrubber.scrub(p).text for p in prompt.data))
        return await ask(client, tiers.template_extraction, EXTRACTION_MAX_TOKENS, scrubbed)

    async def write_script(
        self,
        scope: str,
        history: Sequence[tuple[str, str]],
        context_text: str,
        *,
        on_text: Callable[[str], None] | None = None,
        control: TurnControl | None = None,
    ) -> ScriptReply:
        """One Script Builder answer on the script-building tier, streamed: ``history`` is the
        builder's conversation as (role, text), the technician's last; ``context_text`` the
        session's ticket, facts and fix. All of it scrubbed (``scope``: the triage session, or
        the standalone builder). A failure is described, never raised (what arrived is kept)."""
        client = await self._client.get()
        tiers = await self._client.tiers()
        await self._seed_placeholders(scope)
        scrub = self._scrub_for(scope)
        turns = [
            {"role": role, "content": [text_block(scrub(text))]} for role, text in history if text
        ]
        request = {
            "model": tiers.script_building,
            "max_tokens": SCRIPT_MAX_TOKENS,
            "system": chat_system(script_builder_prompt()),
            "messages": chat_messages(turns, scrub(context_text)),
        }
        control = control or TurnControl()
        raw: list[str] = []
        shown: list[str] = []
        stall = self._config_store.load().reply_stall_timeout_s
        task = asyncio.ensure_future(stream_reply(client, request, raw, shown, on_text, stall))
        control._stream_task = task
        try:
            streamed = await task
        except asyncio.CancelledError:
            if not control.stopped:
                raise
            return ScriptReply("".join(raw), stopped=True)
        except Exception as error:
            failure = describe_llm_error(error, text_arrived=bool(raw))
            return ScriptReply("".join(raw), failure=failure.message)
        usage = Usage.from_sdk(streamed.usage)
        return ScriptReply("".join(raw), usage=usage, model=streamed.model or tiers.script_building)

    # ---- Private

    async def _answer(
        self,
        client: AsyncAnthropic,
        session_id: str,
        on_text: Callable[[str], None] | None,
        control: TurnControl | None,
        on_status: Callable[[str], None] | None = None,
    ) -> TurnResult:
        ticket = await self._wait_for_ticket(session_id, on_status)
        tiers = await self._client.tiers()
        await self._seed_placeholders(session_id)
        self._turns.stall_timeout_s = self._config_store.load().reply_stall_timeout_s
        result = await self._turns.answer(
            client, tiers, session_id, self._synthesize_with(client), on_text, control
        )
        change = result.change
        if ticket.change is not None and change is not None:
            change = replace(change, kinds=change.kinds | {ChangeKind.TICKET})
        return replace(result, change=change, notice=ticket.missing)

    async def _wait_for_ticket(
        self, session_id: str, on_status: Callable[[str], None] | None
    ) -> TicketForChat:
        """The first request of a session with a linked ticket carries the ticket: wait a few
        seconds for its fetch (the card's, usually under way already)."""
        if self._ticket_for_chat is None:
            return TicketForChat()
        waited = False

        def waiting(text: str) -> None:
            nonlocal waited
            waited = True
            if on_status is not None:
                on_status(text)

        try:
            return await self._ticket_for_chat(session_id, waiting)
        finally:
            if waited and on_status is not None:
                on_status("Thinking…")

    def _synthesize_with(self, client: AsyncAnthropic) -> Synthesizer:
        async def synthesize(session_id: str, item: LaneItem) -> str | None:
            tiers = await self._client.tiers()
            return await _synthesize_fact(
                client, tiers.fact_synthesis, item, self._scrub_for(session_id)
            )

        return synthesize

    def _scrub_for(self, session_id: str) -> Callable[[str], str]:
        return lambda text: self._scrubber.scrub(text, scope=session_id).text

    async def _seed_placeholders(self, session_id: str) -> None:
        """After a restart, continue the session's placeholder numbers where its stored
        messages left off, so a new value never takes a number that meant another."""
        if session_id in self._seeded:
            return
        texts = await self._database.run(lambda s: messages.message_texts(s, session_id))
        self._scrubber.seed(session_id, texts)
        self._seeded.add(session_id)
