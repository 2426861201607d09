"""A reply is saved while it streams: a crash keeps what arrived (shown as interrupted, with
Retry), a full disk keeps the reply on screen with a plain error and the next write succeeds
once there is room, and killing the process at random points never damages the database."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from flowpilot_desktop.assistant.chat import INTERRUPTED, ChatService
from flowpilot_desktop.config import ConfigStore
from flowpilot_desktop.credentials import CredentialStore
from flowpilot_desktop.preferences import DatabasePreferences
from storage.database import Database
from storage.repositories import messages
from storage.repositories.sessions import create_session
from tests.anthropic_emulator import AnthropicEmulator, ScriptedReply
from tests.core.conftest import build_chat
from tests.fakes_keyring import MemoryKeyring

ROOT = Path(__file__).resolve().parents[2]


def _service(db: Database, api: AnthropicEmulator, tmp_path: Path) -> ChatService:
    return build_chat(db, api.base_url, tmp_path, autosave_interval_s=0.05)


@pytest.fixture
def session_id(db: Database) -> str:
    return db.run_sync(lambda s: create_session(s, user_id="tech", title="Outlook prompts").id)


def _stored_replies(db: Database, session_id: str) -> list[Any]:
    return [
        m
        for m in db.run_sync(lambda s: messages.list_messages(s, session_id))
        if m.role == "assistant"
    ]


def test_a_streaming_reply_is_saved_before_it_ends(db, api, tmp_path, session_id) -> None:
    api.enqueue(ScriptedReply(chunks=[f"word{i} " for i in range(60)], delay_s=0.01))
    service = _service(db, api, tmp_path)
    seen_while_streaming: list[str] = []

    def on_text(_text: str) -> None:
        (reply,) = _stored_replies(db, session_id)
        if reply.streaming and reply.content:
            seen_while_streaming.append(reply.content)

    result = asyncio.run(service.send(session_id, "go", on_text=on_text))
    assert seen_while_streaming, "the partial reply reached the database while streaming"
    assert seen_while_streaming[-1].startswith("word0 word1")
    (final,) = _stored_replies(db, session_id)
    assert not final.streaming and final.content == result.reply.content
    assert final.id == result.reply.id, "the same row, completed in place"


def test_markers_are_never_saved_half_way(db, api, tmp_path, session_id) -> None:
    """Autosave keeps what the technician saw: a marker block (which may carry a drafted secret)
    is only stored once the reply is complete and checked."""
    body = (
        "Checking.\n[SUGGEST_FIX]\n"
        + '{"title": "x", "parameters": {"p": "v"}}'
        + "\n[/SUGGEST_FIX]"
    )
    api.enqueue(ScriptedReply(chunks=list(body), delay_s=0.005))
    service = _service(db, api, tmp_path)
    partials: list[str] = []

    def on_text(_text: str) -> None:
        partials.extend(r.raw_content for r in _stored_replies(db, session_id) if r.streaming)

    asyncio.run(service.send(session_id, "go", on_text=on_text))
    assert partials and all("SUGGEST_FIX" not in p for p in partials)


def test_a_reply_left_streaming_by_a_crash_shows_as_interrupted_with_retry(
    db, api, tmp_path, session_id
) -> None:
    db.run_sync(lambda s: messages.add_message(s, session_id, "user", content="hello"))
    db.run_sync(
        lambda s: messages.add_message(
            s,
            session_id,
            "assistant",
            content="Half a rep",
            raw_content="Half a rep",
            streaming=True,
        )
    )
    service = _service(db, api, tmp_path)  # a new process: it streams nothing
    history = asyncio.run(service.history(session_id))
    assert history[-1].content == "Half a rep" and history[-1].error == INTERRUPTED
    (row,) = _stored_replies(db, session_id)
    assert not row.streaming, "marked once, for good"

    api.enqueue("The whole reply.")
    retried = asyncio.run(service.regenerate(session_id))
    assert retried.reply.content == "The whole reply."
    assert [m.content for m in asyncio.run(service.history(session_id))] == [
        "hello",
        "The whole reply.",
    ]


def test_a_full_disk_keeps_the_reply_on_screen_and_the_next_write_succeeds(
    db, api, tmp_path, session_id
) -> None:
    """SQLite's max_page_count makes the database "full" for every connection of the engine."""
    limit: list[int | None] = [None]

    @event.listens_for(db.engine, "checkout")
    def _cap(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {limit[0] or 1073741823}")
        cursor.close()

    service = _service(db, api, tmp_path)
    long_reply = "A long analysis. " * 4000
    api.enqueue(
        ScriptedReply(chunks=[long_reply[i : i + 500] for i in range(0, len(long_reply), 500)])
    )

    def fill_the_disk(_text: str) -> None:
        if limit[0] is None:
            with db.engine.connect() as connection:
                limit[0] = connection.execute(text("PRAGMA page_count")).scalar()

    result = asyncio.run(service.send(session_id, "go", on_text=fill_the_disk))
    assert result.reply.content.startswith("A long analysis."), "the reply stays on screen"
    assert "not saved" in result.reply.error and "full" in result.reply.error
    assert "INSERT" not in result.reply.error and "UPDATE" not in result.reply.error

    limit[0] = None  # space freed
    api.enqueue("Saved this time.")
    again = asyncio.run(service.send(session_id, "and now?"))
    assert again.reply.content == "Saved this time." and again.reply.error is None
    assert _stored_replies(db, session_id)[-1].content == "Saved this time."


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the drill forks a process per kill")
def test_killing_the_process_mid_reply_never_loses_committed_rows(
    database_file: Path, tmp_path: Path
) -> None:
    """20 SIGKILLs at random points of a streaming turn (one forked process each): each time
    the database is intact, the technician's message is there, and the reply is either absent,
    complete, or kept as interrupted."""
    runs = 20
    targets = []
    for run in range(runs):
        folder = tmp_path / f"run{run}"
        folder.mkdir()
        target = folder / "flowpilot.sqlite3"
        target.write_bytes(database_file.read_bytes())
        database = Database(_engine(target))
        sid = database.run_sync(lambda s: create_session(s, user_id="t", title="x").id)
        database.close()
        targets.append((target, sid))
    with AnthropicEmulator() as api:
        api.default_reply = ScriptedReply(chunks=[f"token{i} " for i in range(400)], delay_s=0.003)
        drill = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.core.stream_child",
                "1234",
                api.base_url,
                *(f"{target}:{sid}" for target, sid in targets),
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert drill.stdout.strip() == "done", drill.stderr
    interrupted = 0
    for target, sid in targets:
        with sqlite3.connect(target) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        database = Database(_engine(target))
        try:
            rows = database.run_sync(lambda s, sid=sid: messages.list_messages(s, sid))
            assert rows[0].role == "user" and rows[0].content == "Outlook keeps prompting"
            history = asyncio.run(_history(database, tmp_path, sid))
            if len(history) == 2:
                reply = history[1]
                assert reply.error in (INTERRUPTED, None)
                assert reply.content == "" or reply.content.startswith("token0")
                interrupted += reply.error == INTERRUPTED
        finally:
            database.close()
    assert interrupted >= runs // 2, "most kills land mid-reply, and those are kept"


def _engine(path: Path) -> Any:
    from storage.engine import create_database_engine

    return create_database_engine(f"sqlite:///{path}")


async def _history(database: Database, tmp_path: Path, session_id: str) -> list[Any]:
    api_less = ChatService(
        database,
        CredentialStore(MemoryKeyring()),
        ConfigStore(tmp_path / "none.json"),
        DatabasePreferences(database),
        tmp_path / "att",
    )
    return await api_less.history(session_id)
