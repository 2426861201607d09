"""Task lane service: facts, answers, promotion, dismissal and the fix outcome state machine."""

from __future__ import annotations

import asyncio
import json

import pytest

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.task_lane_service import TaskLaneService
from storage.database import Database
from storage.repositories.sessions import create_session


def _block(name: str, payload: object) -> str:
    return f"[{name}]\n{json.dumps(payload)}\n[/{name}]"


REPLY = "\n".join(
    [
        "Analysis.",
        _block("QUESTIONS", [{"text": "Does Teams prompt too?", "options": ["Yes", "No"]}]),
        _block("ACTIONS", [{"label": "List credentials", "command": "cmdkey /list"}]),
        _block("SUGGEST_FIX", {"title": "Clear token", "confidence": 70}),
    ]
)


@pytest.fixture
def session_id(db: Database) -> str:
    sid = db.run_sync(lambda s: create_session(s, user_id="tech", title="Outlook prompts").id)
    db.run_sync(lambda s: apply_reply(s, sid, parse_reply(REPLY)))
    return sid


def _service(
    db: Database, synthesized: str | None = "Teams prompts for the password too."
) -> TaskLaneService:
    async def synthesize(session_id, item):
        return synthesized

    return TaskLaneService(db, synthesize)


def run(coro):
    return asyncio.run(coro)


def test_state_shows_the_lane(db, session_id) -> None:
    state = run(_service(db).state(session_id))
    assert [q["text"] for q in state.questions] == ["Does Teams prompt too?"]
    assert [c["label"] for c in state.checks] == ["List credentials"]
    assert state.active_fix.title == "Clear token" and state.fix_history == ()


def test_notes_can_be_added_edited_deleted_and_restored(db, session_id) -> None:
    service = _service(db)
    before = run(service.state(session_id)).state_version
    added = run(service.add_note(session_id, "  Webmail   works "))
    assert added.state_version == before + 1
    fact = run(service.state(session_id)).facts[0]
    assert fact.text == "Webmail works" and fact.editable
    run(service.edit_fact(session_id, fact.id, "Webmail works in Edge"))
    assert run(service.state(session_id)).facts[0].text == "Webmail works in Edge"
    run(service.delete_fact(session_id, fact.id))
    assert run(service.state(session_id)).facts == ()
    restored = run(service.restore_fact(session_id, fact.id))
    assert restored.state_version == before + 4, "every fact write bumps state_version"
    with pytest.raises(UserFacingError, match="already"):
        run(service.add_note(session_id, "Webmail works in Edge"))
    with pytest.raises(UserFacingError, match="empty"):
        run(service.edit_fact(session_id, fact.id, "   "))


def test_facts_from_a_question_are_not_edited_directly(db, session_id) -> None:
    service = _service(db)
    question = run(service.state(session_id)).questions[0]
    run(service.record_answer(session_id, question["id"], "Yes"))
    run(service.promote(session_id, question["id"], "Teams prompts as well"))
    fact = run(service.state(session_id)).facts[0]
    assert (
        fact.source_type == "question" and fact.source_ref == question["id"] and not fact.editable
    )
    with pytest.raises(UserFacingError, match="edit that item instead"):
        run(service.edit_fact(session_id, fact.id, "changed"))


def test_promote_by_synthesis_and_when_synthesis_gives_nothing(db, session_id) -> None:
    check = run(_service(db).state(session_id)).checks[0]
    with pytest.raises(UserFacingError, match="Record the answer"):
        run(_service(db).promote(session_id, check["id"]))
    run(_service(db).record_answer(session_id, check["id"], "Two stale MicrosoftOffice entries"))
    lane_check = run(_service(db).state(session_id)).checks[0]
    assert lane_check["done"] and lane_check["result"] == "Two stale MicrosoftOffice entries"
    with pytest.raises(UserFacingError, match="Write the fact yourself"):
        run(_service(db, synthesized=None).promote(session_id, check["id"]))
    assert run(_service(db).state(session_id)).checks[0]["result"], "nothing is lost"
    run(_service(db).promote(session_id, check["id"]))
    fact = run(_service(db).state(session_id)).facts[0]
    assert (
        fact.text == "Teams prompts for the password too."
        and fact.source_type == "diagnostic_check"
    )


