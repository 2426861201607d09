"""The emulator speaks the API the way the real SDK expects: checked with the SDK itself."""

from __future__ import annotations

import asyncio

import anthropic
import pytest

from tests.anthropic_emulator import (
    BAD_KEY,
    DEFAULT_MODELS,
    NO_PERMISSION_KEY,
    AnthropicEmulator,
    ModelEntry,
    ScriptedReply,
)

# over the 4,096-token minimum the emulator applies to models with no documented minimum
SYSTEM = [{"type": "text", "text": "stable prompt " * 1400, "cache_control": {"type": "ephemeral"}}]


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


def test_a_stall_sends_nothing_then_the_rest_on_the_same_stream(api: AnthropicEmulator) -> None:
    """A stalled upstream: the connection stays open and silent, then the reply goes on."""
    api.enqueue(ScriptedReply(chunks=["a", "b", "c"], stall_after=1, stall_s=0.4))
    texts, final = asyncio.run(_stream(_client(api, retries=0)))
    assert texts == ["a", "b", "c"] and final.stop_reason == "end_turn"
    (first, _), (second, _), _ = api.message_requests[0].sent_deltas
    assert second - first >= 0.4


def test_non_streaming_create(api: AnthropicEmulator) -> None:
    api.enqueue("A short answer")

    async def create():
        return await _client(api).messages.create(
            model="claude-haiku-5-5", max_tokens=50, messages=[{"role": "user", "content": "x"}]
        )

    message = asyncio.run(create())
    assert message.content[0].text == "A short answer"
    assert message.usage.output_tokens >= 1


# ---- GET /v1/models


def _get_models(api: AnthropicEmulator, query: str = "", key: str = "sk-ant-test"):
    """The raw answer, to check the wire format itself (not only what the SDK makes of it)."""
    import httpx2

    return httpx2.get(
        f"{api.base_url}/v1/models{query}",
        headers={"x-api-key": key, "anthropic-version": "2023-06-01"},
    )


async def _first_page(client):
    async with client:
        return (await client.models.list()).data


def test_models_list_has_the_documented_shape(api: AnthropicEmulator) -> None:
    response = _get_models(api)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["request-id"].startswith("req_")
    body = response.json()
    assert set(body) == {"data", "has_more", "first_id", "last_id"}
    assert body["has_more"] is False
    assert [m["id"] for m in body["data"]] == [m.id for m in DEFAULT_MODELS]
    assert body["first_id"] == DEFAULT_MODELS[0].id and body["last_id"] == DEFAULT_MODELS[-1].id
    for model in body["data"]:
        assert {"type", "id", "display_name", "created_at"} <= set(model)
        assert model["type"] == "model" and model["created_at"].endswith("Z")
        assert model["lifecycle"] == "active" and model["deprecated_at"] is None


def test_models_page_passes_the_sdks_strict_validation(api: AnthropicEmulator) -> None:
    """Every field the SDK's ModelInfo requires is there, with the type it expects."""

    async def strict():
        async with anthropic.AsyncAnthropic(
            api_key="sk-ant-test", base_url=api.base_url, _strict_response_validation=True
        ) as client:
            return await client.models.list(limit=3)

    page = asyncio.run(strict())
    assert [m.id for m in page.data] == [m.id for m in DEFAULT_MODELS[:3]]
    assert page.data[0].lifecycle == "active" and page.data[0].created_at.year == 2026


