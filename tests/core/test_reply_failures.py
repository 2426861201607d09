"""What a failed reply tells the technician (issue 17): a stream that goes silent is a stall,
not a dropped connection, and "the partial reply is kept" is said only when text arrived."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from flowpilot_desktop.assistant.chat import ChatService
from flowpilot_desktop.assistant.turn import STALL_TIMEOUT_S, ReplyStreamer, TurnResult
from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.llm import create_client
from flowpilot_desktop.model_tiers import ModelTiers
from flowpilot_desktop.scrubbing import default_scrubber
from storage.database import Database
from storage.repositories import messages
from storage.repositories.sessions import create_session
from tests.anthropic_emulator import AnthropicEmulator, ScriptedReply
from tests.core.conftest import DEFAULT_KEY, build_chat
from tests.fakes_keyring import MemoryKeyring

PARTIAL_KEPT = "The partial reply is kept"
HALF = ["Half ", "a ", "reply"]


@pytest.fixture
def session_id(db: Database) -> str:
    return db.run_sync(lambda s: create_session(s, user_id="tech", title="VPN drops").id)


def _answer(
    db: Database, api: AnthropicEmulator, session_id: str, stall_timeout_s: float
) -> tuple[TurnResult, float]:
    """One turn through the ReplyStreamer with a short stall timeout; (result, seconds)."""
    db.run_sync(lambda s: messages.add_message(s, session_id, "user", content="VPN drops"))
    credentials = CredentialStore(MemoryKeyring())
    credentials.set(SecretName.ANTHROPIC_API_KEY, DEFAULT_KEY)
    client = create_client(credentials, AppConfig(anthropic_base_url=api.base_url))
    streamer = ReplyStreamer(db, default_scrubber(), stall_timeout_s=stall_timeout_s)

    async def no_synthesis(*_args: object) -> str | None:
        return None

    async def run() -> TurnResult:
        async with client:
            return await streamer.answer(client, ModelTiers(), session_id, no_synthesis)

    started = time.monotonic()
    result = asyncio.run(run())
    return result, time.monotonic() - started


def test_a_silent_stream_is_a_stall_with_the_partial_reply_kept(db, api, session_id) -> None:
    api.enqueue(ScriptedReply(chunks=["Checking ", "the ", "tunnel "], stall_after=2, stall_s=5))
    result, seconds = _answer(db, api, session_id, stall_timeout_s=0.3)

    failure = result.failure
    assert failure is not None and failure.kind == "stalled" and failure.retryable
    assert failure.message.startswith("No data from the assistant for 0.3 s")
    assert PARTIAL_KEPT in failure.message and "Retry" in failure.message
    assert "dropped" not in failure.message, "a stall is not a closed connection"
    assert seconds < 3, "reported after the stall timeout, not when the stream ends"
    assert result.reply is not None and result.reply.content == "Checking the"
    assert result.reply.error == failure.message and not result.reply.stopped
    stored = db.run_sync(lambda s: messages.list_messages(s, session_id))[-1]
    assert stored.content == "Checking the" and not stored.streaming


def test_a_stall_before_any_text_does_not_claim_a_partial_reply(db, api, session_id) -> None:
    api.enqueue(ScriptedReply(chunks=["Late."], stall_after=0, stall_s=5))
    result, _seconds = _answer(db, api, session_id, stall_timeout_s=0.3)
    assert result.failure is not None and result.failure.kind == "stalled"
    assert "partial" not in result.failure.message and "Retry" in result.failure.message
    assert result.reply is not None and result.reply.content == ""


def test_a_pause_shorter_than_the_stall_timeout_is_no_failure(db, api, session_id) -> None:
    api.enqueue(ScriptedReply(chunks=["Slow ", "but ", "fine."], stall_after=1, stall_s=0.3))
    result, _seconds = _answer(db, api, session_id, stall_timeout_s=2.0)
    assert result.failure is None
    assert result.reply is not None and result.reply.content == "Slow but fine."


def test_the_stall_timeout_defaults_to_25_s(db) -> None:
    assert STALL_TIMEOUT_S == 25.0
    assert ReplyStreamer(db, default_scrubber()).stall_timeout_s == STALL_TIMEOUT_S


def test_the_chat_uses_the_stall_timeout_from_settings(db, api, tmp_path, session_id) -> None:
    """Settings' "Give up on a silent reply after" reaches the next turn (no restart)."""
    service = build_chat(db, api.base_url, tmp_path)
    store = ConfigStore(tmp_path / "settings.json")
    store.save(AppConfig(anthropic_base_url=api.base_url, reply_stall_timeout_s=0.4))
    api.enqueue(ScriptedReply(chunks=["Checking ", "more"], stall_after=1, stall_s=5))
    started = time.monotonic()
    result = asyncio.run(service.send(session_id, "VPN drops"))
    assert time.monotonic() - started < 3
    assert result.failure is not None and result.failure.kind == "stalled"
    assert result.failure.message.startswith("No data from the assistant for 0.4 s")


