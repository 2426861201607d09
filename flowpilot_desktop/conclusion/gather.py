"""Read a session's NoteInputs in one database unit (one state_version)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from flowpilot_desktop.conclusion.inputs import CheckInput, FixInput, NoteInputs, ScriptRun
from flowpilot_desktop.tickets import kept_snapshot
from storage.repositories import facts, fixes, script_generations
from storage.repositories import sessions as session_repository


def gather_inputs(s: Session, session_id: str) -> NoteInputs:
    summary = session_repository.get_session_summary(s, session_id)
    lane = session_repository.get_task_lane(s, session_id) or {}
    fix = fixes.active_fix(s, session_id)
    return NoteInputs(
        session_id=session_id,
        state_version=summary.state_version,
        title=summary.title,
        ticket=kept_snapshot(session_repository.get_ticket_snapshot(s, session_id)),
        facts=tuple((f.text, f.source_type) for f in facts.live_facts(s, session_id)),
        checks=tuple(
            CheckInput(str(a.get("label") or ""), str(a["result"]))
            for a in lane.get("actions") or []
            if a.get("result")
        ),
        fix=None
        if fix is None
        else FixInput(
            title=fix.title,
            description=fix.description,
            status=fix.status,
            applied=fix.applied_at is not None,
            decision=fix.user_decision,
            partial_notes=fix.partial_notes,
            failure_reason=fix.failure_reason,
            pending_reason=fix.pending_reason,
        ),
        scripts=tuple(
            ScriptRun(name, script)
            for name, script in script_generations.session_generations(s, session_id)
        ),
    )
