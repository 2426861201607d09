"""A chat turn with the assistant: send, stream, stop, fail soft, persist, apply markers.

Qt-free: the chat dock passes ``on_text`` for live text and a TurnControl for Stop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from flowpilot_desktop.assistant.apply import AppliedReply, apply_reply
from flowpilot_desktop.assistant.attachments import MAX_IMAGES, Attachment, PreparedAttachment
from flowpilot_desktop.assistant.markers import ParsedReply, StreamingFilter, parse_reply
from flowpilot_desktop.assistant.outgoing import Outgoing, prepare_outgoing
from flowpilot_desktop.assistant.prompts import SessionContext, system_blocks
from flowpilot_desktop.assistant.request import api_messages
from flowpilot_desktop.assistant.task_lane import find_item
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.config import ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.llm import AssistantFailure, create_client, describe_llm_error
from flowpilot_desktop.logging_setup import MASK, register_secret
from flowpilot_desktop.model_tiers import ModelTiers
from flowpilot_desktop.scripts.templates import parse_schema
from flowpilot_desktop.scrubbing import Scrubber, default_scrubber
from flowpilot_desktop.settings_service import PreferencesGateway
from flowpilot_desktop.usage import Usage, UsageSummary, summarize
from storage.database import Database
from storage.models import utcnow
from storage.repositories import facts, fixes, messages, templates
from storage.repositories import sessions as session_repository

log = logging.getLogger(__name__)

__all__ = ["MAX_IMAGES", "Attachment", "ChatMessage", "ChatService", "TurnControl", "TurnResult"]

CHAT_MAX_TOKENS = 4096
NOTE_MAX_TOKENS = 1500
EXTRACTION_MAX_TOKENS = 4000
SYNTHESIS_MAX_TOKENS = 200
AUTOSAVE_INTERVAL_S = 2.0  # a streaming reply is saved this often (and when it ends)
INTERRUPTED = (
    "Interrupted: FlowPilot closed before this reply finished. What arrived is kept; Retry "
    "asks again."
)
MAX_TEMPLATES = 60  # the catalogue in the session context stays a few thousand tokens


@dataclass(frozen=True)
class ChatMessage:
    id: str
    role: str
    content: str
    raw_content: str
    model: str | None
    usage: Usage | None
    stopped: bool
    error: str | None
    attachments: tuple[dict[str, Any], ...]
    created_at: datetime
    sent_unmasked: bool = False


@dataclass(frozen=True)
class TurnResult:
    reply: ChatMessage | None
    user_message: ChatMessage | None = None
    failure: AssistantFailure | None = None
    applied: AppliedReply | None = None
    state_version: int | None = None


@dataclass
class TurnControl:
    """Handed to a running turn; ``stop()`` ends it and keeps the partial reply."""

    stopped: bool = False
    _stream_task: asyncio.Task[Any] | None = field(default=None, repr=False)

    def stop(self) -> None:
        self.stopped = True
        if self._stream_task is not None:
            self._stream_task.cancel()


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
    ) -> None:
        self._database = database
        self._scrubber = scrubber or default_scrubber()
        self._seeded: set[str] = set()  # sessions whose placeholder numbering is known
        self._autosave_interval_s = autosave_interval_s
        self._live_replies: set[str] = set()  # reply rows this process is streaming into
        self._credentials = credentials
        self._config_store = config_store
        self._preferences = preferences
        self._attachments_dir = attachments_dir
        self._client_factory = client_factory
        self._cached_client: tuple[tuple[str | None, str | None, int], Any] | None = None

    # ---- Public API

    async def history(self, session_id: str) -> list[ChatMessage]:
        """The conversation; a reply found still "streaming" that this process is not streaming
        was cut off by a crash: it is marked interrupted (what arrived is kept)."""
        live = frozenset(self._live_replies)

        def read(s: Any) -> list[Any]:
            rows = messages.list_messages(s, session_id)
            for row in rows:
                if row.streaming and row.id not in live:
                    messages.mark_interrupted(s, row, INTERRUPTED)
            return rows

        rows = await self._database.run(read)
        return [_to_chat_message(row) for row in rows]

    async def has_api_key(self) -> bool:
        """Whether a key is set; KeyringLockedError when the keyring is locked."""
        # The keyring may block (D-Bus, an unlock prompt): never on the event loop.
        return await asyncio.to_thread(self._credentials.has, SecretName.ANTHROPIC_API_KEY)

    async def usage(self, session_id: str) -> UsageSummary:
        history = await self.history(session_id)
        return summarize((m.usage, m.model) for m in history if m.role == "assistant")

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
    ) -> TurnResult:
        """Store the technician's message as it is sent (masked unless ``unmasked``), then
        stream the assistant's answer to it."""
        if not text.strip() and not attachments:
            raise UserFacingError("Type a message or attach a file first.")
        outgoing = await self.outgoing(session_id, text, attachments, unmasked=unmasked)
        client = await self._client()  # no key: say so before anything is stored
        stored = await asyncio.to_thread(self._store_attachments, session_id, outgoing.attachments)
        row = await self._database.run(
            lambda s: messages.add_message(
                s,
                session_id,
                "user",
                content=outgoing.text,
                raw_content="",  # a technician's message has no markers: stored once
                attachments=stored or None,
                sent_unmasked=unmasked,
            )
        )
        result = await self._answer(client, session_id, on_text, control)
        return TurnResult(
            result.reply,
            _to_chat_message(row),
            result.failure,
            result.applied,
            result.state_version,
        )

    async def delete_message(
        self, session_id: str, message_id: str, *, deleted: bool = True
    ) -> SessionChange:
        """Take one message out of the conversation (or put it back: undo). A deleted message
        is never sent again, so one bad paste can't poison every later request."""

        def write(s: Any) -> Any:
            messages.set_message_deleted(s, session_id, message_id, deleted)
            return session_repository.get_session_summary(s, session_id)

        try:
            summary = await self._database.run(write)
        except LookupError:
            raise UserFacingError("That message is no longer in this conversation.") from None
        return SessionChange.of(summary, ChangeKind.ASSISTANT_TURN)

    async def regenerate(
        self,
        session_id: str,
        *,
        on_text: Callable[[str], None] | None = None,
        control: TurnControl | None = None,
    ) -> TurnResult:
        """Answer the last technician message again (Retry after a failure, or Regenerate)."""
        client = await self._client()
        history = await self.history(session_id)
        if not any(m.role == "user" for m in history):
            raise UserFacingError("There is nothing to answer yet.")
        if history[-1].role == "assistant":
            last_id = history[-1].id
            await self._database.run(lambda s: messages.delete_message(s, last_id))
        return await self._answer(client, session_id, on_text, control)

    # ---- Private

    async def synthesize(self, session_id: str, item: dict[str, Any]) -> str | None:
        """One fact from a question or check and its answer, by the fast tier (None: nothing
        usable, including no key or a failed call: the technician then writes it)."""
        try:
            client = await self._client()
        except UserFacingError:
            return None
        tiers = ModelTiers.from_preferences(await self._preferences.get_preferences())
        await self._seed_placeholders(session_id)
        return await synthesize_fact(
            client, tiers.fact_synthesis, item, self._scrub_for(session_id)
        )

    async def write_note(self, kind: str, inputs: Any, draft: str) -> str | None:
        """The resolution note or escalation package by the notes tier, from the gathered
        (already redacted) inputs and FlowPilot's own draft; None without a key."""
        try:
            client = await self._client()
        except UserFacingError:
            return None
        tiers = ModelTiers.from_preferences(await self._preferences.get_preferences())
        model = tiers.resolution_note if kind == "resolution" else tiers.escalation_package
        return await write_note(
            client, model, kind, inputs, draft, self._scrub_for(inputs.session_id)
        )

    async def ask_template_extraction(self, prompt: str) -> str | None:
        """One answer from the template-extraction tier (None without a key; raises when the
        call fails, and the caller falls back to the script as it is)."""
        try:
            client = await self._client()
        except UserFacingError:
            return None
        tiers = ModelTiers.from_preferences(await self._preferences.get_preferences())
        message = await client.messages.create(
            model=tiers.template_extraction,
            max_tokens=EXTRACTION_MAX_TOKENS,
            messages=[{"role": "user", "content": self._scrubber.scrub(prompt).text}],
        )
        text = "".join(b.text for b in message.content if getattr(b, "text", None))
        return text.strip() or None

    async def prepare(self) -> None:
        """Import the SDK ahead of the first message (it is heavy, and holds the GIL while it
        loads), so the first reply streams as smoothly as the rest."""
        await asyncio.to_thread(_import_sdk)

    async def aclose(self) -> None:
        """Close the HTTP connections of the client (at quit)."""
        if self._cached_client is not None:
            client = self._cached_client[1]
            self._cached_client = None
            await client.close()

    def scrub(self, session_id: str, text: str) -> str:
        """``text`` as it may leave the machine, with this session's placeholders."""
        return self._scrubber.scrub(text, scope=session_id).text

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

    async def _client(self) -> Any:
        """One client (and connection pool) while the key and the base URL stay the same."""
        config = self._config_store.load()
        key = await asyncio.to_thread(self._credentials.get, SecretName.ANTHROPIC_API_KEY)
        # A client's connections belong to the event loop they were opened on.
        identity = (key, config.anthropic_base_url, id(asyncio.get_running_loop()))
        if self._cached_client is not None and self._cached_client[0] == identity:
            return self._cached_client[1]
        client = await asyncio.to_thread(self._client_factory, self._credentials, config)
        previous, self._cached_client = self._cached_client, (identity, client)
        if previous is not None and previous[0][2] == identity[2]:
            await previous[1].close()
        return client

    async def _answer(
        self,
        client: Any,
        session_id: str,
        on_text: Callable[[str], None] | None,
        control: TurnControl | None,
    ) -> TurnResult:
        control = control or TurnControl()
        tiers = ModelTiers.from_preferences(await self._preferences.get_preferences())
        context, history = await self._database.run(lambda s: _request_inputs(s, session_id))
        await self._seed_placeholders(session_id)

        def build() -> dict[str, Any]:
            def scrub(text: str, detect: bool) -> str:
                return self._scrubber.scrub(text, scope=session_id, detect=detect).text

            return {
                "model": tiers.chat,
                "max_tokens": CHAT_MAX_TOKENS,
                "system": system_blocks(context, lambda text: scrub(text, True)),
                "messages": api_messages(history, scrub),
            }

        request = await asyncio.to_thread(build)
        raw: list[str] = []
        shown: list[str] = []
        reply_id = await self._start_reply(session_id, request["model"])
        autosave = (
            asyncio.ensure_future(self._autosave(reply_id, shown)) if reply_id is not None else None
        )
        stream_task = asyncio.ensure_future(_stream(client, request, raw, shown, on_text))
        control._stream_task = stream_task
        failure: AssistantFailure | None = None
        final: Any = None
        try:
            final = await stream_task
        except asyncio.CancelledError:
            if not control.stopped:
                if autosave is not None:
                    autosave.cancel()
                raise
        except Exception as error:
            failure = describe_llm_error(error)
            log.warning("assistant turn failed: %s (%s)", failure.kind, type(error).__name__)
        finally:
            if autosave is not None and not autosave.done():
                autosave.cancel()
        raw_text = "".join(raw)
        parsed = parse_reply(raw_text)
        synthesized = {}
        if failure is None and not control.stopped and parsed.promotions:
            synthesized = await self._synthesize(client, tiers, session_id, parsed)
        usage = Usage.from_sdk(final.usage) if final is not None else None

        columns = {
            "model": getattr(final, "model", None) or request["model"],
            "stopped": control.stopped,
            "error": failure.message if failure else None,
            **(usage.as_columns() if usage else {}),
        }

        def store(session: Any) -> tuple[Any, AppliedReply | None, int]:
            nonlocal raw_text, parsed
            raw_text, parsed = _without_drafted_secrets(session, raw_text, parsed)
            reply = messages.finish_reply(
                session,
                session_id,
                reply_id,
                content=parsed.visible_text,
                raw_content=raw_text,
                **columns,
            )
            applied = None
            if failure is None and not control.stopped:
                applied = apply_reply(session, session_id, parsed, synthesized)
            version = session_repository.get_session_summary(session, session_id).state_version
            return reply, applied, version

        try:
            reply, applied, version = await asyncio.shield(self._database.run(store))
        except SQLAlchemyError as error:  # the disk filled up, the file went read-only …
            log.error("could not save the reply: %s", type(error).__name__)
            unsaved = self._unsaved_reply(reply_id, parsed.visible_text, columns, error)
            return TurnResult(unsaved, None, failure, None, None)
        finally:
            if reply_id is not None:
                self._live_replies.discard(reply_id)
        return TurnResult(_to_chat_message(reply), None, failure, applied, version)

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
        self._live_replies.add(row.id)
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
            try:
                await self._database.run(lambda s, t=text: messages.save_partial(s, reply_id, t))
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
        self, client: Any, tiers: ModelTiers, session_id: str, parsed: Any
    ) -> dict[str, str]:
        """Facts for [PROMOTE] blocks that name an item but carry no text (fast tier)."""
        wanted = [p.source_ref for p in parsed.promotions if not p.text and p.source_ref]
        if not wanted:
            return {}
        lane = await self._database.run(lambda s: session_repository.get_task_lane(s, session_id))
        synthesized: dict[str, str] = {}
        for ref in wanted:
            item = find_item(lane, ref)
            if item is None:
                continue
            text = await synthesize_fact(
                client, tiers.fact_synthesis, item, self._scrub_for(session_id)
            )
            if text:
                synthesized[ref] = text
        return synthesized

    def _store_attachments(
        self, session_id: str, attachments: Sequence[PreparedAttachment]
    ) -> list[dict[str, Any]]:
        stored = []
        folder = self._attachments_dir / session_id
        for attachment in attachments:
            folder.mkdir(parents=True, exist_ok=True)
            suffix = (
                ".txt"
                if attachment.kind == "text"
                else mimetypes.guess_extension(attachment.media_type) or ""
            )
            path = folder / f"{uuid.uuid4().hex}{suffix}"
            path.write_bytes(attachment.data)
            stored.append(
                {
                    "kind": attachment.kind,
                    "name": attachment.name,
                    "media_type": attachment.media_type,
                    "path": str(path),
                    "size": len(attachment.data),
                    "truncated": attachment.truncated,
                }
            )
        return stored


