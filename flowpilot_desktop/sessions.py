"""Triage sessions: create, rename, delete (soft, undoable) and list them."""

from __future__ import annotations

import re

from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.errors import UserFacingError
from storage.database import Database
from storage.repositories import sessions as repository
from storage.repositories.sessions import SessionSummary
from storage.search import SNIPPET_END, SNIPPET_START, SearchHit, search_index_for

__all__ = [
    "SNIPPET_END",
    "SNIPPET_START",
    "SearchHit",
    "SessionService",
    "SessionSummary",
    "clean_title",
    "parse_ticket_ref",
]

TITLE_MAX_LENGTH = 300
_TICKET_PATTERN = re.compile(r"#?\s*(\d{1,12})")


def parse_ticket_ref(text: str) -> str | None:
    """A ConnectWise ticket number from what the technician typed: "12345" or "#12345".

    Blank means no ticket. Anything else is refused with a message saying what is expected.
    """
    stripped = text.strip()
    if not stripped:
        return None
    match = _TICKET_PATTERN.fullmatch(stripped)
    if match is None:
        raise UserFacingError(
            f"“{stripped}” is not a ticket number. Type the ConnectWise ticket number, "
            "digits only, like 12345 or #12345 — or leave it empty."
        )
    return str(int(match.group(1)))


def clean_title(title: str, ticket_ref: str | None = None) -> str:
    """The title to store: trimmed, one line; a ticket-only session is named after its ticket."""
    cleaned = " ".join(title.split())
    if not cleaned:
        if ticket_ref is None:
            raise UserFacingError("Give the session a title or a ticket number.")
        cleaned = f"Ticket #{ticket_ref}"
    if len(cleaned) > TITLE_MAX_LENGTH:
        raise UserFacingError(
            f"The title is {len(cleaned)} characters long; keep it under {TITLE_MAX_LENGTH}."
        )
    return cleaned


SEARCH_LIMIT = 200  # sessions a search lists


class SessionService:
    """The session list of one technician (``user_id``) in one database."""

    def __init__(self, database: Database, user_id: str) -> None:
        self._database = database
        self.user_id = user_id
        self._search_index = search_index_for(database.engine.dialect.name)

    async def search(self, query: str, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
        """The sessions matching every word typed — in the title, the ticket (number, summary,
        description, company, contact), facts, messages, fixes and posted notes — best first,
        each with where it matched and a snippet (terms between SNIPPET_START and _END)."""
        index = self._search_index
        return await self._database.run(lambda s: index.search(s, self.user_id, query, limit))

    async def list_sessions(self) -> list[SessionSummary]:
        return await self._database.run(
            lambda s: repository.list_session_summaries(s, self.user_id)
        )

    async def get(self, session_id: str) -> SessionSummary:
        return await self._database.run(lambda s: repository.get_session_summary(s, session_id))

    async def create(self, title: str, ticket: str = "") -> SessionChange:
        ticket_ref = parse_ticket_ref(ticket)
        cleaned = clean_title(title, ticket_ref)
        summary = await self._database.run(
            lambda s: repository.create_session(
                s, user_id=self.user_id, title=cleaned, ticket_ref=ticket_ref
            )
        )
        return SessionChange.of(summary, ChangeKind.SESSION_CREATED)

    async def rename(self, session_id: str, title: str) -> SessionChange:
        cleaned = clean_title(title)
        summary = await self._database.run(
            lambda s: repository.rename_session(s, session_id, cleaned)
        )
        return SessionChange.of(summary, ChangeKind.SESSION_RENAMED)

    async def delete(self, session_id: str) -> SessionChange:
        """Soft delete: the session leaves the list and can be restored."""
        summary = await self._database.run(lambda s: repository.soft_delete_session(s, session_id))
        return SessionChange.of(summary, ChangeKind.SESSION_DELETED)

    async def restore(self, session_id: str) -> SessionChange:
        summary = await self._database.run(lambda s: repository.restore_session(s, session_id))
        return SessionChange.of(summary, ChangeKind.SESSION_RESTORED)
