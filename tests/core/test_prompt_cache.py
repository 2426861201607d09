"""The emulator bills prompt caching the documented way, so a request layout that stops
reading the cache fails a test (tests/prompt_cache.py)."""

from __future__ import annotations

import pytest

from tests.prompt_cache import (
    LOOKBACK_BLOCKS,
    TTL_S,
    PromptCache,
    TooManyBreakpoints,
    minimum_cacheable_tokens,
    request_prefixes,
)

MODEL = "claude-sonnet-4-5"  # documented minimum: 1,024 tokens
BIG = "x" * 6000  # ~1,500 tokens: cacheable on its own
CACHED = {"type": "ephemeral"}


def _text(text: str, cached: bool = False) -> dict[str, object]:
    block: dict[str, object] = {"type": "text", "text": text}
    if cached:
        block["cache_control"] = CACHED
    return block


def _body(system: list[dict[str, object]], *turns: list[dict[str, object]], model=MODEL):
    roles = ["user", "assistant"]
    return {
        "model": model,
        "system": system,
        "messages": [{"role": roles[i % 2], "content": blocks} for i, blocks in enumerate(turns)],
    }


def test_a_breakpoint_writes_its_prefix_and_the_next_request_reads_it() -> None:
    cache = PromptCache()
    first = cache.usage(_body([_text(BIG, True)], [_text("hi")]))
    assert first["cache_creation_input_tokens"] > 1000 and first["cache_read_input_tokens"] == 0
    second = cache.usage(_body([_text(BIG, True)], [_text("other question")]))
    assert second["cache_read_input_tokens"] == first["cache_creation_input_tokens"]
    assert second["cache_creation_input_tokens"] == 0
    total = request_prefixes(_body([_text(BIG, True)], [_text("other question")])).total
    assert sum(second.values()) == total, "input + written + read = the whole prompt"


def test_a_changed_block_before_the_messages_invalidates_everything_after_it() -> None:
    """Today's layout: the session context after the system prompt, then the history."""
    cache = PromptCache()
    history = [[_text(BIG)], [_text("reply", True)]]
    cache.usage(_body([_text("prompt"), _text("context v1")], *history, [_text("q2")]))
    again = cache.usage(_body([_text("prompt"), _text("context v2")], *history, [_text("q3")]))
    assert again["cache_read_input_tokens"] == 0
    assert again["cache_creation_input_tokens"] > 1000, "the whole history is written again"


def test_a_prefix_further_back_than_the_lookback_is_not_found() -> None:
    cache = PromptCache()
    first = [_text(BIG, True)]
    cache.usage(_body(first))
    near = [_text(BIG)] + [_text(f"b{n}") for n in range(LOOKBACK_BLOCKS - 1)]
    near[-1] = _text("end", True)
    assert cache.usage(_body(near))["cache_read_input_tokens"] > 0, "20 blocks back: found"
    far = [_text(BIG)] + [_text(f"c{n}") for n in range(LOOKBACK_BLOCKS + 1)]
    far[-1] = _text("end", True)
    assert PromptCache().usage(_body(first))["cache_read_input_tokens"] == 0
    cache2 = PromptCache()
    cache2.usage(_body(first))
    assert cache2.usage(_body(far))["cache_read_input_tokens"] == 0, "21 blocks back: missed"


def test_below_the_minimum_nothing_is_cached_and_the_request_succeeds() -> None:
    cache = PromptCache()
    small = _body([_text("short prompt", True)], [_text("hi")])
    assert cache.usage(small)["cache_creation_input_tokens"] == 0
    assert cache.usage(small)["cache_read_input_tokens"] == 0
    assert minimum_cacheable_tokens("claude-haiku-4-5") == 4096
    assert minimum_cacheable_tokens("claude-sonnet-5-5") == 4096, "undocumented: the strictest"
    middling = _body([_text(BIG, True)], [_text("hi")], model="claude-haiku-4-5")
    cache.usage(middling)
    assert cache.usage(middling)["cache_read_input_tokens"] == 0, "1,500 tokens < 4,096"


def test_the_cache_is_per_model() -> None:
    cache = PromptCache()
    cache.usage(_body([_text(BIG, True)], [_text("hi")]))
    other = cache.usage(_body([_text(BIG, True)], [_text("hi")], model="claude-sonnet-4-0"))
    assert other["cache_read_input_tokens"] == 0


def test_entries_expire_five_minutes_after_their_last_use() -> None:
    now = [0.0]
    cache = PromptCache(clock=lambda: now[0])
    body = _body([_text(BIG, True)], [_text("hi")])
    cache.usage(body)
    now[0] = TTL_S - 1
    assert cache.usage(body)["cache_read_input_tokens"] > 0  # a read refreshes it
    now[0] += TTL_S - 1
    assert cache.usage(body)["cache_read_input_tokens"] > 0
    now[0] += TTL_S + 1
    assert cache.usage(body)["cache_read_input_tokens"] == 0


def test_more_than_four_breakpoints_is_refused() -> None:
    with pytest.raises(TooManyBreakpoints):
        PromptCache().usage(_body([_text(f"b{n}", True) for n in range(5)], [_text("hi")]))
