"""A chat turn with the assistant: send, stream, stop, fail soft, persist, apply markers.

Qt-free: the chat dock passes ``on_text`` for live text and a TurnControl for Stop.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import mimetypes
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flowpilot_desktop.assistant.apply import AppliedReply, apply_reply
from flowpilot_desktop.assistant.markers import StreamingFilter, parse_reply
from flowpilot_desktop.assistant.prompts import SessionContext, system_blocks
from flowpilot_desktop.assistant.task_lane import find_item
from flowpilot_desktop.config import ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.llm import AssistantFailure, create_client, describe_llm_error
from flowpilot_desktop.model_tiers import ModelTiers
from flowpilot_desktop.settings_service import PreferencesGateway
from flowpilot_desktop.usage import Usage, UsageSummary, summarize
from storage.database import Database
from storage.repositories import facts, fixes, messages, templates
from storage.repositories import sessions as session_repository

log = logging.getLogger(__name__)

CHAT_MAX_TOKENS = 4096
NOTE_MAX_TOKENS = 1500
EXTRACTION_MAX_TOKENS = 4000
SYNTHESIS_MAX_TOKENS = 200
MAX_IMAGES = 10
MAX_TEMPLATES = 60  # the catalogue in the session context stays a few thousand tokens
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_TEXT_ATTACHMENT_BYTES = 200_000


@dataclass(frozen=True)
class Attachment:
    """A screenshot or log file the technician attached to a message."""

    name: str
    data: bytes
    media_type: str = ""

    @property
    def kind(self) -> str:
        return "image" if self.resolved_type in IMAGE_TYPES else "text"

    @property
    def resolved_type(self) -> str:
        return self.media_type or mimetypes.guess_type(self.name)[0] or "text/plain"


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
    ) -> None:
        self._database = database
        self._credentials = credentials
        self._config_store = config_store
        self._preferences = preferences
        self._attachments_dir = attachments_dir
        self._client_factory = client_factory
        self._cached_client: tuple[tuple[str | None, str | None, int], Any] | None = None

    # ---- Public API

    async def history(self, session_id: str) -> list[ChatMessage]:
        rows = await self._database.run(lambda s: messages.list_messages(s, session_id))
        return [_to_chat_message(row) for row in rows]

    async def has_api_key(self) -> bool:
        # The keyring may block (D-Bus, an unlock prompt): never on the event loop.
        return await asyncio.to_thread(self._credentials.has, SecretName.ANTHROPIC_API_KEY)

    async def usage(self, session_id: str) -> UsageSummary:
        history = await self.history(session_id)
        return summarize((m.usage, m.model) for m in history if m.role == "assistant")

    async def send(
        self,
        session_id: str,
        text: str,
        attachments: Sequence[Attachment] = (),
        *,
        on_text: Callable[[str], None] | None = None,
        control: TurnControl | None = None,
    ) -> TurnResult:
        """Store the technician's message, then stream the assistant's answer to it."""
        text = text.strip()
        if not text and not attachments:
            raise UserFacingError("Type a message or attach a file first.")
        images = [a for a in attachments if a.kind == "image"]
        if len(images) > MAX_IMAGES:
            raise UserFacingError(f"Attach at most {MAX_IMAGES} images to one message.")
        client = await self._client()  # no key: say so before anything is stored
        stored = await asyncio.to_thread(self._store_attachments, session_id, attachments)
        row = await self._database.run(
            lambda s: messages.add_message(
                s, session_id, "user", content=text, raw_content=text, attachments=stored or None
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

    async def synthesize(self, item: dict[str, Any]) -> str | None:
        """One fact from a question or check and its answer, by the fast tier (None: nothing
        usable, including no key or a failed call: the technician then writes it)."""
        try:
            client = await self._client()
        except UserFacingError:
            return None
        tiers = ModelTiers.from_preferences(await self._preferences.get_preferences())
        return await synthesize_fact(client, tiers.fact_synthesis, item)

    async def write_note(self, kind: str, inputs: Any, draft: str) -> str | None:
        """The resolution note or escalation package by the notes tier, from the gathered
        (already redacted) inputs and FlowPilot's own draft; None without a key."""
        try:
            client = await self._client()
        except UserFacingError:
            return None
        tiers = ModelTiers.from_preferences(await self._preferences.get_preferences())
        model = tiers.resolution_note if kind == "resolution" else tiers.escalation_package
        return await write_note(client, model, kind, inputs, draft)

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
            messages=[{"role": "user", "content": prompt}],
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
        request = {
            "model": tiers.chat,
            "max_tokens": CHAT_MAX_TOKENS,
            "system": system_blocks(context),
            "messages": await asyncio.to_thread(self._api_messages, history),
        }
        raw: list[str] = []
        stream_task = asyncio.ensure_future(_stream(client, request, raw, on_text))
        control._stream_task = stream_task
        failure: AssistantFailure | None = None
        final: Any = None
        try:
            final = await stream_task
        except asyncio.CancelledError:
            if not control.stopped:
                raise
        except Exception as error:
            failure = describe_llm_error(error)
            log.warning("assistant turn failed: %s (%s)", failure.kind, type(error).__name__)
        raw_text = "".join(raw)
        parsed = parse_reply(raw_text)
        synthesized = {}
        if failure is None and not control.stopped and parsed.promotions:
            synthesized = await self._synthesize(client, tiers, session_id, parsed)
        usage = Usage.from_sdk(final.usage) if final is not None else None

        def store(session: Any) -> tuple[Any, AppliedReply | None, int]:
            reply = messages.add_message(
                session,
                session_id,
                "assistant",
                content=parsed.visible_text,
                raw_content=raw_text,
                model=getattr(final, "model", None) or request["model"],
                stopped=control.stopped,
                error=failure.message if failure else None,
                **(usage.as_columns() if usage else {}),
            )
            applied = None
            if failure is None and not control.stopped:
                applied = apply_reply(session, session_id, parsed, synthesized)
            version = session_repository.get_session_summary(session, session_id).state_version
            return reply, applied, version

        reply, applied, version = await asyncio.shield(self._database.run(store))
        return TurnResult(_to_chat_message(reply), None, failure, applied, version)

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
            text = await synthesize_fact(client, tiers.fact_synthesis, item)
            if text:
                synthesized[ref] = text
        return synthesized

    def _store_attachments(
        self, session_id: str, attachments: Sequence[Attachment]
    ) -> list[dict[str, Any]]:
        stored = []
        folder = self._attachments_dir / session_id
        for attachment in attachments:
            folder.mkdir(parents=True, exist_ok=True)
            suffix = Path(attachment.name).suffix or (
                mimetypes.guess_extension(attachment.resolved_type) or ""
            )
            path = folder / f"{uuid.uuid4().hex}{suffix}"
            path.write_bytes(attachment.data)
            stored.append(
                {
                    "kind": attachment.kind,
                    "name": attachment.name,
                    "media_type": attachment.resolved_type,
                    "path": str(path),
                    "size": len(attachment.data),
                }
            )
        return stored

    def _api_messages(self, history: list[Any]) -> list[dict[str, Any]]:
        """The conversation as API messages: roles alternate, attachments become content
        blocks, and the last block carries the cache breakpoint so the next turn reads the
        history from cache."""
        result: list[dict[str, Any]] = []
        for row in history:
            blocks = self._content_blocks(row)
            if not blocks:
                continue
            if result and result[-1]["role"] == row.role:
                result[-1]["content"].extend(blocks)
            else:
                result.append({"role": row.role, "content": blocks})
        if result:
            result[-1]["content"][-1] = {
                **result[-1]["content"][-1],
                "cache_control": {"type": "ephemeral"},
            }
        return result

    def _content_blocks(self, row: Any) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        for attachment in row.attachments or []:
            path = Path(attachment["path"])
            if not path.exists():
                blocks.append(
                    {"type": "text", "text": f"(attachment {attachment['name']} is missing)"}
                )
            elif attachment["kind"] == "image":
                data = base64.standard_b64encode(path.read_bytes()).decode("ascii")
                blocks.append(
                    {
                        "type": "image",
                        "source": {
                            "type": "base64",
                            "media_type": attachment["media_type"],
                            "data": data,
                        },
                    }
                )
            else:
                content = path.read_bytes()[:MAX_TEXT_ATTACHMENT_BYTES].decode("utf-8", "replace")
                blocks.append(
                    {
                        "type": "text",
                        "text": f"Attached file {attachment['name']}:\n```\n{content}\n```",
                    }
                )
        text = row.raw_content if row.role == "assistant" else row.content
        if text.strip():
            blocks.append({"type": "text", "text": text})
        return blocks


async def synthesize_fact(client: Any, model: str, item: dict[str, Any]) -> str | None:
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
            messages=[{"role": "user", "content": prompt}],
        )
    except Exception as error:
        log.warning("fact synthesis failed: %s", type(error).__name__)
        return None
    text = " ".join(block.text for block in message.content if getattr(block, "text", None))
    text = text.strip()
    return None if not text or text.upper().startswith("NONE") else text


async def write_note(client: Any, model: str, kind: str, inputs: Any, draft: str) -> str | None:
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
        model=model, max_tokens=NOTE_MAX_TOKENS, messages=[{"role": "user", "content": prompt}]
    )
    text = "".join(block.text for block in message.content if getattr(block, "text", None))
    return text.strip() or None


def _inputs_json(inputs: Any) -> str:
    import dataclasses
    import json

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
                if shown and on_text is not None:
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
    )
