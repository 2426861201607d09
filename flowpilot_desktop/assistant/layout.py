"""How every request to Anthropic is laid out so the prompt cache keeps reading it.

The API caches the prefix of a request up to each ``cache_control`` breakpoint and reads, on a
later request, the longest cached prefix ending at one of its breakpoints (or up to 20 blocks
before one). Anything that changes invalidates everything after it. So the prefix only grows:

    system: the stable prompt                                  ← breakpoint 1
    messages: the conversation so far, oldest first
        … the reply before the previous question               ← breakpoint 2 (read point)
        … the last reply                                       ← breakpoint 3 (write point)
    the new user turn: [session context] + the technician's message

The session context (ticket, facts, open items, active fix, templates) changes after most
replies; it rides in the newest user turn only, and earlier turns are sent without it, so it
never sits in front of the history. Breakpoint 2 is where the previous request wrote its cache
(found even when that turn brought more than 20 blocks, e.g. attachments); breakpoint 3 writes
this request's history for the next turn. Three of the four breakpoints the API allows.

Single requests beside the chat (a resolution note, a fact, a template extraction) follow the
same rule: their stable instructions first, as a cached system block, then the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CACHE_CONTROL = {"type": "ephemeral"}
MAX_BREAKPOINTS = 4
CONTEXT_TAG = "session_context"


def cached(block: dict[str, Any]) -> dict[str, Any]:
    """The block with a cache breakpoint on it."""
    return {**block, "cache_control": CACHE_CONTROL}


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def context_block(context_text: str) -> dict[str, Any]:
    """The session context as the first block of the newest user turn, fenced so the model
    reads it as data about the session, not as the technician's words."""
    return text_block(
        f"<{CONTEXT_TAG}>\n{context_text}\n</{CONTEXT_TAG}>\n"
        "(The current session context, as FlowPilot knows it now. The technician's message "
        "follows.)"
    )


def chat_messages(history: list[dict[str, Any]], context_text: str) -> list[dict[str, Any]]:
    """The API messages of a chat turn: ``history`` (alternating, the technician's first; its
    last message is the one being answered) with the session context put first in the newest
    user turn and the two history breakpoints set. ``history`` is not changed."""
    messages = [{"role": m["role"], "content": list(m["content"])} for m in history]
    if not messages or messages[-1]["role"] != "user":
        messages.append({"role": "user", "content": []})  # nothing new: the context alone
    newest = messages[-1]
    newest["content"] = [context_block(context_text), *newest["content"]]
    earlier = messages[:-1]
    for position in (len(earlier) - 1, len(earlier) - 3):  # write point, then read point
        if position >= 0 and earlier[position]["content"]:
            blocks = earlier[position]["content"]
            blocks[-1] = cached(blocks[-1])
    return messages


def chat_system(prompt: str) -> list[dict[str, Any]]:
    return [cached(text_block(prompt))]


@dataclass(frozen=True)
class OneShotPrompt:
    """A single request: stable ``instructions`` (cached), then ``data`` blocks. With
    ``cache_data`` the first data block is cached too (a note's session data, which a Refresh
    or the other kind of note sends again)."""

    instructions: str
    data: tuple[str, ...] = field(default=())
    cache_data: bool = False

    def request(self, model: str, max_tokens: int) -> dict[str, Any]:
        blocks = [text_block(part) for part in self.data if part]
        if self.cache_data and blocks:
            blocks[0] = cached(blocks[0])
        return {
            "model": model,
            "max_tokens": max_tokens,
            "system": chat_system(self.instructions),
            "messages": [{"role": "user", "content": blocks or [text_block("(no data)")]}],
        }

    def text(self) -> str:
        """Everything the request says, in order (what the scrubber and tests look at)."""
        return "\n\n".join((self.instructions, *self.data))