def test_the_sdk_reads_the_list_and_pages_through_it(api: AnthropicEmulator) -> None:
    api.models = [
        ModelEntry(f"claude-test-{n}", f"Claude Test {n}", "2026-01-01T00:00:00Z") for n in range(5)
    ]

    async def listing():
        async with _client(api) as client:
            first = await client.models.list(limit=2)
            every = [model async for model in client.models.list(limit=2)]
            return first, every

    first, every = asyncio.run(listing())
    assert [m.id for m in first.data] == ["claude-test-0", "claude-test-1"]
    assert first.has_more and first.first_id == "claude-test-0" and first.last_id == "claude-test-1"
    assert first.data[0].display_name == "Claude Test 0" and first.data[0].type == "model"
    assert [m.id for m in every] == [f"claude-test-{n}" for n in range(5)]
    paths = [r.path for r in api.model_requests]
    assert paths[1:] == [
        "/v1/models?limit=2",
        "/v1/models?limit=2&after_id=claude-test-1",
        "/v1/models?limit=2&after_id=claude-test-3",
    ]
    assert api.model_requests[0].headers["authorization"] == "Bearer sk-ant-test"


def test_models_paging_by_after_id_and_before_id(api: AnthropicEmulator) -> None:
    ids = [m.id for m in DEFAULT_MODELS]
    after = _get_models(api, f"?limit=3&after_id={ids[1]}").json()
    assert [m["id"] for m in after["data"]] == ids[2:5] and after["has_more"] is True
    last = _get_models(api, f"?limit=3&after_id={ids[4]}").json()
    assert [m["id"] for m in last["data"]] == ids[5:] and last["has_more"] is False
    before = _get_models(api, f"?limit=2&before_id={ids[4]}").json()
    assert [m["id"] for m in before["data"]] == ids[2:4] and before["has_more"] is True
    assert before["first_id"] == ids[2] and before["last_id"] == ids[3]
    start = _get_models(api, f"?limit=5&before_id={ids[1]}").json()
    assert [m["id"] for m in start["data"]] == ids[:1] and start["has_more"] is False
    empty = _get_models(api, f"?after_id={ids[-1]}").json()
    assert empty == {"data": [], "has_more": False, "first_id": None, "last_id": None}


def test_models_default_page_is_20_and_limit_is_checked(api: AnthropicEmulator) -> None:
    api.models = [ModelEntry(f"m-{n:02}", f"M {n}", "2026-01-01T00:00:00Z") for n in range(25)]
    page = _get_models(api).json()
    assert len(page["data"]) == 20 and page["has_more"] is True
    for bad in ("?limit=0", "?limit=1001", "?limit=x", "?after_id=m-01&before_id=m-05"):
        response = _get_models(api, bad)
        assert response.status_code == 400, bad
        assert response.json()["error"]["type"] == "invalid_request_error"


def test_models_auth_errors_are_documented_bodies(api: AnthropicEmulator) -> None:
    refused = _get_models(api, key=BAD_KEY)
    assert refused.status_code == 401
    assert refused.json() == {
        "type": "error",
        "error": {"type": "authentication_error", "message": "invalid x-api-key"},
    }
    forbidden = _get_models(api, key=NO_PERMISSION_KEY)
    assert forbidden.status_code == 403
    assert forbidden.json()["type"] == "error"
    assert forbidden.json()["error"]["type"] == "permission_error"
    assert len(api.model_requests) == 2, "refused requests are recorded too"

    with pytest.raises(anthropic.AuthenticationError):
        asyncio.run(_first_page(_client(api, key=BAD_KEY)))
    with pytest.raises(anthropic.PermissionDeniedError):
        asyncio.run(_first_page(_client(api, key=NO_PERMISSION_KEY)))


def test_models_scripted_fault(api: AnthropicEmulator) -> None:
    api.model_faults.append(ScriptedReply(status=500))
    with pytest.raises(anthropic.InternalServerError):
        asyncio.run(_first_page(_client(api, retries=0)))
    assert [m.id for m in asyncio.run(_first_page(_client(api)))][:1] == ["claude-opus-5-5"]


def test_more_than_four_cache_breakpoints_is_a_400(api: AnthropicEmulator) -> None:
    system = [
        {"type": "text", "text": f"b{n}", "cache_control": {"type": "ephemeral"}} for n in range(5)
    ]
    with pytest.raises(anthropic.BadRequestError, match="maximum of 4 blocks"):
        asyncio.run(_stream(_client(api, retries=0), system=system))
