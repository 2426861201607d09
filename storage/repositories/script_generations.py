"""Scripts generated for a session (their sensitive values are masked before they are stored)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ScriptGeneration, ScriptTemplate


def session_generations(session: Session, session_id: str) -> list[tuple[str, str]]:
    """(template name or "Script", rendered script) for the session, oldest first."""
    rows = session.execute(
        select(ScriptTemplate.name, ScriptGeneration.rendered_script)
        .outerjoin(ScriptTemplate, ScriptTemplate.id == ScriptGeneration.template_id)
        .where(ScriptGeneration.ai_session_id == session_id)
        .order_by(ScriptGeneration.created_at, ScriptGeneration.id)
    )
    return [(name or "Script", script) for name, script in rows]
