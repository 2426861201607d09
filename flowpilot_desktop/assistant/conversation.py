"""A conversation's messages as the screens see them (not ORM rows)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flowpilot_desktop.usage import Usage, UsageSummary, summarize
from storage.models import Message

INTERRUPTED = (
    "Interrupted: FlowPilot closed before this reply finished. What arrived is kept; Retry "
    "asks again."
)


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


def conversation_usage(messages: Iterable[ChatMessage]) -> UsageSummary:
    """Tokens, cost and cache figures of a conversation's replies (the screens have the
    messages already: no need to read them again)."""
    return summarize((m.usage, m.model) for m in messages if m.role == "assistant")


def to_chat_message(row: Message) -> ChatMessage:
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
        sent_unmasked=bool(row.sent_unmasked),
    )
