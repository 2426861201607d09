"""Prompt caching as the Messages API documents it, for the emulator's usage figures.

- The prefix is the request in the order tools → system → messages, per model: a request to
  another model never reads what one model cached.
- A ``cache_control`` block is a breakpoint (at most 4 per request, else 400). The prefix that
  ends at each breakpoint is written to the cache.
- A request reads the longest cached prefix that ends at one of its breakpoints or at one of the
  20 block boundaries before one (the documented lookback); nothing further back is found.
- A prefix shorter than the model's minimum cacheable length is neither written nor read: the
  request still succeeds, with both counters at 0.
- Entries live 5 minutes from their last use (reading refreshes them).
- ``input_tokens`` counts only what was neither read nor written; never negative.

Tokens are estimated at 4 bytes of JSON each: the figures are consistent, not exact.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MAX_BREAKPOINTS = 4
LOOKBACK_BLOCKS = 20
TTL_S = 300.0

# Minimum cacheable prompt length per model family (shared/reference/platform-notes.md §1.3).
# A model not listed gets the strictest known minimum: an emulator kinder than the service
# hides bugs.
_MINIMUMS: tuple[tuple[str, int], ...] = (
    ("claude-opus-4-5", 4096),
    ("claude-opus-4-6", 4096),
    ("claude-haiku-4-5", 4096),
    ("claude-opus-4-7", 4096),
    ("claude-sonnet-4-6", 2048),
    ("claude-sonnet-4", 1024),
    ("claude-opus-4-1", 1024),
    ("claude-opus-4-0", 1024),
    ("claude-opus-4-8", 1024),
    ("claude-sonnet-5-", 1024),  # Sonnet 5 (5.5 is not documented: the default applies)
    ("claude-opus-5-", 512),
)
UNKNOWN_MODEL_MINIMUM = 4096


def minimum_cacheable_tokens(model: str) -> int:
    if model.startswith(("claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-5-5")):
        return UNKNOWN_MODEL_MINIMUM
    for prefix, minimum in _MINIMUMS:
        if model.startswith(prefix):
            return minimum
    return UNKNOWN_MODEL_MINIMUM


class TooManyBreakpoints(ValueError):
    pass


@dataclass
class Prefixes:
    """The token size and digest of the request prefix ending at each block."""

    sizes: list[int] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    breakpoints: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.sizes[-1] if self.sizes else 0


def request_prefixes(body: dict[str, Any]) -> Prefixes:
    blocks: list[Any] = [{"tool": tool} for tool in body.get("tools") or []]
    system = body.get("system")
    if isinstance(system, str):
        blocks.append({"type": "text", "text": system})
    elif isinstance(system, list):
        blocks.extend(system)
    for message in body.get("messages") or []:
        content = message.get("content")
        for block in content if isinstance(content, list) else [{"type": "text", "text": content}]:
            blocks.append(
                {"role": message.get("role"), **block} if isinstance(block, dict) else block
            )
    result = Prefixes()
    digest = hashlib.sha256(str(body.get("model", "")).encode())
    length = 0
    for index, block in enumerate(blocks):
        marked = isinstance(block, dict) and bool(block.get("cache_control"))
        plain = {k: v for k, v in block.items() if k != "cache_control"} if marked else block
        encoded = json.dumps(plain, sort_keys=True).encode()
        digest.update(encoded)
        length += len(encoded)
        result.sizes.append(max(1, length // 4))
        result.digests.append(digest.copy().hexdigest())
        if marked:
            result.breakpoints.append(index)
    return result


class PromptCache:
    """What one emulated account has cached."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, float] = {}  # digest -> last used

    def usage(self, body: dict[str, Any]) -> dict[str, int]:
        """The input counters of one request, caching what it writes. Raises
        TooManyBreakpoints (the API answers 400) before caching anything."""
        prefixes = request_prefixes(body)
        if len(prefixes.breakpoints) > MAX_BREAKPOINTS:
            raise TooManyBreakpoints(
                f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. "
                f"Found {len(prefixes.breakpoints)}."
            )
        minimum = minimum_cacheable_tokens(str(body.get("model", "")))
        now = self._clock()
        self._entries = {d: t for d, t in self._entries.items() if now - t < TTL_S}
        read = 0
        for breakpoint in prefixes.breakpoints:
            for index in range(breakpoint, max(-1, breakpoint - LOOKBACK_BLOCKS - 1), -1):
                size, digest = prefixes.sizes[index], prefixes.digests[index]
                if size >= minimum and digest in self._entries:
                    if size > read:
                        read = size
                        self._entries[digest] = now
                    break
        written = 0
        for breakpoint in prefixes.breakpoints:
            size, digest = prefixes.sizes[breakpoint], prefixes.digests[breakpoint]
            if size >= minimum:
                if digest not in self._entries:
                    written = max(written, size)
                self._entries[digest] = now
        creation = max(0, written - read)
        return {
            "input_tokens": max(0, prefixes.total - read - creation),
            "cache_creation_input_tokens": creation,
            "cache_read_input_tokens": read,
        }