async def synthesize_fact(
    client: Any, model: str, item: dict[str, Any], scrub: Callable[[str], str]
) -> str | None:
    """One confirmed fact from a question or check and its answer; None when nothing usable."""
    subject = item.get("text") or item.get("label") or ""
    answer = item.get("answer") or item.get("result") or ""
    if not answer:
        return None
    prompt = (
        "Write one short sentence stating the confirmed fact from this troubleshooting item and "
        "its answer. Reply with the sentence only, or with NONE if the answer confirms nothing.\n"
        f"Item: {subject}\nAnswer: {answer}"
    )
    try:
        message = await client.messages.create(
            model=model,
            max_tokens=SYNTHESIS_MAX_TOKENS,
            messages=[{"role": "user", "content": scrub(prompt)}],
        )
    except Exception as error:
        log.warning("fact synthesis failed: %s", type(error).__name__)
        return None
    text = " ".join(block.text for block in message.content if getattr(block, "text", None))
    text = text.strip()
    return None if not text or text.upper().startswith("NONE") else text


async def write_note(
    client: Any, model: str, kind: str, inputs: Any, draft: str, scrub: Callable[[str], str]
) -> str | None:
    """Ask the model to write the note; the caller checks the headings and falls back."""
    what = "resolution note" if kind == "resolution" else "escalation package"
    prompt = (
        f"Write the {what} for this ConnectWise ticket as markdown. Keep exactly the headings of "
        "the draft, in the same order. Use only the facts given; do not invent steps, names or "
        "values; never include passwords or keys (masked values stay masked as •••). Keep the "
        "Resolution paragraph's meaning: it reflects the fix outcome. Reply with the note only."
        f"\n\nSession data (JSON):\n{_inputs_json(inputs)}\n\nDraft:\n{draft}"
    )
    message = await client.messages.create(
        model=model,
        max_tokens=NOTE_MAX_TOKENS,
        messages=[{"role": "user", "content": scrub(prompt)}],
    )
    text = "".join(block.text for block in message.content if getattr(block, "text", None))
    return text.strip() or None


