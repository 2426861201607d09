"""Applying a reply's markers: persisted, stable ids, idempotent, state_version bumped."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from storage.database import Database
from storage.models import AiSession, SessionSuggestedFix
from storage.repositories import facts, fixes
from storage.repositories.sessions import create_session, get_task_lane


def _block(name: str, payload: object) -> str:
    return f"[{name}]\n{json.dumps(payload)}\n[/{name}]"


@pytest.fixture
def session_id(db: Database) -> str:
    return db.run_sync(lambda s: create_session(s, user_id="tech", title="Outlook prompts").id)


def _apply(db: Database, session_id: str, reply: str, synthesized=None):
    return db.run_sync(lambda s: apply_reply(s, session_id, parse_reply(reply), synthesized))


def _version(db: Database, session_id: str) -> int:
    return db.run_sync(lambda s: s.get(AiSession, session_id).state_version)


REPLY = "\n".join(
    [
        "Looks like a stale token.",
        _block("QUESTIONS", [{"text": "Teams too?", "options": ["Yes", "No"]}]),
        _block("ACTIONS", [{"label": "List credentials", "command": "cmdkey /list"}]),
        _block("PROMOTE", {"text": "Webmail works.", "source_ref": None}),
        _block(
            "SUGGEST_FIX", {"title": "Clear token", "confidence": 70, "script": "cmdkey /delete:x"}
        ),
    ]
)


def test_markers_are_persisted_and_bump_state_version(db, session_id) -> None:
    applied = _apply(db, session_id, REPLY)
    assert applied.facts_added == 1 and applied.fix_proposed and applied.task_lane_changed
    lane = db.run_sync(lambda s: get_task_lane(s, session_id))
    assert [q["text"] for q in lane["questions"]] == ["Teams too?"]
    assert [a["command"] for a in lane["actions"]] == ["cmdkey /list"]
    fix = db.run_sync(lambda s: fixes.active_fix(s, session_id))
    assert fix.title == "Clear token" and fix.script_language == "powershell"
    assert fix.status == "proposed" and fix.applied_at is None
    assert _version(db, session_id) == 3, "one bump each for the lane, the fact and the fix"


def test_reapplying_the_same_reply_changes_nothing(db, session_id) -> None:
    _apply(db, session_id, REPLY)
    version = _version(db, session_id)
    lane_before = db.run_sync(lambda s: get_task_lane(s, session_id))
    again = _apply(db, session_id, REPLY)
    assert (again.facts_added, again.fix_proposed, again.task_lane_changed) == (0, False, False)
    assert _version(db, session_id) == version
    assert db.run_sync(lambda s: get_task_lane(s, session_id)) == lane_before
    all_fixes = db.run_sync(lambda s: s.scalars(select(SessionSuggestedFix)).all())
    assert len(all_fixes) == 1


def test_item_ids_are_stable_across_turns_by_exact_text(db, session_id) -> None:
    _apply(db, session_id, REPLY)
    first = db.run_sync(lambda s: get_task_lane(s, session_id))
    _apply(
        db,
        session_id,
        _block("QUESTIONS", [{"text": "Teams too?"}, {"text": "Which Office build?"}]),
    )
    second = db.run_sync(lambda s: get_task_lane(s, session_id))
    assert second["questions"][0]["id"] == first["questions"][0]["id"]
    assert second["questions"][1]["id"] not in {q["id"] for q in first["questions"]}
    assert second["actions"] == first["actions"], "no [ACTIONS] block keeps the checks"


def test_a_new_fix_supersedes_the_active_one(db, session_id) -> None:
    _apply(db, session_id, REPLY)
    _apply(db, session_id, _block("SUGGEST_FIX", {"title": "Repair Office", "confidence": 55}))
    rows = db.run_sync(
        lambda s: s.scalars(
            select(SessionSuggestedFix).order_by(SessionSuggestedFix.created_at)
        ).all()
    )
    assert [r.title for r in rows] == ["Clear token", "Repair Office"]
    assert rows[0].superseded_at is not None and rows[1].superseded_at is None


def test_outcome_is_only_a_proposal_and_only_for_the_active_fix(db, session_id) -> None:
    _apply(db, session_id, REPLY)
    fix_id = db.run_sync(lambda s: fixes.active_fix(s, session_id).id)
    stale = _apply(db, session_id, _block("FIX_OUTCOME", {"fix_id": "other", "outcome": "success"}))
    assert not stale.outcome_proposed
    applied = _apply(
        db,
        session_id,
        _block("FIX_OUTCOME", {"fix_id": fix_id, "outcome": "success", "reason": "works"}),
    )
    assert applied.outcome_proposed
    fix = db.run_sync(lambda s: fixes.active_fix(s, session_id))
    assert fix.ai_outcome_proposal == {"outcome": "success", "reason": "works"}
    assert fix.status == "proposed", "only the technician's confirmation changes the status"


def test_promotion_without_text_uses_synthesis_or_stays_unresolved(db, session_id) -> None:
    reply = _block("PROMOTE", {"source_ref": "q-1"})
    unresolved = _apply(db, session_id, reply)
    assert unresolved.facts_added == 0 and len(unresolved.unresolved_promotions) == 1
    resolved = _apply(db, session_id, reply, {"q-1": "The user sees prompts in Teams too."})
    assert resolved.facts_added == 1
    fact = db.run_sync(lambda s: facts.live_facts(s, session_id))[0]
    assert fact.source_ref == "q-1" and fact.source_type == "ai_promote"


def test_unknown_template_id_is_dropped_instead_of_failing(db, session_id) -> None:
    _apply(db, session_id, _block("SUGGEST_FIX", {"title": "Use template", "template_id": "nope"}))
    assert db.run_sync(lambda s: fixes.active_fix(s, session_id)).template_id is None
