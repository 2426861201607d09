"""The PSA provider interface: what FlowPilot needs from a ticketing system.

ConnectWise Manage is the one implementation (psa.connectwise); another PSA plugs in by
implementing this protocol. Everything is async and handed plain values: no storage here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class NoteKind(StrEnum):
    RESOLUTION = "resolution"  # customer-visible resolution note
    ESCALATION = "escalation"  # internal analysis, no notifications


@dataclass(frozen=True)
class TicketSnapshot:
    """What the assistant and the technician see of the ticket."""

    ticket_id: int
    summary: str
    description: str
    company: str
    contact: str
    board_id: int | None
    board: str
    status_id: int | None
    status: str
    closed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "summary": self.summary,
            "description": self.description,
            "company": self.company,
            "contact": self.contact,
            "board_id": self.board_id,
            "board": self.board,
            "status_id": self.status_id,
            "status": self.status,
            "closed": self.closed,
        }


@dataclass(frozen=True)
class BoardOption:
    id: int
    name: str


@dataclass(frozen=True)
class StatusOption:
    id: int
    name: str
    closed: bool = False
    inactive: bool = False


@dataclass(frozen=True)
class PostedNote:
    note_id: int
    text: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class VerifiedStatus:
    """The status the ticket really has after the change, read back from the PSA."""

    status_id: int
    status: str
    closed: bool


class PsaProvider(Protocol):
    async def test_connection(self) -> str:
        """A short description of who we are connected as; raises PsaError."""
        ...

    async def fetch_ticket(self, ticket_id: int) -> TicketSnapshot: ...

    async def boards(self) -> list[BoardOption]:
        """The active service boards, by name."""
        ...

    async def board_statuses(self, board_id: int) -> list[StatusOption]: ...

    async def post_note(self, ticket_id: int, text: str, kind: NoteKind) -> PostedNote: ...

    async def find_note(self, ticket_id: int, text: str) -> PostedNote | None:
        """A note with exactly this text already on the ticket (after an ambiguous post)."""
        ...

    async def move_status(self, ticket_id: int, status_id: int) -> VerifiedStatus:
        """Change the status, then read it back; StatusNotAppliedError when it did not move."""
        ...

    async def aclose(self) -> None: ...
