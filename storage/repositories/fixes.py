"""Suggested fixes: exactly one active per session; every write bumps state_version."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import FixStatus, ScriptTemplate, SessionSuggestedFix, utcnow
from storage.state_version import bump_state_version

_SAME_FIX_FIELDS = (
    "title",
    "description",
    "confidence",
    "template_id",
    "ai_drafted_script",
    "script_language",
    "ai_drafted_parameters",
)


def active_fix(session: Session, session_id: str) -> SessionSuggestedFix | None:
    return session.scalar(
        select(SessionSuggestedFix).where(
            SessionSuggestedFix.session_id == session_id,
            SessionSuggestedFix.superseded_at.is_(None),
        )
    )


def propose_fix(session: Session, session_id: str, **fields: Any) -> SessionSuggestedFix | None:
    """Make this the active fix, superseding the current one; None if it is already active.

    The same suggestion arriving again (a re-applied or regenerated reply) changes nothing,
    so a fix is never superseded twice by one suggestion.
    """
    template_id = fields.get("template_id")
    if template_id is not None and session.get(ScriptTemplate, template_id) is None:
        fields["template_id"] = None  # the assistant named a template this team does not have
    current = active_fix(session, session_id)
    if current is not None and all(
        getattr(current, name) == fields.get(name) for name in _SAME_FIX_FIELDS
    ):
        return None
    if current is not None:
        current.superseded_at = utcnow()
        session.flush()  # the partial unique index allows one active fix at a time
    fix = SessionSuggestedFix(session_id=session_id, **fields)
    session.add(fix)
    bump_state_version(session, session_id)
    return fix


def record_outcome_proposal(
    session: Session, session_id: str, fix_id: str, proposal: dict[str, Any]
) -> bool:
    """Store the assistant's outcome proposal on the active fix; False when it does not apply.

    Ignored for a fix that is not the active one, once the technician rejected a proposal for
    this fix, or when the same proposal is already stored.
    """
    fix = active_fix(session, session_id)
    if fix is None or fix.id != fix_id or fix.ai_outcome_proposal_rejected_at is not None:
        return False
    if fix.ai_outcome_proposal == proposal:
        return False
    fix.ai_outcome_proposal = proposal
    bump_state_version(session, session_id)
    return True


def get_fix(session: Session, session_id: str, fix_id: str) -> SessionSuggestedFix:
    fix = session.get(SessionSuggestedFix, fix_id)
    if fix is None or fix.session_id != session_id:
        raise LookupError(fix_id)
    return fix


def fix_history(session: Session, session_id: str) -> list[SessionSuggestedFix]:
    """Every fix of the session, newest first (the superseded ones are the history)."""
    return list(
        session.scalars(
            select(SessionSuggestedFix)
            .where(SessionSuggestedFix.session_id == session_id)
            .order_by(SessionSuggestedFix.created_at.desc(), SessionSuggestedFix.id)
        )
    )


def dismiss_fix(session: Session, session_id: str, fix: SessionSuggestedFix) -> None:
    """Dismiss the active fix: decision and status dismissed, superseded; bumps state_version."""
    now = utcnow()
    fix.user_decision = "dismissed"
    fix.status = FixStatus.DISMISSED
    fix.superseded_at = now
    bump_state_version(session, session_id)


RUNNING_DECISIONS = frozenset({"one_off", "draft_template"})  # these mean the script ran


def record_decision(
    session: Session, session_id: str, fix: SessionSuggestedFix, decision: str
) -> None:
    """Store how the technician chose to use the fix's script (SPEC §7); bumps state_version.

    Running decisions stamp ``applied_at`` when it is still unset; ``build_template`` does not.
    """
    fix.user_decision = decision
    if decision in RUNNING_DECISIONS and fix.applied_at is None:
        fix.applied_at = utcnow()
    bump_state_version(session, session_id)


def stamp_applied(session: Session, session_id: str, fix: SessionSuggestedFix) -> None:
    """The fix's script ran (Template Match "I ran this"): ``applied_at`` once; bumps."""
    if fix.applied_at is None:
        fix.applied_at = utcnow()
    bump_state_version(session, session_id)


