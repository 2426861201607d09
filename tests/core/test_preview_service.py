"""Note previews through the real SDK against the local emulator: cached by state_version,
fresh after a change (with the change in it), local composition when the model can't help."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.chat import ChatService
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.conclusion.preview import PreviewCache, PreviewService
from flowpilot_desktop.logging_setup import register_secret
from flowpilot_desktop.task_lane_service import TaskLaneService
from psa.provider import NoteKind
from storage.database import Database
from storage.repositories.sessions import create_session
from tests.anthropic_emulator import AnthropicEmulator, ScriptedReply
from tests.core.conftest import build_chat

MODEL_NOTE = "## Problem\nOutlook prompts.\n\n## What we confirmed\n- OWA works\n\n## Root cause\nStale token.\n\n## Resolution\nApplied the fix; confirmed working."


def _services(
    db: Database, api: AnthropicEmulator, tmp_path: Path, key: str | None = "sk-ant-preview"
) -> tuple[PreviewService, ChatService]:
    chat = build_chat(db, api.base_url, tmp_path, key=key)
    return PreviewService(db, chat.write_note), chat


@pytest.fixture
def session_id(db: Database) -> str:
    sid = db.run_sync(
        lambda s: create_session(s, user_id="tech", title="Outlook prompts", ticket_ref="48213").id
    )
    reply = "[SUGGEST_FIX]\n" + json.dumps({"title": "Clear the token"}) + "\n[/SUGGEST_FIX]"
    db.run_sync(lambda s: apply_reply(s, sid, parse_reply(reply)))
    return sid


def test_cached_until_the_session_changes_then_fresh_with_the_change(
    db, api, tmp_path, session_id
) -> None:
    previews, chat = _services(db, api, tmp_path)
    api.enqueue(MODEL_NOTE)
    first = asyncio.run(previews.preview(NoteKind.RESOLUTION, session_id))
    assert not first.cached and not first.composed_locally and first.text == MODEL_NOTE
    again = asyncio.run(previews.preview(NoteKind.RESOLUTION, session_id))
    assert again.cached and again.text == MODEL_NOTE and len(api.message_requests) == 1

    lane = TaskLaneService(db, chat.synthesize)
    fix_id = asyncio.run(lane.state(session_id)).active_fix.id
    asyncio.run(lane.record_outcome(session_id, fix_id, "applied_success"))
    api.enqueue(MODEL_NOTE)
    after = asyncio.run(previews.preview(NoteKind.RESOLUTION, session_id))
    assert not after.cached and after.state_version > first.state_version
    sent = json.dumps(api.message_requests[-1].body)
    assert "applied_success" in sent, "the generator's input holds the new outcome"

    api.enqueue(MODEL_NOTE)
    refreshed = asyncio.run(previews.preview(NoteKind.RESOLUTION, session_id, refresh=True))
    assert not refreshed.cached, "Refresh always asks again"


def test_local_composition_without_key_or_when_the_model_fails(
    db, api, tmp_path, session_id
) -> None:
    no_key, _chat = _services(db, api, tmp_path, key=None)
    preview = asyncio.run(no_key.preview(NoteKind.ESCALATION, session_id))
    assert preview.composed_locally and "## What we've tried" in preview.text
    assert "No diagnostic actions run yet." in preview.text and api.message_requests == []

    previews, _chat = _services(db, api, tmp_path)
    api.enqueue(ScriptedReply(status=529), ScriptedReply(status=529), ScriptedReply(status=529))
    failed = asyncio.run(previews.preview(NoteKind.RESOLUTION, session_id, refresh=True))
    assert failed.composed_locally and "fix proposed: Clear the token" in failed.text

    api.enqueue("Sure! Here is a note without the headings.")
    headless = asyncio.run(previews.preview(NoteKind.RESOLUTION, session_id, refresh=True))
    assert headless.composed_locally, "an answer without the required headings is not used"


def test_no_secret_reaches_the_model_or_the_note(db, api, tmp_path, session_id) -> None:
    secret = "Planted-Secret-4242"
    register_secret(secret)
    db.run_sync(
        lambda s: apply_reply(
            s,
            session_id,
            parse_reply(
                f"[PROMOTE]\n{json.dumps({'text': f'Local admin password is {secret}'})}\n[/PROMOTE]"
            ),
        )
    )
    previews, _chat = _services(db, api, tmp_path)
    api.enqueue(MODEL_NOTE.replace("Stale token.", f"Stale token; password {secret}."))
    preview = asyncio.run(previews.preview(NoteKind.RESOLUTION, session_id))
    assert secret not in json.dumps(api.message_requests[-1].body)
    assert secret not in preview.text


def test_cache_is_an_lru_with_a_soft_cap() -> None:
    from flowpilot_desktop.conclusion.preview import Preview

    cache = PreviewCache(soft_cap=3)
    for version in range(3):
        cache.put(Preview(NoteKind.RESOLUTION, "s", version, f"v{version}", False, True))
    assert cache.get(NoteKind.RESOLUTION, "s", 0) is not None  # touched: now most recent
    cache.put(Preview(NoteKind.RESOLUTION, "s", 3, "v3", False, True))
    assert len(cache) == 3
    assert cache.get(NoteKind.RESOLUTION, "s", 1) is None, "the least recently used went"
    assert cache.get(NoteKind.RESOLUTION, "s", 0) is not None
    assert cache.get(NoteKind.ESCALATION, "s", 0) is None, "kind is part of the key"
