"""Engine settings: the database chosen, and SQLite tuned for a desktop app."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage.engine import create_database_engine, resolve_database_url, sqlite_file


def test_default_is_the_local_sqlite_file(tmp_path: Path) -> None:
    url = resolve_database_url(tmp_path / "flowpilot.sqlite3")
    assert sqlite_file(url) == tmp_path / "flowpilot.sqlite3"


def test_configured_url_then_environment_take_precedence(tmp_path: Path, monkeypatch) -> None:
    local = tmp_path / "f.sqlite3"
    assert resolve_database_url(local, "postgresql://db/team") == "postgresql://db/team"
    monkeypatch.setenv("FLOWPILOT_DATABASE_URL", "sqlite:////elsewhere.sqlite3")
    assert resolve_database_url(local, "postgresql://db/team") == "sqlite:////elsewhere.sqlite3"


def test_sqlite_runs_wal_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'x' / 'db.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    engine.dispose()


def test_non_sqlite_urls_have_no_file() -> None:
    assert sqlite_file("postgresql+psycopg://u@h/db") is None
    assert sqlite_file("sqlite://") is None