def test_dismiss_supersedes_and_a_superseded_fix_cannot_be_dismissed(db, session_id) -> None:
    service = _service(db)
    first = run(service.state(session_id)).active_fix
    db.run_sync(
        lambda s: apply_reply(
            s, session_id, parse_reply(_block("SUGGEST_FIX", {"title": "Repair Office"}))
        )
    )
    state = run(service.state(session_id))
    assert state.active_fix.title == "Repair Office" and [f.title for f in state.fix_history] == [
        "Clear token"
    ]
    with pytest.raises(UserFacingError, match="already replaced"):
        run(service.dismiss_fix(session_id, first.id))
    run(service.dismiss_fix(session_id, state.active_fix.id))
    state = run(service.state(session_id))
    assert state.active_fix is None and state.fix_history[0].status == "dismissed"


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (["applied_success"], True),
        (["applied_failed"], True),
        (["dismissed"], True),
        (["applied_partial", "applied_success"], True),
        (["applied_pending", "applied_failed"], True),
        (["applied_pending", "applied_pending"], True),
        (["applied_pending", "dismissed"], True),
        (["applied_success", "applied_failed"], False),
        (["applied_failed", "applied_partial"], False),
        (["dismissed", "applied_success"], False),
        (["applied_partial", "applied_pending"], False),
    ],
)
def test_outcome_transitions(db, session_id, path, allowed) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    *steps, last = path
    for step in steps:
        run(service.record_outcome(session_id, fix_id, step, "notes"))
    if allowed:
        run(service.record_outcome(session_id, fix_id, last, "notes"))
        state = run(service.state(session_id))
        fix = state.active_fix if last != "dismissed" else state.fix_history[0]
        assert fix.status == last
    else:
        with pytest.raises(UserFacingError, match="can't be marked"):
            run(service.record_outcome(session_id, fix_id, last, "notes"))