def _inputs_json(inputs: Any) -> str:
    import dataclasses

    return json.dumps(dataclasses.asdict(inputs), default=str, ensure_ascii=False, indent=1)


@dataclass
class _StreamedReply:
    """What a finished stream reports: the model and the usage (cumulative, as sent)."""

    model: str | None = None
    usage: Any = None
    stop_reason: str | None = None


async def _stream(
    client: Any,
    request: dict[str, Any],
    raw: list[str],
    shown_so_far: list[str],
    on_text: Callable[[str], None] | None,
) -> _StreamedReply:
    """Consume the raw event stream. Lighter than the SDK's ``messages.stream()`` helper,
    which rebuilds the whole message snapshot on every delta (quadratic on long replies)."""
    visible = StreamingFilter()
    reply = _StreamedReply()
    usage: dict[str, int] = {}
    events = await client.messages.create(**request, stream=True)
    async with events:
        async for event in events:
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
                usage.update(_usage_fields(event.usage))  # cumulative; null fields left out
                reply.stop_reason = event.delta.stop_reason
    reply.usage = SimpleNamespace(**usage)
    return reply


def _usage_fields(usage: Any) -> dict[str, int]:
    names = (
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
    )
    return {name: getattr(usage, name) for name in names if getattr(usage, name, None) is not None}


