"""Schema migrations: fresh upgrade, round trip, backup before upgrading, newer database refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from storage.engine import create_database_engine
from storage.migrate import (
    HEAD_REVISION,
    DatabaseNotRecognisedError,
    DatabaseTooNewError,
    current_revision,
    downgrade_database,
    script_head,
    upgrade_database,
)
from storage.models import Base

EXPECTED_TABLES = {
    "ai_sessions",
    "messages",
    "session_facts",
    "session_suggested_fixes",
    "template_categories",
    "script_templates",
    "script_generations",
    "draft_templates",
    "script_builder_sessions",
    "account_settings",
    "psa_outbox",
}


def test_head_constant_matches_alembic_head() -> None:
    """The start-up fast path compares against HEAD_REVISION; it must be Alembic's real head."""
    assert script_head() == HEAD_REVISION


def test_upgrade_creates_every_table_of_the_data_model(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    result = upgrade_database(engine, backup_dir=tmp_path / "backups")
    assert result.from_revision is None
    assert result.to_revision == HEAD_REVISION
    assert result.backup_path is None, "an empty database has nothing to back up"
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    assert current_revision(engine) == HEAD_REVISION


def test_migrated_schema_matches_the_models(engine) -> None:
    """No drift between the models and what the migrations build."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_downgrade_then_upgrade_round_trip(engine) -> None:
    downgrade_database(engine, "base")
    assert not (EXPECTED_TABLES & set(inspect(engine).get_table_names()))
    assert current_revision(engine) is None
    upgrade_database(engine, backup_dir=None)
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES


def test_upgrading_an_older_database_backs_it_up_first(tmp_path: Path, monkeypatch) -> None:
    """A database at an older revision is copied, data included, before Alembic touches it."""
    path = tmp_path / "user.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}")
    upgrade_database(engine, backup_dir=None)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ai_sessions (id, user_id, title, status, state_version,"
                " last_activity_at, created_at, updated_at) VALUES ('s1', 'u', 'Printer offline',"
                " 'active', 0, '2026-01-01', '2026-01-01', '2026-01-01')"
            )
        )
    # Pretend the app now ships a newer head than the database has.
    monkeypatch.setattr("storage.migrate.HEAD_REVISION", "9999_future")
    backups = tmp_path / "backups"
    result = upgrade_database(engine, backup_dir=backups)
    assert result.backup_path is not None and result.backup_path.parent == backups
    assert HEAD_REVISION in result.backup_path.name
    with sqlite3.connect(result.backup_path) as copy:
        assert copy.execute("SELECT title FROM ai_sessions").fetchall() == [("Printer offline",)]


def test_database_from_a_newer_app_is_refused_untouched(engine, database_file: Path) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    before = database_file.read_bytes()
    with pytest.raises(DatabaseTooNewError, match="newer FlowPilot"):
        upgrade_database(engine, backup_dir=database_file.parent / "backups")
    engine.dispose()
    assert database_file.read_bytes() == before
    assert not (database_file.parent / "backups").exists()


def test_foreign_database_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
    engine = create_database_engine(f"sqlite:///{path}")
    with pytest.raises(DatabaseNotRecognisedError):
        upgrade_database(engine, backup_dir=None)


def test_0002_upgrades_a_0001_database_with_facts_and_messages(tmp_path: Path) -> None:
    """Messages keep their text and are neither deleted nor unmasked; existing facts get their
    duplicate key, so a re-promoted fact is still recognised after the upgrade."""
    from storage.repositories import facts, messages

    path = tmp_path / "old.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}")
    upgrade_database(engine, backup_dir=None)
    downgrade_database(engine, "0001_initial")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ai_sessions (id, user_id, title, status, state_version,"
                " last_activity_at, created_at, updated_at) VALUES ('s1', 'u', 'VPN',"
                " 'active', 3, '2026-01-01', '2026-01-01', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO session_facts (id, session_id, text, source_type, created_at,"
                " updated_at) VALUES ('f1', 's1', 'VPN client 5.2 installed', 'ai_promote',"
                " '2026-01-01', '2026-01-01')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO messages (id, session_id, role, content, raw_content, stopped,"
                " created_at, updated_at) VALUES ('m1', 's1', 'user', 'hello', 'hello', 0,"
                " '2026-01-01', '2026-01-01')"
            )
        )
    result = upgrade_database(engine, backup_dir=tmp_path / "backups")
    assert (result.from_revision, result.to_revision) == ("0001_initial", HEAD_REVISION)

    from storage.database import Database

    database = Database(engine)
    try:
        (message,) = database.run_sync(lambda s: messages.list_messages(s, "s1"))
        assert message.content == "hello" and not message.sent_unmasked
        assert message.deleted_at is None
        added = database.run_sync(
            lambda s: facts.add_fact(s, "s1", "VPN  client 5.2 installed", "ai_promote")
        )
        assert added is None, "the migrated fact is found by its key"
    finally:
        database.close()
