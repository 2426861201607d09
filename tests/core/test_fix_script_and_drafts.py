"""The fix's script decisions (SPEC §7) and Templatize's drafts (SPEC §9), on the real
database; extraction runs through the Messages API emulator."""

from __future__ import annotations

import asyncio
import json

import pytest

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.chat import ChatService
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.preferences import DatabasePreferences
from flowpilot_desktop.scripts.drafts import DraftEdits, DraftService
from flowpilot_desktop.scripts.fix_script import FixScriptService
from flowpilot_desktop.scripts.library import TemplateLibrary
from storage.database import Database
from storage.repositories import fixes
from storage.repositories.sessions import create_session

SCRIPT = (
    'Add-MailboxPermission -Identity "shared@contoso.com" -User "jdoe" -AccessRights FullAccess'
)
EXTRACTED = {
    "name": "Grant mailbox access",
    "templated_body": 'Add-MailboxPermission -Identity "{{mailbox}}" -User "{{user}}" -AccessRights FullAccess',
    "parameters": [{"name": "mailbox", "label": "Shared mailbox"}, {"name": "user"}],
    "values": {"mailbox": "shared@contoso.com", "user": "jdoe"},
}


@pytest.fixture
def chat(make_chat) -> ChatService:
    return make_chat(key="sk-ant-drafts")


def _session(db: Database, script: str | None = SCRIPT) -> tuple[str, str]:
    sid = db.run_sync(
        lambda s: create_session(s, user_id="tech", title="Shared mailbox", ticket_ref="5123").id
    )
    payload = {"title": "Grant access to the shared mailbox", "language": "powershell"}
    if script:
        payload["script"] = script
    db.run_sync(
        lambda s: apply_reply(
            s, sid, parse_reply("[SUGGEST_FIX]\n" + json.dumps(payload) + "\n[/SUGGEST_FIX]")
        )
    )
    fix_id = db.run_sync(lambda s: fixes.active_fix(s, sid).id)
    return sid, fix_id


def _fix(db: Database, sid: str):
    return db.run_sync(lambda s: fixes.active_fix(s, sid))


@pytest.mark.parametrize(("decision", "stamps"), [("one_off", True), ("build_template", False)])
def test_decisions_and_applied_at(db, chat, decision, stamps) -> None:
    sid, fix_id = _session(db)
    service = FixScriptService(db, chat.ask_template_extraction)
    decided = asyncio.run(service.decide(sid, fix_id, decision))
    fix = _fix(db, sid)
    assert fix.user_decision == decision and (fix.applied_at is not None) is stamps
    assert decided.script == SCRIPT and decided.change.state_version > 0


def test_draft_template_runs_extracts_and_records_a_draft(db, chat, api) -> None:
    sid, fix_id = _session(db)
    api.enqueue(json.dumps(EXTRACTED))
    service = FixScriptService(db, chat.ask_template_extraction)
    edited = SCRIPT.replace("jdoe", "jdoe")  # same text: nothing to keep as an edit
    asyncio.run(service.decide(sid, fix_id, "draft_template", edited))
    assert _fix(db, sid).applied_at is not None
    proposed = asyncio.run(service.propose_draft(sid, fix_id))
    assert not proposed.extraction.fell_back
    drafts = DraftService(db, DatabasePreferences(db), "tech")
    (draft,) = asyncio.run(drafts.pending(sid))
    assert draft.id == proposed.draft_id and draft.templated_body == EXTRACTED["templated_body"]
    assert [p["name"] for p in draft.parameters_schema] == ["mailbox", "user"]
    assert asyncio.run(drafts.pending_count()) == 1


def test_an_edited_script_is_kept(db, chat) -> None:
    sid, fix_id = _session(db)
    service = FixScriptService(db, chat.ask_template_extraction)
    asyncio.run(service.decide(sid, fix_id, "one_off", SCRIPT + " -Confirm:$false"))
    assert _fix(db, sid).edited_script.endswith("-Confirm:$false")


