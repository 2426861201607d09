"""Resolution notes and escalation packages composed locally: SPEC §9 headings, empty cases,
the outcome-aware Resolution paragraph, inputs that follow the session, and no secrets."""

from __future__ import annotations

import asyncio
import json

import pytest

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.conclusion.gather import gather_inputs
from flowpilot_desktop.conclusion.inputs import CheckInput, FixInput, NoteInputs
from flowpilot_desktop.conclusion.local_notes import (
    compose_escalation_package,
    compose_resolution_note,
    resolution_paragraph,
)
from flowpilot_desktop.logging_setup import register_secret
from flowpilot_desktop.task_lane_service import TaskLaneService
from flowpilot_desktop.tickets import TicketSnapshot
from storage.database import Database
from storage.models import ScriptGeneration
from storage.repositories.sessions import create_session


def _inputs(**overrides) -> NoteInputs:
    base = dict(
        session_id="s",
        state_version=1,
        title="Outlook prompts",
        ticket=TicketSnapshot(summary="Outlook asks for the password"),
    )
    return NoteInputs(**{**base, **overrides})


def test_resolution_note_has_the_four_sections_and_empty_cases() -> None:
    note = compose_resolution_note(_inputs())
    assert [line for line in note.splitlines() if line.startswith("## ")] == [
        "## Problem",
        "## What we confirmed",
        "## Root cause",
        "## Resolution",
    ]
    assert "Nothing confirmed yet." in note
    assert "Root cause not definitively isolated." in note


@pytest.mark.parametrize(
    ("status", "applied", "expected"),
    [
        ("applied_success", True, "Applied Clear the token; confirmed working."),
        ("applied_failed", True, "did not resolve the issue (still prompts)"),
        ("applied_partial", True, "in part: laptop only"),
        ("applied_pending", True, "provisional — awaiting verification (reboot tonight)"),
        ("proposed", False, "Resolution not yet applied — fix proposed: Clear the token."),
        ("proposed", True, "awaiting confirmation"),
    ],
)
def test_resolution_paragraph_follows_the_outcome(status, applied, expected) -> None:
    fix = FixInput(
        "Clear the token",
        "Remove cached creds",
        status,
        applied,
        None,
        "laptop only",
        "still prompts",
        "reboot tonight",
    )
    assert expected in resolution_paragraph(fix)


def test_escalation_package_sections_and_empty_cases() -> None:
    package = compose_escalation_package(_inputs())
    assert [line for line in package.splitlines() if line.startswith("## ")] == [
        "## Problem",
        "## What we've confirmed",
        "## What we've tried",
        "## Current hypothesis",
        "## Suggested next steps",
    ]
    assert "Nothing confirmed yet." in package and "No diagnostic actions run yet." in package


def test_escalation_lists_checks_with_what_they_showed_and_a_pending_fix_leads() -> None:
    fix = FixInput(
        "Reset WAM", "", "applied_pending", True, "one_off", pending_reason="user reboots tonight"
    )
    package = compose_escalation_package(
        _inputs(checks=(CheckInput("List credentials", "two stale entries"),), fix=fix)
    )
    assert "- List credentials — two stale entries" in package
    assert "Leading hypothesis (fix applied, awaiting verification): Reset WAM." in package


def test_the_parts_of_a_note_read_as_sentences_whatever_punctuation_they_came_with() -> None:
    """A summary ending in "?" or a fix title ending in "." gets no second full stop."""
    ticket = TicketSnapshot(
        summary="Why does Outlook ask for the password?", description="Since this morning."
    )
    worked = FixInput("Cleared the cached token.", "Removed stale entries", "applied_success", True)
    note = compose_resolution_note(_inputs(ticket=ticket, fix=worked))
    assert "Why does Outlook ask for the password? Since this morning." in note
    assert "Addressed by Cleared the cached token. Removed stale entries." in note
    bare = TicketSnapshot(summary="Outlook asks for the password", description="Since today.")
    assert "Outlook asks for the password. Since today." in compose_resolution_note(
        _inputs(ticket=bare)
    )
    proposed = FixInput("Clear the cached token.", "", "proposed", False)
    package = compose_escalation_package(_inputs(fix=proposed))
    assert "## Current hypothesis\n\nClear the cached token.\n\n" in package


def test_no_secret_reaches_a_note() -> None:
    secret = "Sup3r-Secret-Passw0rd"
    register_secret(secret)
    inputs = _inputs(
        facts=((f"The admin password is {secret}", "engineer_note"),),
        checks=(CheckInput("Try login", f"worked with {secret}"),),
        fix=FixInput(f"Reset to {secret}", "", "applied_success", True),
    )
    for note in (compose_resolution_note(inputs), compose_escalation_package(inputs)):
        assert secret not in note and "[secret #1]" in note


def test_inputs_follow_the_session_so_a_new_outcome_shows(engine) -> None:
    db = Database(engine)
    try:
        sid = db.run_sync(
            lambda s: create_session(s, user_id="tech", title="Outlook", ticket_ref="48213").id
        )
        reply = (
            "[SUGGEST_FIX]\n"
            + json.dumps({"title": "Clear the token", "script": "cmdkey /delete:x"})
            + "\n[/SUGGEST_FIX]"
        )
        db.run_sync(lambda s: apply_reply(s, sid, parse_reply(reply)))
        before = db.run_sync(lambda s: gather_inputs(s, sid))
        assert "fix proposed: Clear the token" in compose_resolution_note(before)

        async def nothing(_session_id, _item):
            return None

        service = TaskLaneService(db, nothing)
        fix_id = asyncio.run(service.state(sid)).active_fix.id
        asyncio.run(service.record_outcome(sid, fix_id, "applied_success"))
        after = db.run_sync(lambda s: gather_inputs(s, sid))
        assert after.state_version > before.state_version
        assert "Applied Clear the token; confirmed working." in compose_resolution_note(after)

        db.run_sync(
            lambda s: s.add(
                ScriptGeneration(
                    ai_session_id=sid,
                    parameters={"password": "•••"},
                    rendered_script="net user x •••",
                )
            )
        )
        scripts = db.run_sync(lambda s: gather_inputs(s, sid)).scripts
        assert [(r.name, r.script) for r in scripts] == [("Script", "net user x •••")]
    finally:
        db.close()
