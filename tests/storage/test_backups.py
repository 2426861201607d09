"""Daily backups, restore, a damaged file recognised, and database errors a technician can read.

Errors are produced for real where SQLite allows it: a full disk through ``max_page_count``, a
read-only file through ``mode=ro`` (root ignores file permissions), damage by overwriting bytes
of a real file.
"""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from storage.backups import (
    DAILY_BACKUPS_KEPT,
    BackupNotUsableError,
    list_backups,
    make_daily_backup,
    quick_check_file,
    restore_backup,
)
from storage.engine import create_database_engine
from storage.health import (
    check_integrity,
    describe_database_error,
    failure_kind,
    is_malformed_error,
)
from storage.migrate import backup_database

SECRET = "Sup3r$ecret!"
DAY = datetime(2026, 11, 29, 9, 30).astimezone()
SQL_WORDS = re.compile(
    r"\b(INSERT|SELECT|UPDATE|DELETE|VALUES|INTO|WHERE|PRAGMA|parameters)\b|\[SQL"
)


def add_session(engine: Engine, session_id: str, title: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ai_sessions (id, user_id, title, status, state_version,"
                " last_activity_at, created_at, updated_at) VALUES (:id, 'u', :title, 'active',"
                " 0, '2026-01-01', '2026-01-01', '2026-01-01')"
            ),
            {"id": session_id, "title": title},
        )


