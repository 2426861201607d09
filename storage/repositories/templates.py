"""The team's template library: categories, templates and the scripts rendered from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from storage.models import ScriptGeneration, ScriptTemplate, TemplateCategory
from storage.state_version import bump_state_version


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    id: str
    name: str
    category_id: str | None
    category: str | None
    description: str
    language: str
    body: str
    parameters_schema: list[dict[str, Any]]
    source_session_id: str | None
    source_user_id: str | None
    source_ticket_ref: str | None
    updated_at: datetime
    uses: int  # scripts generated from it


def list_categories(session: Session) -> list[tuple[str, str]]:
    """(id, name), by name."""
    rows = session.execute(
        select(TemplateCategory.id, TemplateCategory.name).order_by(
            func.lower(TemplateCategory.name)
        )
    )
    return [(row.id, row.name) for row in rows]


def find_category(session: Session, name: str) -> str | None:
    return session.scalar(
        select(TemplateCategory.id).where(func.lower(TemplateCategory.name) == name.strip().lower())
    )


def create_category(session: Session, name: str) -> str:
    category = TemplateCategory(name=name.strip())
    session.add(category)
    session.flush()
    return category.id


def list_templates(
    session: Session, search: str = "", category_id: str | None = None, limit: int | None = None
) -> list[TemplateRecord]:
    query = _records()
    if category_id is not None:
        query = query.where(ScriptTemplate.category_id == category_id)
    for word in search.split():
        pattern = f"%{word.lower()}%"
        query = query.where(
            or_(
                func.lower(ScriptTemplate.name).like(pattern),
                func.lower(ScriptTemplate.description).like(pattern),
                func.lower(func.coalesce(TemplateCategory.name, "")).like(pattern),
            )
        )
    query = query.order_by(func.lower(ScriptTemplate.name)).limit(limit)
    return [TemplateRecord(*row) for row in session.execute(query)]


def get_template(session: Session, template_id: str) -> TemplateRecord | None:
    row = session.execute(_records().where(ScriptTemplate.id == template_id)).first()
    return TemplateRecord(*row) if row is not None else None


def save_template(session: Session, template_id: str | None, **fields: Any) -> str:
    """Create (``template_id`` None) or update a template; returns its id."""
    if template_id is None:
        template = ScriptTemplate(**fields)
        session.add(template)
    else:
        found = session.get(ScriptTemplate, template_id)
        if found is None:
            raise LookupError(template_id)
        template = found
        for key, value in fields.items():
            setattr(template, key, value)
    session.flush()
    return template.id


def delete_template(session: Session, template_id: str) -> None:
    template = session.get(ScriptTemplate, template_id)
    if template is None:
        raise LookupError(template_id)
    session.delete(template)
    session.flush()


def record_generation(
    session: Session,
    *,
    template_id: str | None,
    ai_session_id: str | None,
    parameters: dict[str, Any],
    rendered_script: str,
) -> str:
    """Store a rendered script (values already masked); a linked session's state moves."""
    generation = ScriptGeneration(
        template_id=template_id,
        ai_session_id=ai_session_id,
        parameters=parameters,
        rendered_script=rendered_script,
    )
    session.add(generation)
    session.flush()
    if ai_session_id is not None:
        bump_state_version(session, ai_session_id)
    return generation.id


def _records() -> Select[*tuple[Any, ...]]:
    uses = (
        select(func.count(ScriptGeneration.id))
        .where(ScriptGeneration.template_id == ScriptTemplate.id)
        .correlate(ScriptTemplate)
        .scalar_subquery()
    )
    return select(
        ScriptTemplate.id,
        ScriptTemplate.name,
        ScriptTemplate.category_id,
        TemplateCategory.name,
        ScriptTemplate.description,
        ScriptTemplate.language,
        ScriptTemplate.body,
        ScriptTemplate.parameters_schema,
        ScriptTemplate.source_session_id,
        ScriptTemplate.source_user_id,
        ScriptTemplate.source_ticket_ref,
        ScriptTemplate.updated_at,
        uses,
    ).outerjoin(TemplateCategory, TemplateCategory.id == ScriptTemplate.category_id)