def test_refusals(db, chat) -> None:
    service = FixScriptService(db, chat.ask_template_extraction)
    sid, fix_id = _session(db, script=None)
    with pytest.raises(UserFacingError, match="no drafted script"):
        asyncio.run(service.decide(sid, fix_id, "one_off"))
    sid, fix_id = _session(db)
    from flowpilot_desktop.task_lane_service import TaskLaneService

    async def no_synthesis(_session_id, _item):
        return None

    asyncio.run(TaskLaneService(db, no_synthesis).record_outcome(sid, fix_id, "applied_failed"))
    with pytest.raises(UserFacingError, match="outcome is final"):
        asyncio.run(service.decide(sid, fix_id, "one_off"))
    with pytest.raises(UserFacingError, match="not a choice"):
        asyncio.run(service.decide(sid, fix_id, "dismissed"))


def _pending_draft(db, chat, api) -> tuple[str, str]:
    sid, fix_id = _session(db)
    api.enqueue(json.dumps(EXTRACTED))
    service = FixScriptService(db, chat.ask_template_extraction)
    asyncio.run(service.decide(sid, fix_id, "draft_template"))
    return sid, asyncio.run(service.propose_draft(sid, fix_id)).draft_id


def test_accept_with_edits_creates_a_template_with_provenance(db, chat, api) -> None:
    sid, draft_id = _pending_draft(db, chat, api)
    library = TemplateLibrary(db)
    asyncio.run(library.add_category("Exchange"))
    drafts = DraftService(db, DatabasePreferences(db), "tech")
    edits = DraftEdits(
        "Grant shared mailbox access", "Exchange", "Full access", removed={"user": "jdoe"}
    )
    template_id = asyncio.run(drafts.accept(draft_id, edits))
    template = asyncio.run(library.get(template_id))
    assert template.name == "Grant shared mailbox access" and template.category == "Exchange"
    assert (
        template.body
        == 'Add-MailboxPermission -Identity "{{mailbox}}" -User "jdoe" -AccessRights FullAccess'
    )
    assert [p["name"] for p in template.parameters_schema] == ["mailbox"]
    assert (template.source_session_id, template.source_user_id, template.source_ticket_ref) == (
        sid,
        "tech",
        "5123",
    )
    assert asyncio.run(drafts.pending(sid)) == [] and asyncio.run(drafts.pending_count()) == 0
    with pytest.raises(UserFacingError, match="already in the library"):
        asyncio.run(drafts.accept(draft_id, edits))


def test_skip_then_accept_is_refused_and_unknown_category_too(db, chat, api) -> None:
    _sid, draft_id = _pending_draft(db, chat, api)
    drafts = DraftService(db, DatabasePreferences(db), "tech")
    with pytest.raises(UserFacingError, match="no category “Nope”"):
        asyncio.run(drafts.accept(draft_id, DraftEdits("x", "Nope")))
    asyncio.run(drafts.reject(draft_id))
    with pytest.raises(UserFacingError, match="was skipped"):
        asyncio.run(drafts.accept(draft_id, DraftEdits("x", "")))
    assert asyncio.run(TemplateLibrary(db).templates()) == []


def test_templatize_preference_round_trip_keeps_other_keys(db) -> None:
    preferences = DatabasePreferences(db)
    asyncio.run(preferences.merge_preferences({"cw_resolved_status_id": 7}))
    drafts = DraftService(db, preferences, "tech")
    assert asyncio.run(drafts.prompt_enabled()) is True
    asyncio.run(drafts.set_prompt_enabled(False))
    assert asyncio.run(drafts.prompt_enabled()) is False
    assert asyncio.run(preferences.get_preferences())["cw_resolved_status_id"] == 7
    asyncio.run(drafts.set_prompt_enabled(True))
    assert asyncio.run(drafts.prompt_enabled()) is True


def test_pending_drafts_of_every_live_session_and_none_of_a_deleted_one(db, chat, api) -> None:
    from storage.repositories.sessions import restore_session, soft_delete_session

    first, _ = _pending_draft(db, chat, api)
    second, _ = _pending_draft(db, chat, api)
    drafts = DraftService(db, DatabasePreferences(db), "tech")
    assert {d.session_id for d in asyncio.run(drafts.pending())} == {first, second}
    db.run_sync(lambda s: soft_delete_session(s, second))
    assert asyncio.run(drafts.pending_count()) == 1
    assert [d.session_id for d in asyncio.run(drafts.pending())] == [first]
    db.run_sync(lambda s: restore_session(s, second))
    assert asyncio.run(drafts.pending_count()) == 2