def titles(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as connection:
        return [row[0] for row in connection.execute("SELECT title FROM ai_sessions ORDER BY id")]


def assert_readable(message: str, *paths: Path) -> None:
    """Names no SQL and no parameter value (paths removed first: they hold test names)."""
    for path in sorted(paths, key=lambda p: len(str(p)), reverse=True):
        message = message.replace(str(path), "<path>")
    assert SECRET not in message
    assert not SQL_WORDS.search(message), message


# -- daily backups ------------------------------------------------------------------------------


def test_one_daily_copy_per_calendar_day(engine: Engine, database_file: Path) -> None:
    add_session(engine, "s1", "Printer offline")
    backups = database_file.parent / "backups"
    first = make_daily_backup(database_file, backups, DAY)
    assert first == backups / "flowpilot-daily-2026-11-29.sqlite3"
    assert titles(first) == ["Printer offline"]
    add_session(engine, "s2", "VPN")
    assert make_daily_backup(database_file, backups, DAY + timedelta(hours=10)) is None
    assert titles(first) == ["Printer offline"], "the day's copy is not replaced"
    second = make_daily_backup(database_file, backups, DAY + timedelta(days=1))
    assert second is not None and second.name == "flowpilot-daily-2026-11-30.sqlite3"
    assert titles(second) == ["Printer offline", "VPN"]
    # Whole single files: no partial copy, no -wal/-shm beside them (even after a check).
    assert quick_check_file(first) and quick_check_file(second)
    assert sorted(path.name for path in backups.iterdir()) == [first.name, second.name]


def test_the_seven_newest_daily_copies_are_kept_and_nothing_else_is_touched(
    engine: Engine, database_file: Path
) -> None:
    backups = database_file.parent / "backups"
    pre_upgrade = backup_database(engine, backups, "0002_trust")
    assert pre_upgrade is not None
    unrelated = backups / "notes.txt"
    unrelated.write_text("keep me")
    for day in range(10):
        assert make_daily_backup(database_file, backups, DAY + timedelta(days=day)) is not None

    dailies = sorted(path.name for path in backups.glob("*-daily-*"))
    assert len(dailies) == DAILY_BACKUPS_KEPT
    assert dailies[0] == "flowpilot-daily-2026-12-02.sqlite3"
    assert dailies[-1] == "flowpilot-daily-2026-12-08.sqlite3"
    assert pre_upgrade.exists() and unrelated.read_text() == "keep me"

    listed = list_backups(backups)
    assert [b.kind for b in listed].count("daily") == DAILY_BACKUPS_KEPT
    assert [b.path for b in listed if b.kind == "pre-upgrade"] == [pre_upgrade]
    assert all(b.size > 0 for b in listed)
    assert [b.when for b in listed] == sorted((b.when for b in listed), reverse=True)


def test_a_full_disk_skips_the_backup_without_raising(
    database_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The copy's destination gets room for two pages: SQLite's own "database or disk is full"."""
    real_connect = sqlite3.connect

    def small_disk(database: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = real_connect(database, *args, **kwargs)
        if str(database).endswith(".partial"):
            connection.execute("PRAGMA max_page_count = 2")
        return connection

    monkeypatch.setattr(sqlite3, "connect", small_disk)
    backups = database_file.parent / "backups"
    with caplog.at_level(logging.WARNING, logger="storage.backups"):
        assert make_daily_backup(database_file, backups, DAY) is None
    assert "full" in caplog.text
    assert list(backups.iterdir()) == [], "no partial copy is left behind"


def test_an_unwritable_backup_folder_skips_the_backup_without_raising(
    database_file: Path,
) -> None:
    not_a_folder = database_file.parent / "backups"
    not_a_folder.write_text("a file where the folder should be")
    assert make_daily_backup(database_file, not_a_folder, DAY) is None


def test_no_database_file_means_no_backup(tmp_path: Path) -> None:
    assert make_daily_backup(tmp_path / "none.sqlite3", tmp_path / "backups", DAY) is None
    assert not (tmp_path / "backups").exists()
    assert list_backups(tmp_path / "backups") == []


# -- restore ------------------------------------------------------------------------------------


def test_restore_puts_the_data_back_and_keeps_the_replaced_file(
    engine: Engine, database_file: Path
) -> None:
    add_session(engine, "s1", "Printer offline")
    backup = make_daily_backup(database_file, database_file.parent / "backups", DAY)
    assert backup is not None
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM ai_sessions"))
    add_session(engine, "s9", "Written after the backup")
    engine.dispose()

    aside = restore_backup(backup, database_file)
    assert aside is not None and aside.name.startswith("flowpilot.sqlite3.replaced-")
    assert titles(aside) == ["Written after the backup"]
    assert titles(database_file) == ["Printer offline"]
    assert backup.exists(), "the backup stays for another restore"
    restored = create_database_engine(f"sqlite:///{database_file}")
    assert check_integrity(restored)
    add_session(restored, "s2", "Works again")
    restored.dispose()


def test_restore_over_a_crashed_file_keeps_its_wal_with_it(
    engine: Engine, database_file: Path
) -> None:
    """Commits still only in the -wal of a crashed app go aside with their file, and are never
    replayed into the restored copy."""
    add_session(engine, "s1", "In the backup")
    backup = make_daily_backup(database_file, database_file.parent / "backups", DAY)
    assert backup is not None
    engine.dispose()
    crashed = database_file.parent / "crashed.sqlite3"
    with closing(sqlite3.connect(database_file)) as app:
        app.execute("PRAGMA wal_autocheckpoint = 0")
        app.execute(
            "INSERT INTO ai_sessions (id, user_id, title, status, state_version,"
            " last_activity_at, created_at, updated_at) VALUES ('s2', 'u', 'Only in the WAL',"
            " 'active', 0, '2026-01-01', '2026-01-01', '2026-01-01')"
        )
        app.commit()
        for suffix in ("", "-wal"):  # the files as a crash would leave them
            shutil.copyfile(f"{database_file}{suffix}", f"{crashed}{suffix}")

    aside = restore_backup(backup, crashed)
    assert aside is not None and Path(f"{aside}-wal").exists()
    assert titles(crashed) == ["In the backup"]
    assert titles(aside) == ["In the backup", "Only in the WAL"]


def test_a_damaged_file_is_recognised_and_restored(engine: Engine, database_file: Path) -> None:
    add_session(engine, "s1", "Printer offline")
    backups = database_file.parent / "backups"
    backup = make_daily_backup(database_file, backups, DAY)
    assert backup is not None
    engine.dispose()
    with database_file.open("r+b") as raw:
        raw.write(b"\xff" * 100)  # the header: no longer a database
    damaged = create_database_engine(f"sqlite:///{database_file}")
    assert not check_integrity(damaged)
    with pytest.raises(DBAPIError) as failed, damaged.connect() as connection:
        connection.execute(text("SELECT title FROM ai_sessions"))
    assert is_malformed_error(failed.value)
    message = describe_database_error(failed.value, database_file, backups)
    assert message.startswith(f"{database_file} is damaged")
    assert backup.name in message
    damaged.dispose()

    restore_backup(backup, database_file)
    assert titles(database_file) == ["Printer offline"]


def test_a_damaged_backup_is_not_restored(engine: Engine, database_file: Path) -> None:
    add_session(engine, "s1", "Printer offline")
    engine.dispose()
    broken = database_file.parent / "backups" / "flowpilot-daily-2026-11-29.sqlite3"
    broken.parent.mkdir()
    broken.write_bytes(b"not a database" * 100)
    before = database_file.read_bytes()
    with pytest.raises(BackupNotUsableError):
        restore_backup(broken, database_file)
    assert database_file.read_bytes() == before
    assert not list(database_file.parent.glob("*.replaced-*"))
    assert not list(database_file.parent.glob("*.restoring*"))


# -- damage and errors --------------------------------------------------------------------------


def test_a_healthy_database_passes_the_integrity_check(engine: Engine) -> None:
    assert check_integrity(engine)


def test_damaged_pages_fail_the_integrity_check(engine: Engine, database_file: Path) -> None:
    for n in range(200):
        add_session(engine, f"s{n:03}", f"Session {n} " + "x" * 200)
    engine.dispose()
    with closing(sqlite3.connect(database_file)) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
    with database_file.open("r+b") as raw:  # scribble over the pages after the schema
        for page in range(pages // 2, pages):
            raw.seek(page * page_size + 8)
            raw.write(b"\x07" * 64)
    damaged = create_database_engine(f"sqlite:///{database_file}")
    assert not check_integrity(damaged)
    damaged.dispose()


def test_a_full_disk_is_named_without_sql_or_values(engine: Engine, database_file: Path) -> None:
    backups = database_file.parent / "backups"
    newest = make_daily_backup(database_file, backups, DAY)
    assert newest is not None
    with pytest.raises(DBAPIError) as failed, engine.begin() as connection:
        pages = connection.execute(text("PRAGMA page_count")).scalar()
        connection.execute(text(f"PRAGMA max_page_count = {pages}"))
        for n in range(200):
            connection.execute(
                text(
                    "INSERT INTO ai_sessions (id, user_id, title, status, state_version,"
                    " last_activity_at, created_at, updated_at) VALUES (:id, 'u', :title,"
                    " 'active', 0, '2026-01-01', '2026-01-01', '2026-01-01')"
                ),
                {"id": f"s{n}", "title": SECRET * 50},
            )
    assert failure_kind(failed.value) == "full"
    assert SECRET not in str(failed.value), "the engine hides parameters"
    message = describe_database_error(failed.value, database_file, backups)
    assert message.startswith(f"The disk holding {database_file} is full")
    assert newest.name in message
    assert_readable(message, database_file, backups)


def test_a_read_only_file_is_named_with_its_folder(database_file: Path) -> None:
    read_only = create_database_engine(f"sqlite:///file:{database_file}?mode=ro&uri=true")
    with pytest.raises(DBAPIError) as failed, read_only.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO template_categories (id, name, created_at, updated_at)"
                " VALUES ('c1', :name, '2026-01-01', '2026-01-01')"
            ),
            {"name": SECRET},
        )
    read_only.dispose()
    message = describe_database_error(failed.value, database_file, None)
    assert message.startswith(f"FlowPilot can't write to {database_file.parent}")
    assert str(database_file) in message
    assert_readable(message, database_file)


def test_a_locked_database_and_os_errors_are_named(database_file: Path) -> None:
    with (
        closing(sqlite3.connect(database_file)) as holder,
        closing(sqlite3.connect(database_file, timeout=0)) as waiter,
    ):
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError) as locked:
            waiter.execute("BEGIN IMMEDIATE")
        holder.rollback()
    message = describe_database_error(locked.value, database_file, None)
    assert message.startswith(f"{database_file} is in use by another program")

    denied = PermissionError(13, "Permission denied", str(database_file))
    assert describe_database_error(denied, database_file, None).startswith("FlowPilot can't write")
    no_space = OSError(28, "No space left on device")
    assert describe_database_error(no_space, database_file, None).startswith("The disk holding")


def test_any_other_error_gets_a_short_text_without_sql_or_values(
    engine: Engine, database_file: Path
) -> None:
    with pytest.raises(DBAPIError) as failed, engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO account_settings (account_id, preferences, created_at, updated_at)"
                " VALUES ('acme', :prefs, NULL, NULL)"
            ),
            {"prefs": SECRET},
        )
    message = describe_database_error(failed.value, database_file, None)
    assert message.startswith(f"FlowPilot could not use {database_file} (SQLITE_CONSTRAINT")
    assert_readable(message, database_file)
    assert not is_malformed_error(failed.value)
