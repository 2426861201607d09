"""What a service write changed, so every screen can decide for itself whether to redraw.

Services return a SessionChange; one hub in ui/ re-emits it as a Qt signal (Anki's OpChanges
idea). No widget reaches into another to keep it up to date.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from storage.database import Database
from storage.repositories.sessions import SessionSummary, find_session_summary

log = logging.getLogger(__name__)


class ChangeKind(StrEnum):
    SESSION_CREATED = "session_created"
    SESSION_RENAMED = "session_renamed"
    SESSION_DELETED = "session_deleted"
    SESSION_RESTORED = "session_restored"
    # A chat turn ended: messages, and whatever its markers changed (facts, task lane, fix).
    ASSISTANT_TURN = "assistant_turn"
    FACTS = "facts"
    TASK_LANE = "task_lane"
    FIX = "fix"
    TICKET = "ticket"  # the linked ticket or its snapshot
    SYNC = "sync"  # concluded, or the PSA post moved on (queued, posted, failed)
    SCRIPTS = "scripts"  # a script generated for the session, or a draft template proposed


@dataclass(frozen=True, slots=True)
class SessionChange:
    """One write to one session: its id, its state_version after the write, what moved."""

    session_id: str
    state_version: int
    kinds: frozenset[ChangeKind]
    summary: SessionSummary | None = None

    @classmethod
    def of(cls, summary: SessionSummary, *kinds: ChangeKind) -> SessionChange:
        return cls(summary.id, summary.state_version, frozenset(kinds), summary)


class ChangeFeed:
    """Writes made in the background, not in answer to a request (the outbox worker moving a
    post on), as SessionChanges with a fresh summary for whoever listens. Built with the
    services and injected into the worker; the window subscribes."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._listeners: list[Callable[[SessionChange], None]] = []
        self._pending: set[asyncio.Task[None]] = set()

    def subscribe(self, listener: Callable[[SessionChange], None]) -> None:
        self._listeners.append(listener)

    def sync_moved(self, session_id: str) -> None:
        """A session's post moved on (queued, posting, posted, failed): announce it soon."""
        if not self._listeners:
            return
        task = asyncio.get_running_loop().create_task(self._announce(session_id))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _announce(self, session_id: str) -> None:
        summary = await self._database.run(lambda s: find_session_summary(s, session_id))
        if summary is None:
            return  # deleted meanwhile: nothing on screen to update
        change = SessionChange.of(summary, ChangeKind.SYNC)
        for listener in list(self._listeners):
            listener(change)
