"""Migration 0005 (issue 21): a database from before the work timer gains its table, keeps its
sessions, and a session's timer goes with the session."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from storage.engine import create_database_engine
from storage.migrate import HEAD_REVISION, current_revision, downgrade_database, upgrade_database


def test_a_database_from_0004_gains_the_work_timer(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade_database(engine, backup_dir=None)
    downgrade_database(engine, "0004_search")
    assert "session_work_time" not in inspect(engine).get_table_names()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ai_sessions (id, user_id, title, status, state_version,"
                " last_activity_at, created_at, updated_at) VALUES ('s1', 'u', 'Printer offline',"
                " 'active', 0, '2026-01-01', '2026-01-01', '2026-01-01')"
            )
        )
    result = upgrade_database(engine, backup_dir=tmp_path / "backups")
    assert (result.from_revision, result.to_revision) == ("0004_search", HEAD_REVISION)
    assert current_revision(engine) == "0005_work_time"
    with engine.begin() as connection:
        assert connection.execute(text("SELECT title FROM ai_sessions")).scalar() == (
            "Printer offline"
        )
        connection.execute(
            text(
                "INSERT INTO session_work_time (session_id, active_seconds, first_event_at,"
                " last_event_at, updated_at) VALUES ('s1', 90, '2026-01-01', '2026-01-01',"
                " '2026-01-01')"
            )
        )
        connection.execute(text("DELETE FROM ai_sessions WHERE id = 's1'"))
        assert connection.execute(text("SELECT COUNT(*) FROM session_work_time")).scalar() == 0
    engine.dispose()
