"""The Script Builder service (SPEC §10) on the real database, its answers streamed from the
Messages API emulator: get-or-create, ask, the script of an answer, Submit onto the fix, the
standalone cap."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import func, select

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.scripts.builder import (
    STANDALONE_CAP,
    BuilderCapError,
    ScriptBuilderService,
    parse_script_reply,
)
from flowpilot_desktop.scripts.fix_script import FixScriptService
from storage.database import Database
from storage.models import ScriptBuilderSession
from storage.repositories import fixes
from storage.repositories import script_builder as repository
from storage.repositories.sessions import create_session, get_session_summary
from tests.anthropic_emulator import ScriptedReply

USER = "tech"
ANSWER = (
    "This clears the saved Outlook credentials for the user.\n\n"
    "```powershell\nparam([string]$UserName)\n$ErrorActionPreference = 'Stop'\n"
    "cmdkey /list | Select-String $UserName\n```\n\n"
    '```parameters\n{"UserName": "pat.smith"}\n```'
)


def _session_with_fix(db: Database, script: str | None = None) -> tuple[str, str]:
    sid = db.run_sync(
        lambda s: create_session(s, user_id=USER, title="Outlook prompts", ticket_ref="5123").id
    )
    payload = {"title": "Clear the cached credentials", "language": "powershell"}
    if script:
        payload["script"] = script
    db.run_sync(
        lambda s: apply_reply(
            s, sid, parse_reply("[SUGGEST_FIX]\n" + json.dumps(payload) + "\n[/SUGGEST_FIX]")
        )
    )
    return sid, db.run_sync(lambda s: fixes.active_fix(s, sid).id)


@pytest.fixture
def builder(db: Database, make_chat) -> ScriptBuilderService:
    chat = make_chat(key="sk-ant-builder")
    return ScriptBuilderService(db, USER, chat.write_script)


def test_get_or_create_is_idempotent_and_only_for_the_owner(db, builder) -> None:
    sid, _fix = _session_with_fix(db)
    first = asyncio.run(builder.inline(sid))
    again = asyncio.run(builder.inline(sid))
    assert first.id == again.id and first.origin == "pilot_inline"
    count = db.run_sync(lambda s: s.scalar(select(func.count()).select_from(ScriptBuilderSession)))
    assert count == 1
    # a racing create (the row exists when the insert runs) ends with the one row too
    row_id = db.run_sync(lambda s: repository.get_or_create_inline(s, USER, sid).id)
    assert row_id == first.id
    with pytest.raises(UserFacingError, match="no longer there"):
        asyncio.run(ScriptBuilderService(db, "someone-else", builder._write_script).inline(sid))


def test_the_unique_index_holds_one_inline_builder_per_user_and_session(db) -> None:
    sid, _fix = _session_with_fix(db)

    def two(s) -> None:
        s.add(ScriptBuilderSession(user_id=USER, origin="pilot_inline", ai_session_id=sid))
        s.add(ScriptBuilderSession(user_id=USER, origin="pilot_inline", ai_session_id=sid))
        s.flush()

    with pytest.raises(Exception, match="UNIQUE"):
        db.run_sync(two)


def test_ask_streams_saves_and_takes_the_script_of_the_answer(db, builder, api) -> None:
    sid, _fix = _session_with_fix(db)
    view = asyncio.run(builder.inline(sid))
    api.enqueue(ANSWER)
    streamed: list[str] = []
    turn = asyncio.run(builder.ask(view.id, "Clear Pat's saved password", on_text=streamed.append))
    assert turn.failure is None and "".join(streamed).startswith("This clears")
    assert turn.draft is not None and turn.draft.language == "powershell"
    assert turn.draft.script.startswith("param([string]$UserName)")
    assert turn.draft.parameters == {"UserName": "pat.smith"}
    assert [m.role for m in turn.view.messages] == ["user", "assistant"]
    assert turn.view.script == turn.draft.script
    request = api.message_requests[-1].body
    assert request["model"] == "claude-sonnet-5-5", "the script-building tier"
    assert "script builder" in request["system"][0]["text"]
    context = request["messages"][-1]["content"][0]["text"]
    assert "Clear the cached credentials" in context and "#5123" in context
    # the conversation survives: read again from the row
    again = asyncio.run(builder.inline(sid))
    assert again.messages[0].content == "Clear Pat's saved password"


def test_a_failed_answer_is_kept_with_why_and_left_out_of_the_next_request(
    db, builder, api
) -> None:
    sid, _fix = _session_with_fix(db)
    view = asyncio.run(builder.inline(sid))
    api.enqueue(ScriptedReply(text="Partial", error_event_after=0))  # overloaded mid-stream
    turn = asyncio.run(builder.ask(view.id, "Write it"))
    assert turn.failure and "overloaded" in turn.failure.lower()
    assert turn.view.messages[-1].error == turn.failure
    api.enqueue(ANSWER)
    asyncio.run(builder.ask(view.id, "Try again"))
    sent = api.message_requests[-1].body["messages"]
    assert [m["role"] for m in sent] == ["user"], "the failed answer is not sent back"
    texts = json.dumps(sent)
    assert "Write it" in texts and "Try again" in texts


def test_submit_writes_the_script_onto_the_fix_without_stamping_applied_at(
    db, builder, api
) -> None:
    sid, fix_id = _session_with_fix(db)
    view = asyncio.run(builder.inline(sid))
    before = db.run_sync(lambda s: get_session_summary(s, sid)).state_version
    script = "param([string]$UserName)\ncmdkey /delete:$UserName\n"
    submitted = asyncio.run(
        builder.submit(view.id, fix_id, script, "powershell", {"UserName": "pat.smith"})
    )
    assert submitted.change.state_version == before + 1
    fix = db.run_sync(lambda s: fixes.active_fix(s, sid))
    assert fix.ai_drafted_script == script and fix.script_language == "powershell"
    assert fix.ai_drafted_parameters == {"UserName": "pat.smith"}
    assert fix.applied_at is None
    assert asyncio.run(builder.inline(sid)).submitted is False, "opens again for the next one"
    # Apply now routes to NoTemplate: its one_off decision runs the submitted script
    decided = asyncio.run(FixScriptService(db, None).decide(sid, fix_id, "one_off", script))
    assert decided.script == script


def test_submit_refuses_a_fix_that_is_no_longer_active(db, builder) -> None:
    sid, old_fix = _session_with_fix(db)
    view = asyncio.run(builder.inline(sid))
    db.run_sync(
        lambda s: apply_reply(
            s,
            sid,
            parse_reply('[SUGGEST_FIX]\n{"title": "Rebuild the profile"}\n[/SUGGEST_FIX]'),
        )
    )
    with pytest.raises(UserFacingError, match="fix changed"):
        asyncio.run(builder.submit(view.id, old_fix, "cmdkey /list\n", "powershell"))
    assert db.run_sync(lambda s: fixes.active_fix(s, sid)).ai_drafted_script is None


def test_standalone_builders_are_capped_and_inline_ones_never_count(db, builder, api) -> None:
    sid, _fix = _session_with_fix(db)
    asyncio.run(builder.inline(sid))
    opened = [asyncio.run(builder.new_standalone()) for _ in range(STANDALONE_CAP)]
    api.enqueue(ANSWER)
    asyncio.run(builder.ask(opened[0].id, "Restart the print spooler"))
    listed = asyncio.run(builder.standalone())
    assert [v.id for v in listed] == [v.id for v in opened]
    assert all(v.origin == "standalone" for v in listed)
    with pytest.raises(BuilderCapError, match="“Restart the print spooler”") as refused:
        asyncio.run(builder.new_standalone())
    assert "Close one of them first" in str(refused.value)
    asyncio.run(builder.close_standalone(opened[1].id))
    assert asyncio.run(builder.new_standalone()).origin == "standalone"
    with pytest.raises(UserFacingError, match="Submit"):
        asyncio.run(builder.close_standalone(asyncio.run(builder.inline(sid)).id))


def test_a_standalone_answer_carries_no_session_context(db, builder, api) -> None:
    view = asyncio.run(builder.new_standalone())
    api.enqueue(ANSWER)
    asyncio.run(builder.ask(view.id, "A script to list saved credentials"))
    context = api.message_requests[-1].body["messages"][-1]["content"][0]["text"]
    assert "standalone script" in context and "Outlook" not in context
    with pytest.raises(UserFacingError, match="template"):
        asyncio.run(builder.submit(view.id, "x", "cmdkey /list\n", "powershell"))


def test_what_is_written_by_hand_is_kept(db, builder) -> None:
    view = asyncio.run(builder.new_standalone())
    asyncio.run(builder.save_script(view.id, "echo hi\n", "sh"))
    (kept,) = asyncio.run(builder.standalone())
    assert (kept.script, kept.language) == ("echo hi\n", "bash")


def test_empty_or_oversized_questions_are_refused(db, builder) -> None:
    view = asyncio.run(builder.new_standalone())
    with pytest.raises(UserFacingError, match="Say what"):
        asyncio.run(builder.ask(view.id, "  "))
    with pytest.raises(UserFacingError, match="main chat"):
        asyncio.run(builder.ask(view.id, "x" * 20_001))


@pytest.mark.parametrize(
    ("text", "script", "language", "parameters"),
    [
        (ANSWER, "param([string]$UserName)", "powershell", {"UserName": "pat.smith"}),
        ("```sh\nsystemctl restart cups\n```", "systemctl restart cups", "bash", {}),
        ("```\nipconfig /flushdns\n```", "ipconfig /flushdns", None, {}),
        ("No script yet: which OS?", None, None, {}),
        ('```json\n{"a": 1}\n```\n```bat\necho %a%\n```', "echo %a%", "batch", {"a": "1"}),
    ],
)
def test_the_script_of_an_answer(text, script, language, parameters) -> None:
    draft = parse_script_reply(text)
    if script is None:
        assert draft is None
        return
    assert draft is not None and draft.script.startswith(script)
    assert draft.language == language and draft.parameters == parameters
