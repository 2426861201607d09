"""state_version moves with the write it stands for, atomically, and never without it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.models import AiSession, SessionFact
from storage.repositories.sessions import create_session
from storage.state_version import SessionNotFoundError, bump_state_version


def _version(db: Database, session_id: str) -> int:
    return db.run_sync(
        lambda s: s.execute(
            select(AiSession.state_version).where(AiSession.id == session_id)
        ).scalar_one()
    )


def _new_session(db: Database) -> str:
    return db.run_sync(lambda s: create_session(s, user_id="tech", title="VPN drops").id)


def test_bump_commits_with_the_write(db: Database) -> None:
    session_id = _new_session(db)

    def add_fact(s):
        s.add(
            SessionFact(session_id=session_id, text="VPN client 5.2", source_type="engineer_note")
        )
        return bump_state_version(s, session_id)

    assert db.run_sync(add_fact) == 1
    assert _version(db, session_id) == 1
    assert db.run_sync(add_fact) == 2


def test_failed_write_leaves_state_version_untouched(db: Database) -> None:
    session_id = _new_session(db)

    def add_invalid_fact(s):
        s.add(SessionFact(session_id=session_id, text="x", source_type="not-a-source"))
        bump_state_version(s, session_id)

    with pytest.raises(IntegrityError):
        db.run_sync(add_invalid_fact)
    assert _version(db, session_id) == 0


def test_error_after_the_bump_rolls_the_bump_back(db: Database) -> None:
    session_id = _new_session(db)

    def write_then_fail(s):
        s.add(SessionFact(session_id=session_id, text="ok", source_type="engineer_note"))
        bump_state_version(s, session_id)
        raise RuntimeError("later step failed")

    with pytest.raises(RuntimeError):
        db.run_sync(write_then_fail)
    assert _version(db, session_id) == 0
    assert db.run_sync(lambda s: s.scalars(select(SessionFact)).all()) == []


def test_bump_of_unknown_session_raises(db: Database) -> None:
    with pytest.raises(SessionNotFoundError):
        db.run_sync(lambda s: bump_state_version(s, "no-such-session"))


def test_loaded_session_object_sees_the_new_version(db: Database) -> None:
    session_id = _new_session(db)

    def bump_with_loaded_object(s):
        loaded = s.get(AiSession, session_id)
        assert loaded.state_version == 0
        bump_state_version(s, session_id)
        return loaded.state_version

    assert db.run_sync(bump_with_loaded_object) == 1


def test_async_run_uses_one_worker_thread(db: Database) -> None:
    import asyncio
    import threading

    async def main():
        names = await asyncio.gather(
            *(db.run(lambda s: threading.current_thread().name) for _ in range(5))
        )
        return set(names)

    names = asyncio.run(main())
    assert len(names) == 1 and next(iter(names)).startswith("flowpilot-db")
