"""The team's template library as the Scripts view and the fix's script path use it.

Every write validates first (the template rules live in scripts.templates). Rendering returns
the script in clear for the technician to copy, and stores only a masked copy: sensitive
values never reach the database, and they are registered so logs and notes mask them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.logging_setup import register_secret
from flowpilot_desktop.scripts.templates import (
    Parameter,
    check_template,
    check_values,
    masked_values,
    parse_schema,
    render,
)
from storage.database import Database
from storage.repositories import sessions as session_repository
from storage.repositories import templates as repository
from storage.repositories.templates import TemplateRecord

__all__ = ["Rendered", "TemplateDraft", "TemplateLibrary", "TemplateRecord"]


@dataclass(frozen=True)
class TemplateDraft:
    """What the editor (or Templatize) submits."""

    name: str
    category: str  # a category name; "" = uncategorised
    description: str
    language: str
    body: str
    parameters: list[Parameter]
    source_session_id: str | None = None
    source_user_id: str | None = None
    source_ticket_ref: str | None = None


@dataclass(frozen=True)
class Rendered:
    script: str  # in clear: for the clipboard, never stored
    generation_id: str
    change: SessionChange | None  # the linked session's state moved


class TemplateLibrary:
    def __init__(self, database: Database) -> None:
        self._database = database

    async def categories(self) -> list[tuple[str, str]]:
        return await self._database.run(repository.list_categories)

    async def add_category(self, name: str) -> str:
        name = " ".join(name.split())
        if not name:
            raise UserFacingError("Give the category a name.")

        def write(s: Session) -> str:
            if repository.find_category(s, name) is not None:
                raise UserFacingError(f"There is already a category “{name}”.")
            return repository.create_category(s, name)

        return await self._database.run(write)

    async def templates(
        self, search: str = "", category_id: str | None = None
    ) -> list[TemplateRecord]:
        return await self._database.run(lambda s: repository.list_templates(s, search, category_id))

    async def get(self, template_id: str) -> TemplateRecord | None:
        return await self._database.run(lambda s: repository.get_template(s, template_id))

    async def save(self, draft: TemplateDraft, template_id: str | None = None) -> str:
        """Create or update; refused with every problem listed, or for an unknown category."""
        return await self._database.run(lambda s: save_template_in(s, draft, template_id))

    async def delete(self, template_id: str) -> None:
        def write(s: Session) -> None:
            try:
                repository.delete_template(s, template_id)
            except LookupError:
                raise UserFacingError("That template no longer exists.") from None

        await self._database.run(write)

    async def render(
        self, template_id: str, values: dict[str, Any], session_id: str | None = None
    ) -> Rendered:
        """Validate the values, render, record the generation (masked) for the session."""
        template = await self.get(template_id)
        if template is None:
            raise UserFacingError("That template no longer exists.")
        parameters = parse_schema(template.parameters_schema)
        clean = check_values(parameters, values)
        for parameter in parameters:
            if parameter.is_sensitive:
                register_secret(clean.get(parameter.name))
        script = render(template.body, clean)
        stored_values = masked_values(parameters, clean)
        stored_script = render(template.body, stored_values)

        def write(s: Session) -> tuple[str, SessionChange | None]:
            generation_id = repository.record_generation(
                s,
                template_id=template_id,
                ai_session_id=session_id,
                parameters=stored_values,
                rendered_script=stored_script,
            )
            if session_id is None:
                return generation_id, None
            summary = session_repository.get_session_summary(s, session_id)
            return generation_id, SessionChange.of(summary, ChangeKind.SCRIPTS)

        generation_id, change = await self._database.run(write)
        return Rendered(script, generation_id, change)


def save_template_in(s: Session, draft: TemplateDraft, template_id: str | None = None) -> str:
    """Validate and write a template inside the caller's unit of work (Templatize accepts a
    draft and closes it in the same transaction)."""
    name = " ".join(draft.name.split())
    if not name:
        raise UserFacingError("Give the template a name.")
    check_template(draft.body, draft.parameters, draft.language)
    category_id = None
    if draft.category.strip():
        category_id = repository.find_category(s, draft.category)
        if category_id is None:
            raise UserFacingError(
                f"There is no category “{draft.category.strip()}”. Pick one from the list "
                "or add it first."
            )
    fields: dict[str, Any] = {
        "name": name,
        "category_id": category_id,
        "description": draft.description.strip(),
        "language": draft.language,
        "body": draft.body,
        "parameters_schema": [p.to_dict() for p in draft.parameters],
    }
    if template_id is None:
        fields.update(
            source_session_id=draft.source_session_id,
            source_user_id=draft.source_user_id,
            source_ticket_ref=draft.source_ticket_ref,
        )
    try:
        return repository.save_template(s, template_id, **fields)
    except LookupError:
        raise UserFacingError("That template no longer exists.") from None
