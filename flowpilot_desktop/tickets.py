"""The ConnectWise ticket behind a session: fetched, kept as a snapshot, shown and given to
the assistant as context (SPEC §4: summary, description, company, contact, board, status).

Fetching is best effort: offline or without ConnectWise set up, the session keeps its ticket
number and the snapshot is fetched later (when the session is opened again, or on Fetch).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.psa_access import PsaAccess, PsaConfigError
from psa.provider import TicketSnapshot as TicketSnapshot  # for the screens
from storage.database import Database
from storage.models import utcnow
from storage.repositories import sessions as repository
from storage.repositories.sessions import SessionSummary

# How long a chat message waits for the linked ticket's first fetch before going without it.
TICKET_WAIT_S = 5.0


@dataclass(frozen=True)
class TicketForChat:
    """Whether the next request can carry the linked ticket (SPEC §4: the assistant reads the
    ticket before the first answer)."""

    change: SessionChange | None = None  # the snapshot was fetched just now, for the screens
    missing: str | None = None  # why the request goes without the ticket's details


def kept_snapshot(raw: Mapping[str, Any] | None) -> TicketSnapshot | None:
    """The snapshot a session keeps (its JSON), or None when none was fetched yet."""
    return TicketSnapshot.from_dict(raw) if raw else None


class TicketService:
    def __init__(self, database: Database, psa: PsaAccess) -> None:
        self._database = database
        self._psa = psa
        # one fetch per session at a time: the card's fetch and a waiting message share it
        self._fetching: dict[str, asyncio.Task[SessionChange]] = {}

    async def snapshot(self, session_id: str) -> TicketSnapshot | None:
        return kept_snapshot(
            await self._database.run(lambda s: repository.get_ticket_snapshot(s, session_id))
        )

    async def fetch(self, session_id: str) -> SessionChange:
        """Fetch the linked ticket and store its snapshot; PsaError says why not. Joins a
        fetch of the same session already under way."""
        task = self._fetching.get(session_id)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch(session_id))
            self._fetching[session_id] = task
            task.add_done_callback(lambda done: self._fetched(session_id, done))
        return await asyncio.shield(task)  # a waiter that gives up leaves the fetch running

    async def ready_for_chat(
        self,
        session_id: str,
        on_wait: Callable[[str], None] | None = None,
        *,
        wait_s: float = TICKET_WAIT_S,
    ) -> TicketForChat:
        """Make sure the linked ticket is stored before a request goes out: wait up to
        ``wait_s`` for its fetch (the one under way, or a new one), then give up and say why.
        ``on_wait`` hears what is awaited, only when there is a wait."""

        def read(s: Session) -> tuple[str | None, bool]:
            summary = repository.get_session_summary(s, session_id)
            return summary.ticket_ref, bool(repository.get_ticket_snapshot(s, session_id))

        ticket_ref, stored = await self._database.run(read)
        if not ticket_ref or stored:
            return TicketForChat()
        if on_wait is not None:
            on_wait(f"Reading ticket #{ticket_ref} from ConnectWise…")
        try:
            change = await asyncio.wait_for(self.fetch(session_id), wait_s)
        except TimeoutError:
            reason = f"ConnectWise did not answer within {wait_s:g} s"
        except PsaConfigError:
            reason = "ConnectWise is not set up in Settings"
        except Exception:  # the card shows the fetch's own error
            reason = "it could not be fetched (the ticket card says why)"
        else:
            return TicketForChat(change=change)
        return TicketForChat(missing=f"Sent without ticket #{ticket_ref}'s details: {reason}.")

    def _fetched(self, session_id: str, task: asyncio.Task[SessionChange]) -> None:
        if self._fetching.get(session_id) is task:
            del self._fetching[session_id]
        if not task.cancelled():
            task.exception()  # retrieved: a failure nobody waited for is not "never retrieved"

    async def _fetch(self, session_id: str) -> SessionChange:
        summary = await self._database.run(lambda s: repository.get_session_summary(s, session_id))
        if not summary.ticket_ref:
            raise UserFacingError("This session has no ConnectWise ticket linked.")
        async with self._psa.open() as provider:
            ticket = await provider.fetch_ticket(int(summary.ticket_ref))
        snapshot = stamped(ticket)

        def write(s: Session) -> SessionSummary:
            repository.set_ticket_snapshot(s, session_id, snapshot.to_dict())
            return repository.get_session_summary(s, session_id)

        return SessionChange.of(await self._database.run(write), ChangeKind.TICKET)


def stamped(ticket: TicketSnapshot) -> TicketSnapshot:
    """The ticket as read from ConnectWise just now (the card tells a fresh snapshot from an
    older one by this stamp)."""
    return replace(ticket, fetched_at=_iso(utcnow()))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # to the microsecond: tells two apart