def record_outcome(
    session: Session,
    session_id: str,
    fix: SessionSuggestedFix,
    outcome: FixStatus,
    notes: str | None,
) -> None:
    """Write an already validated outcome with its stamps; bumps state_version."""
    now = utcnow()
    fix.status = outcome
    if outcome == FixStatus.DISMISSED:
        fix.user_decision = "dismissed"
        fix.superseded_at = fix.superseded_at or now
    elif fix.applied_at is None:
        fix.applied_at = now
    if outcome in (FixStatus.APPLIED_SUCCESS, FixStatus.APPLIED_FAILED):
        fix.verified_at = now
    if outcome == FixStatus.APPLIED_PARTIAL:
        fix.partial_notes = notes
    elif outcome == FixStatus.APPLIED_PENDING:
        fix.pending_reason = notes
    elif outcome == FixStatus.APPLIED_FAILED and notes:
        fix.failure_reason = notes
    fix.ai_outcome_proposal = None
    bump_state_version(session, session_id)


@dataclass(frozen=True)
class FixSnapshot:
    """The fields an outcome, a dismissal or a proposal decision writes, as they stood.

    Taken before and after such a write so it can be undone exactly, and only while the fix
    still holds what the write left.
    """

    status: FixStatus
    user_decision: str | None
    superseded_at: datetime | None
    applied_at: datetime | None
    verified_at: datetime | None
    partial_notes: str | None
    failure_reason: str | None
    pending_reason: str | None
    ai_outcome_proposal: dict[str, Any] | None = field(hash=False)
    ai_outcome_proposal_rejected_at: datetime | None


_SNAPSHOT_FIELDS = tuple(FixSnapshot.__dataclass_fields__)


def snapshot(fix: SessionSuggestedFix) -> FixSnapshot:
    """The fix's outcome fields now (the proposal copied: the snapshot must not move)."""
    values = {name: getattr(fix, name) for name in _SNAPSHOT_FIELDS}
    values["status"] = FixStatus(values["status"])
    values["ai_outcome_proposal"] = copy.deepcopy(values["ai_outcome_proposal"])
    return FixSnapshot(**values)


def stored_snapshot(session: Session, fix: SessionSuggestedFix) -> FixSnapshot:
    """The snapshot as the database holds it (flushed and read back), so that a later
    comparison with the stored row is exact whatever the column types round to."""
    session.flush()
    session.refresh(fix, list(_SNAPSHOT_FIELDS))
    return snapshot(fix)


class RestoreRefused(StrEnum):
    """Why :func:`restore_fix` wrote nothing."""

    CHANGED = "changed"  # the fix no longer holds what the write being undone left
    ANOTHER_ACTIVE = "another_active"  # bringing it back would make two fixes active


def restore_fix(
    session: Session,
    session_id: str,
    fix: SessionSuggestedFix,
    before: FixSnapshot,
    after: FixSnapshot,
) -> RestoreRefused | None:
    """Undo one write: put ``before`` back if the fix still holds exactly ``after``.

    Returns None when restored (state_version bumped), else why nothing was written: a newer
    write is never overwritten, and a fix only becomes active again while no other one is.
    """
    if stored_snapshot(session, fix) != after:
        return RestoreRefused.CHANGED
    if before.superseded_at is None and fix.superseded_at is not None:
        current = active_fix(session, session_id)
        if current is not None and current.id != fix.id:
            return RestoreRefused.ANOTHER_ACTIVE
    for name in _SNAPSHOT_FIELDS:
        setattr(fix, name, copy.deepcopy(getattr(before, name)))
    bump_state_version(session, session_id)
    return None


def reject_outcome_proposal(session: Session, session_id: str, fix: SessionSuggestedFix) -> None:
    fix.ai_outcome_proposal = None
    fix.ai_outcome_proposal_rejected_at = utcnow()
    bump_state_version(session, session_id)
