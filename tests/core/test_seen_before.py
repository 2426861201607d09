"""Seen before (issue 19): past resolved sessions like this one with the fix applied and its
confirmed record; a confirmed outcome ranks first, a dismissed fix never shows; the assistant
gets the matches in the per-turn context, never in the cached prefix."""

from __future__ import annotations

import asyncio
import json

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.task_lane_service import TaskLaneService
from storage.database import Database
from storage.models import AiSession, FixStatus, utcnow
from storage.repositories import facts, fixes
from storage.repositories.sessions import create_session, set_ticket_snapshot
from storage.seen_before import describe_record, similar_resolved

USER = "tech"


def _past(
    db: Database,
    title: str,
    fix_title: str,
    status: FixStatus,
    *,
    summary: str = "Printer offline, queue stuck",
    company: str = "Calder",
    resolved: bool = True,
    user: str = USER,
) -> str:
    sid = db.run_sync(lambda s: create_session(s, user_id=user, title=title, ticket_ref=None).id)
    db.run_sync(lambda s: set_ticket_snapshot(s, sid, {"summary": summary, "company": company}))
    marker = f"[SUGGEST_FIX]\n{json.dumps({'title': fix_title})}\n[/SUGGEST_FIX]"
    db.run_sync(lambda s: apply_reply(s, sid, parse_reply(marker)))

    def settle(s) -> None:
        fix = fixes.active_fix(s, sid)
        fix.status = status
        if status is not FixStatus.DISMISSED:
            fix.applied_at = utcnow()
        s.get(AiSession, sid).status = "resolved" if resolved else "active"

    db.run_sync(settle)
    return sid


def _current(db: Database) -> str:
    sid = db.run_sync(lambda s: create_session(s, user_id=USER, title="Floor 3 printer").id)
    db.run_sync(
        lambda s: set_ticket_snapshot(
            s, sid, {"summary": "Printer offline again", "company": "Calder"}
        )
    )
    db.run_sync(
        lambda s: facts.add_fact(s, sid, "The print queue holds stuck jobs", "engineer_note")
    )
    return sid


def test_a_confirmed_fix_ranks_above_an_unconfirmed_one_and_dismissed_never_shows(db) -> None:
    pending = _past(
        db, "Printer offline in sales", "Power-cycle the printer", FixStatus.APPLIED_PENDING
    )
    worked = _past(
        db, "Printer offline at reception", "Clear the spooler queue", FixStatus.APPLIED_SUCCESS
    )
    _past(db, "Printer offline upstairs", "Replace the toner", FixStatus.DISMISSED)
    _past(
        db, "Printer offline, not resolved", "Reinstall", FixStatus.APPLIED_SUCCESS, resolved=False
    )
    _past(db, "Printer offline, someone else", "Reboot", FixStatus.APPLIED_SUCCESS, user="other")
    _past(
        db,
        "VPN drops",
        "Renew the cert",
        FixStatus.APPLIED_SUCCESS,
        summary="Tunnel resets",
        company="Ashby",
    )
    current = _current(db)
    found = asyncio.run(TaskLaneService(db, None).seen_before(current))
    assert [p.session_id for p in found] == [worked, pending]
    assert found[0].fix_title == "Clear the spooler queue" and found[0].confirmed
    assert found[0].record == "worked 1 of 1"
    assert not found[1].confirmed and found[1].record == "outcome not confirmed"


def test_the_record_counts_the_same_fix_across_sessions(db) -> None:
    for n, status in enumerate(
        (FixStatus.APPLIED_SUCCESS, FixStatus.APPLIED_SUCCESS, FixStatus.APPLIED_FAILED)
    ):
        _past(db, f"Printer offline {n}", "Clear the spooler queue", status)
    current = _current(db)
    (first, *_rest) = db.run_sync(lambda s: similar_resolved(s, current))
    assert first.record == "worked 2 of 3, failed once"


def test_a_fix_that_worked_there_comes_before_one_that_failed(db) -> None:
    """Even when the failed one resembles the session more closely."""
    failed = _past(
        db,
        "Floor 3 printer offline again",
        "Reinstall the driver",
        FixStatus.APPLIED_FAILED,
        summary="Printer offline again: the print queue holds stuck jobs",
    )
    worked = _past(
        db, "Reception", "Clear the queue", FixStatus.APPLIED_SUCCESS, summary="Printer down"
    )
    current = _current(db)
    found = db.run_sync(lambda s: similar_resolved(s, current))
    assert [p.session_id for p in found] == [worked, failed]


def test_describe_record() -> None:
    from collections import Counter

    assert describe_record(Counter({"applied_success": 3})) == "worked 3 of 3"
    assert describe_record(Counter({"applied_failed": 2})) == "failed twice"
    assert describe_record(Counter()) == "outcome not confirmed"


def test_the_assistant_gets_the_matches_in_the_turn_not_the_cached_prefix(
    db, make_chat, api
) -> None:
    _past(db, "Printer offline at reception", "Clear the spooler queue", FixStatus.APPLIED_SUCCESS)
    current = _current(db)
    chat = make_chat()
    api.enqueue("Let's check the queue.")
    asyncio.run(chat.send(current, "Printer is offline"))
    body = api.message_requests[-1].body
    assert "Clear the spooler queue" not in json.dumps(body["system"])
    context = body["messages"][-1]["content"][0]["text"]
    assert "Seen before" in context
    assert (
        "“Printer offline at reception”: fix “Clear the spooler queue” — worked 1 of 1" in context
    )


def test_nothing_resembles_a_session_without_words(db) -> None:
    sid = db.run_sync(lambda s: create_session(s, user_id=USER, title="x").id)
    assert db.run_sync(lambda s: similar_resolved(s, sid)) == []
