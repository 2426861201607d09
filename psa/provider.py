"""The PSA provider interface: what FlowPilot needs from a ticketing system.

ConnectWise Manage is the one implementation (psa.connectwise); another PSA plugs in by
implementing this protocol. Everything is async and handed plain values: no storage here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class NoteKind(StrEnum):
    RESOLUTION = "resolution"  # customer-visible resolution note
    ESCALATION = "escalation"  # internal analysis, no notifications


@dataclass(frozen=True, kw_only=True)
class TicketSnapshot:
    """What the assistant and the technician see of the ticket: as the PSA returns it, and as
    a session keeps it (JSON, through ``to_dict`` and ``from_dict``).

    Every field has a default: a kept snapshot may come from an older row, or from demo data,
    that has only some of the keys.
    """

    ticket_id: int | None = None  # always set when fetched from the PSA
    summary: str = ""
    description: str = ""
    company: str = ""
    contact: str = ""
    board_id: int | None = None
    board: str = ""
    status_id: int | None = None
    status: str = ""
    closed: bool = False
    fetched_at: str | None = None  # when FlowPilot fetched it (ISO 8601, UTC), when known

    def to_dict(self) -> dict[str, Any]:
        """The JSON kept on the session (``fetched_at`` only when known)."""
        data: dict[str, Any] = {
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
        if self.fetched_at is not None:
            data["fetched_at"] = self.fetched_at
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TicketSnapshot:
        """A kept snapshot: missing keys take their defaults, unknown keys are ignored."""

        def text(key: str) -> str:
            value = data.get(key)
            return "" if value is None else str(value)

        def number(key: str) -> int | None:
            value = data.get(key)
            try:
                return None if value is None or value == "" else int(value)
            except (TypeError, ValueError):
                return None

        fetched_at = data.get("fetched_at")
        return cls(
            ticket_id=number("ticket_id"),
            summary=text("summary"),
            description=text("description"),
            company=text("company"),
            contact=text("contact"),
            board_id=number("board_id"),
            board=text("board"),
            status_id=number("status_id"),
            status=text("status"),
            closed=bool(data.get("closed", False)),
            fetched_at=None if fetched_at is None else str(fetched_at),
        )

    def map_text(self, change: Callable[[str], str]) -> TicketSnapshot:
        """The same snapshot with ``change`` applied to every text field (e.g. a scrubber)."""
        return replace(
            self,
            summary=change(self.summary),
            description=change(self.description),
            company=change(self.company),
            contact=change(self.contact),
            board=change(self.board),
            status=change(self.status),
            fetched_at=None if self.fetched_at is None else change(self.fetched_at),
        )


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


class BillableOption(StrEnum):
    """How ConnectWise bills a time entry (``billableOption``)."""

    BILLABLE = "Billable"
    DO_NOT_BILL = "DoNotBill"
    NO_CHARGE = "NoCharge"
    NO_DEFAULT = "NoDefault"


@dataclass(frozen=True)
class WorkOption:
    """A work type or work role from ConnectWise's live list; ``billable`` is a work type's
    own billing (its ``billTime``), empty for roles."""

    id: int
    name: str
    billable: str = ""


@dataclass(frozen=True, kw_only=True)
class TimeEntryRequest:
    """A time entry to charge to a service ticket; times are UTC, in whole seconds."""

    ticket_id: int
    member: str  # the ConnectWise member identifier the time is for
    time_start: datetime
    time_end: datetime
    work_type_id: int | None = None
    work_role_id: int | None = None
    billable: BillableOption | None = None
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class PostedTimeEntry:
    """A time entry as ConnectWise holds it (posted, found or read back)."""

    entry_id: int
    ticket_id: int | None
    member: str
    time_start: datetime | None
    time_end: datetime | None
    actual_hours: float | None
    work_type_id: int | None
    work_type: str
    work_role_id: int | None
    work_role: str
    billable: str
    notes: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


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

    async def member_identifier(self) -> str:
        """Whose work this is: the member set in Settings, else the API member."""
        ...

    async def work_types(self) -> list[WorkOption]:
        """The active work types, by name."""
        ...

    async def work_roles(self) -> list[WorkOption]:
        """The active work roles, by name."""
        ...

    async def post_time_entry(self, entry: TimeEntryRequest) -> PostedTimeEntry: ...

    async def find_time_entries(
        self, ticket_id: int, member: str, time_start: datetime
    ) -> list[PostedTimeEntry]:
        """The ticket's entries for this member starting then (after an ambiguous post)."""
        ...

    async def get_time_entry(self, entry_id: int) -> PostedTimeEntry | None:
        """The entry as ConnectWise holds it now; None when it is not there."""
        ...

    async def aclose(self) -> None: ...