def _short_read_timeout(credentials: CredentialStore, config: AppConfig):
    """The app's client with the HTTP read timeout cut to 0.3 s (the 60 s of issue 17)."""
    import httpx2

    client = create_client(credentials, config)
    return client.with_options(max_retries=0, timeout=httpx2.Timeout(0.3, connect=5.0))


def test_a_read_timeout_mid_stream_is_a_stall_not_a_drop(db, api, tmp_path, session_id) -> None:
    """The silence the HTTP client noticed first (its read timeout) says the same."""
    api.enqueue(ScriptedReply(chunks=HALF, stall_after=2, stall_s=3))
    service = build_chat(db, api.base_url, tmp_path, client_factory=_short_read_timeout)
    result = asyncio.run(service.send(session_id, "hello"))
    assert result.failure is not None and result.failure.kind == "stalled"
    assert result.failure.message.startswith("No data from the assistant for 0.3 s")
    assert "dropped" not in result.failure.message and PARTIAL_KEPT in result.failure.message
    assert result.reply is not None and result.reply.content == "Half a"


def _no_retries(credentials: CredentialStore, config: AppConfig):
    return create_client(credentials, config).with_options(max_retries=0)


@pytest.mark.parametrize(
    ("scripted", "kind", "text_arrived"),
    [
        (ScriptedReply(status=529, retry_after_ms=5), "overloaded", False),
        (ScriptedReply(chunks=HALF, error_event_after=0), "overloaded", False),
        (ScriptedReply(chunks=HALF, error_event_after=2), "overloaded", True),
        (
            ScriptedReply(chunks=HALF, error_event_after=0, error_event_type="api_error"),
            "stream",
            False,
        ),
        (
            ScriptedReply(chunks=HALF, error_event_after=2, error_event_type="api_error"),
            "stream",
            True,
        ),
        (ScriptedReply(chunks=HALF, drop_after=0), "offline", False),
        (ScriptedReply(chunks=HALF, drop_after=2), "offline", True),
    ],
)
def test_the_message_says_a_partial_reply_is_kept_only_when_text_arrived(
    db: Database,
    api: AnthropicEmulator,
    tmp_path: Path,
    session_id: str,
    scripted: ScriptedReply,
    kind: str,
    text_arrived: bool,
) -> None:
    api.enqueue(scripted)
    service: ChatService = build_chat(db, api.base_url, tmp_path, client_factory=_no_retries)
    result = asyncio.run(service.send(session_id, "hello"))
    failure = result.failure
    assert failure is not None and failure.kind == kind and failure.retryable
    assert result.reply is not None and bool(result.reply.content) is text_arrived
    assert (PARTIAL_KEPT in failure.message) is text_arrived
    if not text_arrived:
        assert "partial" not in failure.message
    assert "Retry" in failure.message
