"""Templatize after Resolve (SPEC §9): the session's draft templates, offered one at a time.

Accept creates a team template with provenance (source session, user, ticket) and closes the
draft in the same transaction, so a draft is promoted at most once; Skip rejects it. "Don't
ask again for this team" is the ``templatize_prompt_enabled`` preference (default on).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.preferences import PreferencesGateway
from flowpilot_desktop.scripts.library import TemplateDraft, save_template_in
from flowpilot_desktop.scripts.templates import PLACEHOLDER, parse_schema
from storage.database import Database
from storage.repositories import drafts as repository
from storage.repositories import sessions as session_repository
from storage.repositories.drafts import DraftRecord

__all__ = ["TEMPLATIZE_PROMPT", "DraftEdits", "DraftRecord", "DraftService"]

TEMPLATIZE_PROMPT = "templatize_prompt_enabled"


@dataclass(frozen=True)
class DraftEdits:
    name: str
    category: str
    description: str = ""
    # parameters taken out: each placeholder is replaced by this text in the body
    removed: dict[str, str] = field(default_factory=dict)


class DraftService:
    def __init__(self, database: Database, preferences: PreferencesGateway, user_id: str) -> None:
        self._database = database
        self._preferences = preferences
        self._user_id = user_id

    async def pending(self, session_id: str | None = None) -> list[DraftRecord]:
        """A session's pending drafts, or every one waiting for review (``None``)."""
        return await self._database.run(lambda s: repository.pending_drafts(s, session_id))

    async def pending_count(self) -> int:
        return await self._database.run(repository.pending_count)

    async def accept(self, draft_id: str, edits: DraftEdits) -> str:
        """The new template's id; refused for a closed draft, an unknown category or an
        invalid result (every problem listed)."""

        def write(s: Session) -> str:
            draft = _open_draft(s, draft_id)
            parameters = parse_schema(draft.parameters_schema)
            names = {p.name for p in parameters}
            body = draft.templated_body
            for name, text in edits.removed.items():
                if name not in names:
                    raise UserFacingError(f"“{name}” is not a parameter of this draft.")
                body = PLACEHOLDER.sub(_replace_placeholder(name, text), body)
            kept = [p for p in parameters if p.name not in edits.removed]
            summary = session_repository.get_session_summary(s, draft.session_id)
            template_id = save_template_in(
                s,
                TemplateDraft(
                    name=edits.name,
                    category=edits.category,
                    description=edits.description,
                    language=draft.language,
                    body=body,
                    parameters=kept,
                    source_session_id=draft.session_id,
                    source_user_id=self._user_id,
                    source_ticket_ref=summary.ticket_ref,
                ),
            )
            repository.close_draft(s, draft_id, "accepted", template_id)
            return template_id

        return await self._database.run(write)

    async def reject(self, draft_id: str) -> None:
        def write(s: Session) -> None:
            _open_draft(s, draft_id)
            repository.close_draft(s, draft_id, "rejected")

        await self._database.run(write)

    async def prompt_enabled(self) -> bool:
        return (await self._preferences.get_preferences()).get(TEMPLATIZE_PROMPT, True) is not False

    async def set_prompt_enabled(self, enabled: bool) -> None:
        await self._preferences.merge_preferences({TEMPLATIZE_PROMPT: enabled})


def _replace_placeholder(name: str, text: str) -> Callable[[re.Match[str]], str]:
    """For ``PLACEHOLDER.sub``: ``{{name}}`` becomes ``text``, other placeholders stay."""
    return lambda match: text if match.group(1) == name else match.group(0)


def _open_draft(s: Session, draft_id: str) -> DraftRecord:
    draft = repository.get_draft(s, draft_id)
    if draft is None:
        raise UserFacingError("That draft no longer exists.")
    if draft.status == "accepted":
        raise UserFacingError("This draft is already in the library; it is added once.")
    if draft.status == "rejected":
        raise UserFacingError("This draft was skipped, so it can't be accepted any more.")
    return draft
