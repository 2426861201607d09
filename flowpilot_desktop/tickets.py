"""The ConnectWise ticket behind a session: fetched, kept as a snapshot, shown and given to
the assistant as context (SPEC §4: summary, description, company, contact, board, status).

Fetching is best effort: offline or without ConnectWise set up, the session keeps its ticket
number and the snapshot is fetched later (when the session is opened again, or on Fetch).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.psa_access import PsaAccess
from psa.provider import TicketSnapshot as TicketSnapshot  # for the screens
from storage.database import Database
from storage.models import utcnow
from storage.repositories import sessions as repository
from storage.repositories.sessions import SessionSummary


def kept_snapshot(raw: Mapping[str, Any] | None) -> TicketSnapshot | None:
    """The snapshot a session keeps (its JSON), or None when none was fetched yet."""
    return TicketSnapshot.from_dict(raw) if raw else None


class TicketService:
    def __init__(self, database: Database, psa: PsaAccess) -> None:
        self._database = database
        self._psa = psa

    async def snapshot(self, session_id: str) -> TicketSnapshot | None:
        return kept_snapshot(
            await self._database.run(lambda s: repository.get_ticket_snapshot(s, session_id))
        )

    async def fetch(self, session_id: str) -> SessionChange:
        """Fetch the linked ticket and store its snapshot; PsaError says why not."""
        summary = await self._database.run(lambda s: repository.get_session_summary(s, session_id))
        if not summary.ticket_ref:
            raise UserFacingError("This session has no ConnectWise ticket linked.")
        async with self._psa.open() as provider:
            ticket = await provider.fetch_ticket(int(summary.ticket_ref))
        snapshot = replace(ticket, fetched_at=_iso(utcnow()))

        def write(s: Session) -> SessionSummary:
            repository.set_ticket_snapshot(s, session_id, snapshot.to_dict())
            return repository.get_session_summary(s, session_id)

        return SessionChange.of(await self._database.run(write), ChangeKind.TICKET)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
