"""Apply a parsed reply to the session: task lane, facts, suggested fix, outcome proposal.

Runs inside one unit of work. Idempotent: applying the same reply again (or a regenerated
reply with the same markers) adds no fact twice and supersedes no fix twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from flowpilot_desktop.assistant.markers import ParsedReply, PromoteMarker
from flowpilot_desktop.assistant.task_lane import merge_task_lane, stored_task_lane
from storage.repositories import facts, fixes
from storage.repositories import sessions as session_repository


@dataclass(frozen=True)
class AppliedReply:
    facts_added: int = 0
    fix_proposed: bool = False
    outcome_proposed: bool = False
    task_lane_changed: bool = False
    # [PROMOTE] blocks that name an item but carry no text, and no synthesis was given.
    unresolved_promotions: tuple[PromoteMarker, ...] = ()


def apply_reply(
    session: Session,
    session_id: str,
    parsed: ParsedReply,
    synthesized: Mapping[str, str] | None = None,
) -> AppliedReply:
    synthesized = synthesized or {}
    previous_lane = stored_task_lane(session_repository.get_task_lane(session, session_id))
    lane = merge_task_lane(previous_lane, parsed)
    lane_changed = lane != (previous_lane or {"questions": [], "actions": []})
    if lane_changed:
        session_repository.set_task_lane(session, session_id, lane)

    added = 0
    unresolved: list[PromoteMarker] = []
    for promotion in parsed.promotions:
        text = promotion.text or synthesized.get(promotion.source_ref or "")
        if not text:
            unresolved.append(promotion)
            continue
        if facts.add_fact(session, session_id, text, "ai_promote", promotion.source_ref):
            added += 1

    fix_proposed = False
    if parsed.suggested_fix is not None:
        marker = parsed.suggested_fix
        fix_proposed = (
            fixes.propose_fix(
                session,
                session_id,
                title=marker.title,
                description=marker.description,
                confidence=marker.confidence,
                template_id=marker.template_id,
                ai_drafted_script=marker.script,
                script_language=marker.language or ("powershell" if marker.script else None),
                ai_drafted_parameters=marker.parameters or None,
            )
            is not None
        )

    outcome_proposed = False
    if parsed.fix_outcome is not None:
        outcome = parsed.fix_outcome
        outcome_proposed = fixes.record_outcome_proposal(
            session,
            session_id,
            outcome.fix_id,
            {"outcome": outcome.outcome, "reason": outcome.reason},
        )
    return AppliedReply(added, fix_proposed, outcome_proposed, lane_changed, tuple(unresolved))
