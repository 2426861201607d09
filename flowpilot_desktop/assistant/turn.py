"""One assistant turn: build the request (scrubbed), stream the reply, save it as it arrives,
then store it and apply its markers in one transaction.

Qt-free: the chat dock passes ``on_text`` for live text and a TurnControl for Stop. A reply
is saved every few seconds while it streams (visible text only; markers once complete), so a
crash keeps what arrived; a reply that can't be saved (a full disk) stays on screen with why.
A stream that goes silent with its connection open is ended after ``stall_timeout_s`` and
reported as a stall (Retry), apart from a connection that closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from flowpilot_desktop.assistant.apply import AppliedReply, apply_reply
from flowpilot_desktop.assistant.context import request_inputs
from flowpilot_desktop.assistant.conversation import ChatMessage, to_chat_message
from flowpilot_desktop.assistant.layout import chat_messages, chat_system
from flowpilot_desktop.assistant.markers import ParsedReply, StreamingFilter, parse_reply
from flowpilot_desktop.assistant.prompts import render_context, system_prompt
from flowpilot_desktop.assistant.request import api_messages
from flowpilot_desktop.assistant.task_lane import LaneItem, find_item, stored_task_lane
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.config import STALL_TIMEOUT_S
from flowpilot_desktop.llm import AssistantFailure, ReplyStalledError, describe_llm_error
from flowpilot_desktop.logging_setup import MASK, register_secret
from flowpilot_desktop.model_tiers import ModelTiers
from flowpilot_desktop.scripts.templates import parse_schema
from flowpilot_desktop.scrubbing import Scrubber
from flowpilot_desktop.usage import Usage
from storage.database import Database
from storage.models import utcnow
from storage.repositories import messages, templates
from storage.repositories import sessions as session_repository

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

log = logging.getLogger(__name__)

CHAT_MAX_TOKENS = 4096
AUTOSAVE_INTERVAL_S = 2.0  # a streaming reply is saved this often (and when it ends)

# (session id, the answered question or check) -> one fact, or None
Synthesizer = Callable[[str, LaneItem], Awaitable[str | None]]


@dataclass(frozen=True)
class TurnResult:
    reply: ChatMessage | None
    user_message: ChatMessage | None = None
    failure: AssistantFailure | None = None
    applied: AppliedReply | None = None
    # what the turn changed (messages, and whatever its markers changed), for every screen;
    # None when nothing could be saved
    change: SessionChange | None = None
    notice: str | None = None  # what the technician should know about how it was sent


@dataclass
class TurnControl:
    """Handed to a running turn; ``stop()`` ends it and keeps the partial reply."""

    stopped: bool = False
    _stream_task: asyncio.Task[Any] | None = field(default=None, repr=False)

    def stop(self) -> None:
        self.stopped = True
        if self._stream_task is not None:
            self._stream_task.cancel()


class ReplyStreamer:
    """Streams replies into the database; knows which reply rows it is still writing."""

    def __init__(
        self,
        database: Database,
        scrubber: Scrubber,
        autosave_interval_s: float = AUTOSAVE_INTERVAL_S,
        stall_timeout_s: float = STALL_TIMEOUT_S,
    ) -> None:
        self._database = database
        self._scrubber = scrubber
        self._autosave_interval_s = autosave_interval_s
        self.stall_timeout_s = stall_timeout_s
        self.live_replies: set[str] = set()  # reply rows this process is streaming into

    async def answer(
        self,
        client: AsyncAnthropic,
        tiers: ModelTiers,
        session_id: str,
        synthesize: Synthesizer,
        on_text: Callable[[str], None] | None = None,
        control: TurnControl | None = None,
    ) -> TurnResult:
        control = control or TurnControl()
        context, history = await self._database.run(lambda s: request_inputs(s, session_id))

        def build() -> dict[str, Any]:
            def scrub(text: str, detect: bool) -> str:
                return self._scrubber.scrub(text, scope=session_id, detect=detect).text

            return {
                "model": tiers.chat,
                "max_tokens": CHAT_MAX_TOKENS,
                "system": chat_system(system_prompt()),
                "messages": chat_messages(
                    api_messages(history, scrub), scrub(render_context(context), True)
                ),
            }

        request = await asyncio.to_thread(build)
        raw: list[str] = []
        shown: list[str] = []
        reply_id = await self._start_reply(session_id, request["model"])
        autosave = (
            asyncio.ensure_future(self._autosave(reply_id, shown)) if reply_id is not None else None
        )
        stream_task = asyncio.ensure_future(
            stream_reply(client, request, raw, shown, on_text, self.stall_timeout_s)
        )
        control._stream_task = stream_task
        error: Exception | None = None
        final: _StreamedReply | None = None
        try:
            final = await stream_task
        except asyncio.CancelledError:
            if not control.stopped:  # quitting: the row stays "streaming" (interrupted)
                self.live_replies.discard(reply_id or "")
                raise
        except Exception as caught:
            error = caught
        finally:
            if autosave is not None:
                autosave.cancel()
        parsed = parse_reply("".join(raw))
        failure: AssistantFailure | None = None
        if error is not None:  # whether text arrived decides what the message promises
            failure = describe_llm_error(error, text_arrived=bool(parsed.visible_text))
            log.warning("assistant turn failed: %s (%s)", failure.kind, type(error).__name__)
        synthesized: dict[str, str] = {}
        if failure is None and not control.stopped and parsed.promotions:
            synthesized = await self._synthesize(session_id, parsed, synthesize)
        usage = Usage.from_sdk(final.usage) if final is not None else None
        columns = {
            "model": (final.model if final is not None else None) or request["model"],
            "stopped": control.stopped,
            "error": failure.message if failure else None,
            **(usage.as_columns() if usage else {}),
        }
        applying = failure is None and not control.stopped

        def store(session: Session) -> tuple[ChatMessage, AppliedReply | None, SessionChange]:
            raw_text, reply = _without_drafted_secrets(session, "".join(raw), parsed)
            row = messages.finish_reply(
                session,
                session_id,
                reply_id,
                content=reply.visible_text,
                raw_content=raw_text,
                **columns,
            )
            applied = apply_reply(session, session_id, reply, synthesized) if applying else None
            summary = session_repository.get_session_summary(session, session_id)
            return (
                to_chat_message(row),
                applied,
                SessionChange.of(summary, ChangeKind.ASSISTANT_TURN),
            )

        try:
            saved, applied, change = await asyncio.shield(self._database.run(store))
        except SQLAlchemyError as error:  # the disk filled up, the file went read-only …
            log.error("could not save the reply: %s", type(error).__name__)
            unsaved = self._unsaved_reply(reply_id, parsed.visible_text, columns, error)
            return TurnResult(unsaved, failure=failure)
        finally:
            if reply_id is not None:
                self.live_replies.discard(reply_id)
        return TurnResult(saved, failure=failure, applied=applied, change=change)

    async def _start_reply(self, session_id: str, model: str) -> str | None:
        """The reply's row, created before the first token so a crash keeps what arrived; None
        when it can't be written (a full disk): the reply still streams, and saving it at the
        end says what went wrong."""
        try:
            row = await self._database.run(
                lambda s: messages.add_message(
                    s, session_id, "assistant", model=model, streaming=True
                )
            )
        except SQLAlchemyError as error:
            log.warning("could not start saving the reply: %s", type(error).__name__)
            return None
        self.live_replies.add(row.id)
        return row.id

    async def _autosave(self, reply_id: str, shown: list[str]) -> None:
        """Every few seconds, the visible text so far (markers are never saved half-way)."""
        saved = 0
        while True:
            await asyncio.sleep(self._autosave_interval_s)
            if len(shown) == saved:
                continue
            saved = len(shown)
            text = "".join(shown)

            def save(s: Session, visible_text: str = text) -> None:
                messages.save_partial(s, reply_id, visible_text)

            try:
                await self._database.run(save)
            except SQLAlchemyError as error:  # keep streaming; the final save reports it
                log.warning("could not save the reply so far: %s", type(error).__name__)

    def _unsaved_reply(
        self, reply_id: str | None, text: str, columns: dict[str, Any], error: Exception
    ) -> ChatMessage:
        """The reply as it stays on screen when it could not be saved, with why."""
        why = self._database.describe_error(error)
        failure = columns.get("error")
        return ChatMessage(
            id=reply_id or "unsaved",
            role="assistant",
            content=text,
            raw_content=text,
            model=columns.get("model"),
            usage=None,
            stopped=bool(columns.get("stopped")),
            error=" ".join(part for part in (failure, f"This reply was not saved: {why}") if part),
            attachments=(),
            created_at=utcnow(),
        )

    async def _synthesize(
        self, session_id: str, parsed: ParsedReply, synthesize: Synthesizer
    ) -> dict[str, str]:
        """Facts for [PROMOTE] blocks that name an item but carry no text (fast tier)."""
        wanted = [p.source_ref for p in parsed.promotions if not p.text and p.source_ref]
        if not wanted:
            return {}
        lane = stored_task_lane(
            await self._database.run(lambda s: session_repository.get_task_lane(s, session_id))
        )
        synthesized: dict[str, str] = {}
        for ref in wanted:
            item = find_item(lane, ref)
            if item is None:
                continue
            text = await synthesize(session_id, item)
            if text:
                synthesized[ref] = text
        return synthesized


@dataclass
class _StreamedReply:
    """What a finished stream reports: the model and the usage (cumulative, as sent)."""

    model: str | None = None
    usage: SimpleNamespace | None = None
    stop_reason: str | None = None


async def stream_reply(
    client: AsyncAnthropic,
    request: dict[str, Any],
    raw: list[str],
    shown_so_far: list[str],
    on_text: Callable[[str], None] | None,
    stall_timeout_s: float,
) -> _StreamedReply:
    """Consume the raw event stream. Lighter than the SDK's ``messages.stream()`` helper,
    which rebuilds the whole message snapshot on every delta (quadratic on long replies).

    Raises ReplyStalledError when no event (a ping counts: the server is alive) arrives for
    ``stall_timeout_s``, closing the stream as it leaves. One deadline moved on every event, not a
    ``wait_for`` task per event."""
    visible = StreamingFilter()
    reply = _StreamedReply()
    usage: dict[str, int] = {}
    loop = asyncio.get_running_loop()
    events = await client.messages.create(**request, stream=True)
    async with events:
        silence = asyncio.timeout(stall_timeout_s)
        try:
            async with silence:
                async for event in events:
                    silence.reschedule(loop.time() + stall_timeout_s)
                    if event.type == "content_block_delta" and event.delta.type == "text_delta":
                        raw.append(event.delta.text)
                        shown = visible.feed(event.delta.text)
                        if shown:
                            shown_so_far.append(shown)
                            if on_text is not None:
                                on_text(shown)
                    elif event.type == "message_start":
                        reply.model = event.message.model
                        usage.update(_usage_fields(event.message.usage))
                    elif event.type == "message_delta":
                        usage.update(_usage_fields(event.usage))  # cumulative; nulls left out
                        reply.stop_reason = event.delta.stop_reason
        except TimeoutError:
            if not silence.expired():
                raise
            raise ReplyStalledError(stall_timeout_s) from None
    reply.usage = SimpleNamespace(**usage)
    return reply


def _usage_fields(usage: object) -> dict[str, int]:
    names = (
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    )
    return {name: getattr(usage, name) for name in names if getattr(usage, name, None) is not None}


def _without_drafted_secrets(
    session: Session, raw_text: str, parsed: ParsedReply
) -> tuple[str, ParsedReply]:
    """A fix naming a template must not store values the assistant drafted for its secret
    parameters, neither on the fix nor in the reply's raw text: they are dropped (the
    technician types them, masked, in the Script generator) and registered as secrets."""
    fix = parsed.suggested_fix
    if fix is None or not fix.template_id or not fix.parameters:
        return raw_text, parsed
    template = templates.get_template(session, fix.template_id)
    if template is None:
        return raw_text, parsed
    try:
        sensitive = {p.name for p in parse_schema(template.parameters_schema) if p.is_sensitive}
    except Exception:  # a damaged schema: keep nothing that could be a secret
        sensitive = set(fix.parameters)
    secrets = {
        name: str(value)
        for name, value in fix.parameters.items()
        if name in sensitive and value not in (None, "")
    }
    if not secrets:
        return raw_text, parsed
    for value in secrets.values():
        register_secret(value)
        for form in {value, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1]}:
            if form:
                raw_text = raw_text.replace(form, MASK)
    kept = {name: value for name, value in fix.parameters.items() if name not in secrets}
    return raw_text, replace(parsed, suggested_fix=replace(fix, parameters=kept))
