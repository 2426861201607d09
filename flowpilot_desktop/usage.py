"""Token usage of replies, what it costs, and how much came from the prompt cache."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.models import Message

# USD per million tokens (input, output) by model family. Published list prices for the 4.x
# families; the 5.x families are assumed to price the same until Anthropic says otherwise.
# Cache writes cost 1.25x input (5-minute cache), cache reads 0.1x input.
PRICES_PER_MTOK = {"opus": (5.0, 25.0), "sonnet": (3.0, 15.0), "haiku": (1.0, 5.0)}
CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.1


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0  # uncached input only (the API's meaning)
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    @classmethod
    def from_sdk(cls, usage: object) -> Usage:
        """From the SDK's usage (or any object with its fields; missing ones count 0)."""
        return cls(
            int(getattr(usage, "input_tokens", 0) or 0),
            int(getattr(usage, "output_tokens", 0) or 0),
            int(getattr(usage, "cache_creation_input_tokens", 0) or 0),
            int(getattr(usage, "cache_read_input_tokens", 0) or 0),
        )

    @classmethod
    def from_columns(cls, row: Message) -> Usage | None:
        values = [
            row.input_tokens,
            row.output_tokens,
            row.cache_creation_input_tokens,
            row.cache_read_input_tokens,
        ]
        if all(value is None for value in values):
            return None
        return cls(*(int(value or 0) for value in values))

    def as_columns(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }

    @property
    def total_input(self) -> int:
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens


def cost_usd(usage: Usage, model: str | None) -> float:
    family = next((name for name in PRICES_PER_MTOK if name in (model or "")), "sonnet")
    price_in, price_out = PRICES_PER_MTOK[family]
    return (
        usage.input_tokens * price_in
        + usage.cache_creation_input_tokens * price_in * CACHE_WRITE_FACTOR
        + usage.cache_read_input_tokens * price_in * CACHE_READ_FACTOR
        + usage.output_tokens * price_out
    ) / 1_000_000


def describe_turn(usage: Usage, model: str | None) -> str:
    """What one reply cost, for its tooltip: tokens in (how many from the prompt cache), out,
    and the estimated price."""
    cached = ""
    if usage.cache_read_input_tokens or usage.cache_creation_input_tokens:
        cached = (
            f" ({usage.cache_read_input_tokens:,} read from the prompt cache, "
            f"{usage.cache_creation_input_tokens:,} written to it)"
        )
    return (
        f"{usage.total_input:,} tokens in{cached}, {usage.output_tokens:,} out · "
        f"about ${cost_usd(usage, model):.4f}" + (f" on {model}" if model else "")
    )


@dataclass(frozen=True)
class UsageSummary:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    replies: int = 0  # replies with usage (the session's turns so far)
    last_cost_usd: float = 0.0  # the latest of them

    @property
    def cache_hit_rate(self) -> float:
        """Share of all input tokens that were read from the cache."""
        return self.cache_read_tokens / self.input_tokens if self.input_tokens else 0.0

    def describe(self) -> str:
        tokens = self.input_tokens + self.output_tokens
        return (
            f"{tokens:,} tokens · ${self.cost_usd:.2f} · cache {self.cache_hit_rate:.0%}"
            if tokens
            else "No tokens used yet"
        )

    def explain(self) -> str:
        """The status bar's tooltip: the figures of this session, in words."""
        if not self.replies:
            return "No reply in this session has used tokens yet."
        return (
            f"This session: {self.replies:,} replies, {self.input_tokens:,} tokens in "
            f"({self.cache_hit_rate:.0%} read from the prompt cache), "
            f"{self.output_tokens:,} out, about ${self.cost_usd:.4f}. "
            f"The latest reply cost about ${self.last_cost_usd:.4f}. "
            "Hover a reply for what it cost."
        )


def summarize(replies: Iterable[tuple[Usage | None, str | None]]) -> UsageSummary:
    """Totals over (usage, model) pairs of a session's replies."""
    total_in = total_out = cached = count = 0
    cost = last = 0.0
    for usage, model in replies:
        if usage is None:
            continue
        total_in += usage.total_input
        total_out += usage.output_tokens
        cached += usage.cache_read_input_tokens
        last = cost_usd(usage, model)
        cost += last
        count += 1
    return UsageSummary(total_in, total_out, cached, cost, count, last)
