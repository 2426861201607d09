"""Schema migrations: fresh upgrade, round trip, backup before upgrading, newer database refused,
a half-created file from an older build rebuilt, anyone else's database left alone."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

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
from storage.search import SEARCH_TABLES

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
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                # the full-text index is a virtual table (and its shadow tables), not a model
                "include_name": lambda name, kind, _parent: (
                    kind != "table" or name not in SEARCH_TABLES
                ),
            },
        )
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
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
        connection.commit()
    engine = create_database_engine(f"sqlite:///{path}")
    with pytest.raises(DatabaseNotRecognisedError) as refused:
        upgrade_database(engine, backup_dir=None)
    engine.dispose()
    assert str(path) in str(refused.value) and "invoices" in str(refused.value)
    assert "not FlowPilot's" in str(refused.value)
    assert path.exists() and not list(tmp_path.glob("*.broken-*"))


def make_half_created_file(path: Path, tables: list[str]) -> None:
    """What a crash during an older build's first start left: the version table (empty) and
    some of FlowPilot's tables, each CREATE committed on its own."""
    engine = create_database_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        Base.metadata.create_all(connection, tables=[Base.metadata.tables[t] for t in tables])
    engine.dispose()


def test_a_half_created_file_from_an_older_build_is_kept_aside_and_rebuilt(
    tmp_path: Path,
) -> None:
    path = tmp_path / "flowpilot.sqlite3"
    make_half_created_file(path, ["account_settings", "ai_sessions", "template_categories"])
    engine = create_database_engine(f"sqlite:///{path}")
    result = upgrade_database(engine, backup_dir=tmp_path / "backups")
    assert (result.from_revision, result.to_revision) == (None, HEAD_REVISION)
    assert current_revision(engine) == HEAD_REVISION
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    engine.dispose()

    aside = result.set_aside_path
    assert aside is not None and aside.parent == tmp_path
    assert aside.name.startswith("flowpilot.sqlite3.broken-")
    with closing(sqlite3.connect(aside)) as old:
        kept = {row[0] for row in old.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert kept == {"alembic_version", "account_settings", "ai_sessions", "template_categories"}


def test_a_half_created_file_with_rows_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "flowpilot.sqlite3"
    make_half_created_file(path, ["account_settings", "ai_sessions"])
    with closing(sqlite3.connect(path)) as connection:
        connection.execute(
            "INSERT INTO account_settings VALUES ('acme', '{}', '2026-01-01', '2026-01-01')"
        )
        connection.commit()
    engine = create_database_engine(f"sqlite:///{path}")
    with pytest.raises(DatabaseNotRecognisedError) as refused:
        upgrade_database(engine, backup_dir=None)
    engine.dispose()
    assert str(path) in str(refused.value)
    assert "with data (account_settings)" in str(refused.value)
    assert not list(tmp_path.glob("*.broken-*"))
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("SELECT count(*) FROM account_settings").fetchone() == (1,)


def test_a_half_created_file_with_a_foreign_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flowpilot.sqlite3"
    make_half_created_file(path, ["ai_sessions"])
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER)")
        connection.commit()
    engine = create_database_engine(f"sqlite:///{path}")
    with pytest.raises(DatabaseNotRecognisedError, match="invoices") as refused:
        upgrade_database(engine, backup_dir=None)
    engine.dispose()
    assert str(path) in str(refused.value)
    assert not list(tmp_path.glob("*.broken-*"))


def test_an_empty_batch_table_an_older_build_left_behind_does_not_block_the_upgrade(
    tmp_path: Path,
) -> None:
    """An older build committed 0002's ``CREATE TABLE _alembic_tmp_messages`` on its own; killed
    right after, every later upgrade failed with "table already exists"."""
    path = tmp_path / "flowpilot.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}")
    upgrade_database(engine, backup_dir=None)
    downgrade_database(engine, "0001_initial")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE _alembic_tmp_messages (id VARCHAR(36))"))
    result = upgrade_database(engine, backup_dir=tmp_path / "backups")
    assert (result.from_revision, result.to_revision) == ("0001_initial", HEAD_REVISION)
    assert "_alembic_tmp_messages" not in inspect(engine).get_table_names()
    engine.dispose()


def test_engine_errors_never_show_parameter_values(engine) -> None:
    """A pasted password once reached an error dialog through the SQL error text."""
    with pytest.raises(IntegrityError) as failed, engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO account_settings (account_id, preferences, created_at, updated_at)"
                " VALUES (:id, :prefs, NULL, NULL)"
            ),
            {"id": "acme", "prefs": "Sup3r$ecret!"},
        )
    assert "Sup3r$ecret!" not in str(failed.value)


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


def test_the_models_do_not_load_the_postgresql_dialect() -> None:
    """Every desktop start imports the models; PostgreSQL's dialect (~35 ms) waits for a
    PostgreSQL engine (storage.engine adds the partial indexes' conditions then)."""
    import subprocess
    import sys

    code = "import sys, storage.models; print('sqlalchemy.dialects.postgresql' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