def _import_sdk() -> None:
    import anthropic  # noqa: F401
    import httpx2  # noqa: F401


def _request_inputs(session: Any, session_id: str) -> tuple[SessionContext, list[Any]]:
    summary = session_repository.get_session_summary(session, session_id)
    fix = fixes.active_fix(session, session_id)
    context = SessionContext(
        title=summary.title,
        ticket_ref=summary.ticket_ref,
        ticket_snapshot=session_repository.get_ticket_snapshot(session, session_id),
        facts=tuple(f.text for f in facts.live_facts(session, session_id)),
        task_lane=session_repository.get_task_lane(session, session_id),
        active_fix=_fix_context(fix) if fix is not None else None,
        templates=tuple(
            _template_line(t) for t in templates.list_templates(session, limit=MAX_TEMPLATES)
        ),
    )
    return context, messages.list_messages(session, session_id)


def _template_line(template: Any) -> str:
    names = ", ".join(p.get("name", "") for p in template.parameters_schema) or "none"
    about = f" — {template.description[:160]}" if template.description else ""
    return f"- id {template.id}: {template.name} ({template.language}; parameters: {names}){about}"


def _fix_context(fix: Any) -> dict[str, Any]:
    return {
        "id": fix.id,
        "title": fix.title,
        "confidence": fix.confidence,
        "status": fix.status,
        "decision": fix.user_decision,
        "template_id": fix.template_id,
        "applied": fix.applied_at is not None,
    }


def _without_drafted_secrets(
    session: Any, raw_text: str, parsed: ParsedReply
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


def _to_chat_message(row: Any) -> ChatMessage:
    return ChatMessage(
        id=row.id,
        role=row.role,
        content=row.content,
        raw_content=row.raw_content,
        model=row.model,
        usage=Usage.from_columns(row),
        stopped=bool(row.stopped),
        error=row.error,
        attachments=tuple(row.attachments or ()),
        created_at=row.created_at,
        sent_unmasked=bool(getattr(row, "sent_unmasked", False)),
    )
