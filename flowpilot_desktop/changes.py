"""What a service write changed, so every screen can decide for itself whether to redraw.

Services return a SessionChange; one hub in ui/ re-emits it as a Qt signal (Anki's OpChanges
idea). No widget reaches into another to keep it up to date.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.repositories.sessions import SessionSummary


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
