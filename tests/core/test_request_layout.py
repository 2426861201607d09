"""Requests are laid out so the prefix only grows (flowpilot_desktop/assistant/layout.py): the
conversation is read from the prompt cache turn after turn, through the real ChatService and the
emulator that bills caching the documented way."""

from __future__ import annotations

from flowpilot_desktop.assistant.layout import (
    MAX_BREAKPOINTS,
    OneShotPrompt,
    chat_messages,
    context_block,
)


def _turns(count: int) -> list[dict]:
    roles = ("user", "assistant")
    return [
        {"role": roles[n % 2], "content": [{"type": "text", "text": f"message {n}"}]}
        for n in range(count)
    ]


def _marks(messages: list[dict]) -> list[int]:
    return [
        index
        for index, message in enumerate(messages)
        for block in message["content"]
        if "cache_control" in block
    ]


def test_the_breakpoints_sit_on_the_last_reply_and_the_one_before() -> None:
    history = _turns(7)  # u a u a u a u: the last user message is being answered
    messages = chat_messages(history, "ticket #48213")
    assert _marks(messages) == [3, 5]
    assert messages[-1]["content"][0] == context_block("ticket #48213")
    assert messages[-1]["content"][1]["text"] == "message 6"
    assert "cache_control" not in history[5]["content"][0], "the history given is not changed"


def test_a_first_turn_has_no_history_breakpoint_and_never_more_than_four() -> None:
    assert _marks(chat_messages(_turns(1), "context")) == []
    assert _marks(chat_messages(_turns(3), "context")) == [1]
    for count in range(1, 40, 2):
        assert len(_marks(chat_messages(_turns(count), "c"))) + 1 <= MAX_BREAKPOINTS


def test_a_conversation_ending_with_a_reply_gets_a_turn_of_context() -> None:
    messages = chat_messages(_turns(2), "context")
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[-1]["content"] == [context_block("context")]


def test_single_requests_put_their_stable_instructions_first() -> None:
    prompt = OneShotPrompt("Write the note.", ("session data", "draft"), cache_data=True)
    request = prompt.request("claude-sonnet-5-5", 100)
    assert request["system"] == [
        {"type": "text", "text": "Write the note.", "cache_control": {"type": "ephemeral"}}
    ]
    first, second = request["messages"][0]["content"]
    assert first["text"] == "session data" and "cache_control" in first
    assert second == {"type": "text", "text": "draft"}


def test_turns_three_on_read_most_of_their_input_from_the_cache() -> None:
    """The benchmark's conversation, shorter: a pasted log in turn 1, a lane that changes with
    every reply. The earlier layout (context before the history) read nothing."""
    from benchmarks.cache import read_share, run_conversation

    figures = run_conversation(turns=5)
    assert read_share(figures) >= 0.85
    assert read_share(figures, legacy=True) < 0.2
    assert sum(f.cost_usd for f in figures) < 0.6 * sum(f.legacy_cost_usd for f in figures)