def test_outcome_stamps_and_required_notes(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    with pytest.raises(UserFacingError, match="partial needs notes"):
        run(service.record_outcome(session_id, fix_id, "applied_partial", " "))
    with pytest.raises(UserFacingError, match="needs a reason"):
        run(service.record_outcome(session_id, fix_id, "applied_pending"))
    version = run(service.state(session_id)).state_version
    run(service.record_outcome(session_id, fix_id, "applied_pending", "waiting for a reboot"))
    fix = run(service.state(session_id)).active_fix
    assert (
        fix.applied_at is not None
        and fix.verified_at is None
        and fix.pending_reason == "waiting for a reboot"
    )
    run(service.record_outcome(session_id, fix_id, "applied_success"))
    fix = run(service.state(session_id)).active_fix
    assert fix.status == "applied_success" and fix.verified_at is not None
    assert run(service.state(session_id)).state_version == version + 2


def test_outcome_proposal_confirmed_or_rejected_for_good(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    proposal = _block(
        "FIX_OUTCOME", {"fix_id": fix_id, "outcome": "success", "reason": "works now"}
    )
    db.run_sync(lambda s: apply_reply(s, session_id, parse_reply(proposal)))
    assert run(service.state(session_id)).active_fix.outcome_proposal["outcome"] == "success"
    run(service.reject_outcome_proposal(session_id, fix_id))
    assert run(service.state(session_id)).active_fix.outcome_proposal is None
    db.run_sync(lambda s: apply_reply(s, session_id, parse_reply(proposal)))
    assert run(service.state(session_id)).active_fix.outcome_proposal is None, "never returns"
    with pytest.raises(UserFacingError, match="no proposed outcome"):
        run(service.accept_outcome_proposal(session_id, fix_id))


def test_confirming_a_proposal_records_the_outcome(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    proposal = _block(
        "FIX_OUTCOME", {"fix_id": fix_id, "outcome": "failure", "reason": "still prompts"}
    )
    db.run_sync(lambda s: apply_reply(s, session_id, parse_reply(proposal)))
    run(service.accept_outcome_proposal(session_id, fix_id))
    fix = run(service.state(session_id)).active_fix
    assert fix.status == "applied_failed" and fix.failure_reason == "still prompts"
    assert fix.outcome_proposal is None


def test_running_the_drafted_script_once_stamps_applied_at(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    with pytest.raises(UserFacingError, match="no drafted script"):
        run(service.record_run(session_id, fix_id))
    scripted = _block(
        "SUGGEST_FIX",
        {
            "title": "Clear token",
            "confidence": 70,
            "script": "cmdkey /delete:x",
            "script_language": "batch",
        },
    )
    db.run_sync(lambda s: apply_reply(s, session_id, parse_reply(scripted)))
    fix = run(service.state(session_id)).active_fix
    assert fix.applied_at is None
    run(service.record_run(session_id, fix.id))
    fix = run(service.state(session_id)).active_fix
    assert fix.decision == "one_off" and fix.applied_at is not None and fix.status == "proposed"
    run(service.record_outcome(session_id, fix.id, "applied_success"))
    with pytest.raises(UserFacingError, match="final outcome"):
        run(service.record_run(session_id, fix.id))


def test_every_lane_write_bumps_state_version(db, session_id) -> None:
    service = _service(db)
    state = run(service.state(session_id))
    question, check, fix_id = state.questions[0], state.checks[0], state.active_fix.id
    proposal = _block("FIX_OUTCOME", {"fix_id": fix_id, "outcome": "success", "reason": "ok"})
    writes = [
        lambda: service.record_answer(session_id, question["id"], "Yes"),
        lambda: service.promote(session_id, question["id"], "Teams prompts too"),
        lambda: service.record_answer(session_id, check["id"], "two entries"),
        lambda: service.promote(session_id, check["id"]),
        lambda: service.reject_outcome_proposal(session_id, fix_id),
        lambda: service.record_outcome(session_id, fix_id, "applied_pending", "reboot"),
        lambda: service.dismiss_fix(session_id, fix_id),
    ]
    for index, write in enumerate(writes):
        if index == 4:
            db.run_sync(lambda s: apply_reply(s, session_id, parse_reply(proposal)))
        before = run(service.state(session_id)).state_version
        change = run(write())
        assert change.state_version == before + 1 == run(service.state(session_id)).state_version, (
            index
        )


def test_banner_mode_follows_the_fix(db, session_id) -> None:
    from flowpilot_desktop.fix_outcome import BannerMode
    from storage.repositories.messages import add_message

    service = _service(db)
    state = run(service.state(session_id))
    assert state.banner_mode is BannerMode.PROPOSED and state.messages_since_applied == 0
    fix_id = state.active_fix.id
    db.run_sync(lambda s: add_message(s, session_id, "user", content="before applying"))
    run(service.record_outcome(session_id, fix_id, "applied_pending", "reboot tonight"))
    assert run(service.state(session_id)).banner_mode is BannerMode.PENDING
    for n in range(3):
        db.run_sync(lambda s, n=n: add_message(s, session_id, "user", content=f"after {n}"))
    state = run(service.state(session_id))
    assert state.messages_since_applied == 3
    run(service.record_outcome(session_id, fix_id, "applied_success"))
    assert run(service.state(session_id)).banner_mode is BannerMode.HIDDEN


def test_a_fix_with_a_final_outcome_cannot_be_dismissed(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    run(service.record_outcome(session_id, fix_id, "applied_success"))
    with pytest.raises(UserFacingError, match="That outcome is final"):
        run(service.dismiss_fix(session_id, fix_id))
    assert run(service.state(session_id)).active_fix.status == "applied_success"


def test_a_resolved_session_asks_nothing_about_its_fix(db, session_id) -> None:
    """The banner (and the outcome actions that follow its mode) go quiet once resolved;
    an escalated session still asks, since tier 2 may report back."""
    from flowpilot_desktop.fix_outcome import BannerMode
    from storage.repositories.sessions import conclude_session

    service = _service(db)
    db.run_sync(
        lambda s: conclude_session(
            s, session_id, status="escalated", note_kind="escalation", text="x"
        )
    )
    assert run(service.state(session_id)).banner_mode is BannerMode.PROPOSED
    db.run_sync(
        lambda s: conclude_session(
            s, session_id, status="resolved_local", note_kind="resolution", text="x"
        )
    )
    assert run(service.state(session_id)).banner_mode is BannerMode.HIDDEN


def test_i_ran_this_on_a_template_fix_stamps_applied_at_without_a_decision(db, session_id) -> None:
    from storage.models import ScriptTemplate

    template_id = db.run_sync(
        lambda s: (
            s.add(t := ScriptTemplate(name="Reset", language="bash", body="x")),
            s.flush(),
            t.id,
        )[2]
    )
    suggested = _block(
        "SUGGEST_FIX", {"title": "Reset", "confidence": 60, "template_id": template_id}
    )
    db.run_sync(lambda s: apply_reply(s, session_id, parse_reply(suggested)))
    service = _service(db)
    before = run(service.state(session_id))
    run(service.record_run(session_id, before.active_fix.id))
    after = run(service.state(session_id))
    assert after.active_fix.applied_at is not None and after.active_fix.decision is None
    assert after.state_version == before.state_version + 1


# ---- Undo of a final outcome or a dismissal (Ctrl+Z)


def _stored(db: Database, fix_id: str):
    from storage.models import SessionSuggestedFix
    from storage.repositories.fixes import snapshot

    return db.run_sync(lambda s: snapshot(s.get(SessionSuggestedFix, fix_id)))


def _version(db: Database, session_id: str) -> int:
    return run(_service(db).state(session_id)).state_version


def test_undo_of_worked_restores_every_field_and_bumps_state_version(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    proposal = _block("FIX_OUTCOME", {"fix_id": fix_id, "outcome": "success", "reason": "ok"})
    db.run_sync(lambda s: apply_reply(s, session_id, parse_reply(proposal)))
    run(service.record_outcome(session_id, fix_id, "applied_pending", "reboot tonight"))
    original = _stored(db, fix_id)
    assert original.ai_outcome_proposal is None and original.pending_reason == "reboot tonight"

    done = run(service.record_outcome_undoable(session_id, fix_id, "applied_success"))
    assert done.final and done.before == original and done.after == _stored(db, fix_id)
    assert done.after.status == "applied_success" and done.after.verified_at is not None
    version = _version(db, session_id)
    assert done.change.state_version == version

    change = run(service.undo_fix_change(session_id, fix_id, done.before, done.after))
    assert change.state_version == version + 1 == _version(db, session_id)
    assert _stored(db, fix_id) == original, "every field exactly as before"
    state = run(service.state(session_id))
    assert state.banner_mode.value == "pending" and state.active_fix.verified_at is None


def test_undo_of_failed_with_a_reason_and_of_a_confirmed_proposal(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    original = _stored(db, fix_id)
    done = run(
        service.record_outcome_undoable(session_id, fix_id, "applied_failed", "still prompts")
    )
    assert _stored(db, fix_id).failure_reason == "still prompts"
    assert _stored(db, fix_id).applied_at is not None
    run(service.undo_fix_change(session_id, fix_id, done.before, done.after))
    assert _stored(db, fix_id) == original
    assert original.applied_at is None and original.failure_reason is None

    proposal = _block(
        "FIX_OUTCOME", {"fix_id": fix_id, "outcome": "failure", "reason": "no change"}
    )
    db.run_sync(lambda s: apply_reply(s, session_id, parse_reply(proposal)))
    proposed = _stored(db, fix_id)
    confirmed = run(service.accept_outcome_proposal_undoable(session_id, fix_id))
    assert confirmed.final and confirmed.after.ai_outcome_proposal is None
    run(service.undo_fix_change(session_id, fix_id, confirmed.before, confirmed.after))
    assert _stored(db, fix_id) == proposed
    assert run(service.state(session_id)).active_fix.outcome_proposal["reason"] == "no change"


def test_undo_of_dismiss_makes_the_fix_active_again(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    original = _stored(db, fix_id)
    done = run(service.dismiss_fix_undoable(session_id, fix_id))
    assert done.final and done.after.status == "dismissed" and done.after.superseded_at
    assert run(service.state(session_id)).active_fix is None
    run(service.undo_fix_change(session_id, fix_id, done.before, done.after))
    state = run(service.state(session_id))
    assert state.active_fix.id == fix_id and state.fix_history == ()
    assert _stored(db, fix_id) == original and original.user_decision is None


def test_undo_after_another_outcome_is_refused_and_changes_nothing(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    parked = run(service.record_outcome_undoable(session_id, fix_id, "applied_pending", "wait"))
    run(service.record_outcome(session_id, fix_id, "applied_success"))
    stored, version = _stored(db, fix_id), _version(db, session_id)
    with pytest.raises(UserFacingError, match="changed since"):
        run(service.undo_fix_change(session_id, fix_id, parked.before, parked.after))
    assert _stored(db, fix_id) == stored and _version(db, session_id) == version


def test_undo_after_a_new_fix_superseded_it_is_refused(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    done = run(service.record_outcome_undoable(session_id, fix_id, "applied_failed"))
    newer = _block("SUGGEST_FIX", {"title": "Repair Office", "confidence": 50})
    db.run_sync(lambda s: apply_reply(s, session_id, parse_reply(newer)))
    version = _version(db, session_id)
    with pytest.raises(UserFacingError, match="changed since"):
        run(service.undo_fix_change(session_id, fix_id, done.before, done.after))
    state = run(service.state(session_id))
    assert state.active_fix.title == "Repair Office" and state.state_version == version


def test_undo_of_dismiss_after_a_new_fix_became_active_is_refused(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    done = run(service.dismiss_fix_undoable(session_id, fix_id))
    newer = _block("SUGGEST_FIX", {"title": "Repair Office", "confidence": 50})
    db.run_sync(lambda s: apply_reply(s, session_id, parse_reply(newer)))
    stored, version = _stored(db, fix_id), _version(db, session_id)
    with pytest.raises(UserFacingError, match="suggested another fix"):
        run(service.undo_fix_change(session_id, fix_id, done.before, done.after))
    state = run(service.state(session_id))
    assert state.active_fix.title == "Repair Office" and state.state_version == version
    assert _stored(db, fix_id) == stored


def test_undo_twice_is_refused(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    done = run(service.record_outcome_undoable(session_id, fix_id, "applied_success"))
    run(service.undo_fix_change(session_id, fix_id, done.before, done.after))
    version = _version(db, session_id)
    with pytest.raises(UserFacingError, match="changed since"):
        run(service.undo_fix_change(session_id, fix_id, done.before, done.after))
    assert _version(db, session_id) == version
    assert run(service.state(session_id)).active_fix.status == "proposed"


def test_undo_is_refused_once_the_session_is_resolved(db, session_id) -> None:
    from storage.repositories.sessions import conclude_session

    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    done = run(service.record_outcome_undoable(session_id, fix_id, "applied_success"))
    db.run_sync(
        lambda s: conclude_session(
            s, session_id, status="resolved_local", note_kind="resolution", text="x"
        )
    )
    with pytest.raises(UserFacingError, match="resolved"):
        run(service.undo_fix_change(session_id, fix_id, done.before, done.after))
    assert run(service.state(session_id)).active_fix.status == "applied_success"


def test_parked_outcomes_are_not_final(db, session_id) -> None:
    service = _service(db)
    fix_id = run(service.state(session_id)).active_fix.id
    parked = run(service.record_outcome_undoable(session_id, fix_id, "applied_partial", "half"))
    assert not parked.final and parked.change.state_version == _version(db, session_id)
