"""The emulator speaks the API the way the real SDK expects: checked with the SDK itself."""

from __future__ import annotations

import asyncio

import anthropic
import pytest

from tests.anthropic_emulator import BAD_KEY, AnthropicEmulator, ScriptedReply

SYSTEM = [{"type": "text", "text": "stable prompt " * 200, "cache_control": {"type": "ephemeral"}}]


def _client(api: AnthropicEmulator, key: str = "sk-ant-test", retries: int = 2):
    return anthropic.AsyncAnthropic(api_key=key, base_url=api.base_url, max_retries=retries)


async def _stream(client, system=SYSTEM):
    async with client.messages.stream(
        model="claude-sonnet-5-5",
        max_tokens=100,
        system=system,
        messages=[{"role": "user", "content": "hi"}],
    ) as stream:
        texts = [text async for text in stream.text_stream]
        return texts, await stream.get_final_message()


def test_streaming_text_usage_and_bearer_auth(api: AnthropicEmulator) -> None:
    api.enqueue(ScriptedReply(chunks=["Hel", "lo ", "there"]))
    texts, final = asyncio.run(_stream(_client(api)))
    assert texts == ["Hel", "lo ", "there"]
    assert final.content[0].text == "Hello there" and final.stop_reason == "end_turn"
    assert final.usage.cache_creation_input_tokens > 0 and final.usage.cache_read_input_tokens == 0
    request = api.message_requests[0]
    assert request.headers["authorization"] == "Bearer sk-ant-test"
    assert request.body["stream"] is True


def test_same_system_prefix_is_read_from_cache_the_second_time(api: AnthropicEmulator) -> None:
    async def twice():
        client = _client(api)
        await _stream(client)
        return await _stream(client)

    _texts, final = asyncio.run(twice())
    assert final.usage.cache_read_input_tokens > 0
    assert final.usage.cache_creation_input_tokens == 0


def test_429_then_success_is_retried_by_the_sdk(api: AnthropicEmulator) -> None:
    api.enqueue(ScriptedReply(status=429, retry_after_ms=10), ScriptedReply(text="done"))
    texts, _final = asyncio.run(_stream(_client(api)))
    assert "".join(texts) == "done"
    assert [r.headers["x-stainless-retry-count"] for r in api.message_requests] == ["0", "1"]


def test_overloaded_without_retries_raises_overloaded(api: AnthropicEmulator) -> None:
    api.enqueue(ScriptedReply(status=529, retry_after_ms=10))
    with pytest.raises(anthropic.OverloadedError):
        asyncio.run(_stream(_client(api, retries=0)))


def test_error_event_mid_stream_raises_with_status_200(api: AnthropicEmulator) -> None:
    api.enqueue(ScriptedReply(chunks=["a", "b", "c"], error_event_after=2))
    with pytest.raises(anthropic.APIStatusError) as raised:
        asyncio.run(_stream(_client(api)))
    assert raised.value.status_code == 200 and raised.value.type == "overloaded_error"
    assert len(api.message_requests) == 1, "an error event is not retried by the SDK"


def test_bad_key_is_a_401(api: AnthropicEmulator) -> None:
    with pytest.raises(anthropic.AuthenticationError):
        asyncio.run(_stream(_client(api, key=BAD_KEY)))


def test_dropped_connection_mid_stream_raises_a_transport_error(api: AnthropicEmulator) -> None:
    """The SDK does not wrap a connection lost mid-stream: httpx2's own error comes through."""
    import httpx2

    api.enqueue(ScriptedReply(chunks=["a", "b", "c"], drop_after=1))
    with pytest.raises(httpx2.TransportError):
        asyncio.run(_stream(_client(api, retries=0)))


def test_non_streaming_create(api: AnthropicEmulator) -> None:
    api.enqueue("A short answer")

    async def create():
        return await _client(api).messages.create(
            model="claude-haiku-5-5", max_tokens=50, messages=[{"role": "user", "content": "x"}]
        )

    message = asyncio.run(create())
    assert message.content[0].text == "A short answer"
    assert message.usage.output_tokens >= 1
