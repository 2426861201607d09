"""An upgrade is one transaction: killed at any statement, the file keeps its previous revision.

The kill drill (tests/storage/kill_drill.py) SIGKILLs a real upgrade just before each statement
it executes, and just before its COMMIT; every file left behind must pass integrity_check, hold
either the revision it started at (with every row) or a complete head, and upgrade normally on
the next start.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import event, text

from storage.engine import create_database_engine
from storage.migrate import HEAD_REVISION, downgrade_database, upgrade_database

PROJECT = Path(__file__).resolve().parents[2]
Schema = dict[str, tuple[object, ...]]
Rows = dict[str, list[tuple[object, ...]]]

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="the kill drill forks (POSIX)")


@dataclass(frozen=True)
class FileState:
    integrity: str
    revision: str | None
    schema: Schema  # tables with their columns and index names
    rows: Rows  # every row of the data tables (the columns of the starting revision)


def state_of(path: Path, columns: dict[str, list[str]] | None = None) -> FileState:
    """What the next start would find in ``path``, read through one plain sqlite3 connection."""
    with closing(sqlite3.connect(path)) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        schema: Schema = {
            table: (
                tuple(connection.execute(f'PRAGMA table_info("{table}")')),
                tuple(
                    sorted(row[1] for row in connection.execute(f'PRAGMA index_list("{table}")'))
                ),
            )
            for table in tables
        }
        revision = None
        if "alembic_version" in tables:
            found = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = found[0] if found else None
        rows: Rows = {}
        for table, names in (columns or {}).items():
            if table in tables:
                query = f'SELECT {", ".join(names)} FROM "{table}"'
                rows[table] = sorted(connection.execute(query), key=repr)
    return FileState(integrity, revision, schema, rows)


def data_columns(state: FileState) -> dict[str, list[str]]:
    return {
        table: [column[1] for column in info[0]]  # type: ignore[index]
        for table, info in state.schema.items()
        if table != "alembic_version"
    }


@dataclass(frozen=True)
class Kill:
    statements: int  # how many statements the whole upgrade executes
    label: str  # the statement it was killed before, or "commit"
    killed: Path  # the database exactly as the killed process left it
    how: str  # how that process ended: "signal-9"
    after: Path  # a copy of it after the next start's normal upgrade
    after_how: str  # how that process ended: "exit-0"


def kill_drill(workdir: Path, start_file: Path | None) -> Iterator[Kill]:
    """Run the drill; yields each kill as it completes, with its next start."""
    command = [sys.executable, "-m", "tests.storage.kill_drill", str(workdir)]
    if start_file is not None:
        command.append(str(start_file))
    with subprocess.Popen(command, cwd=PROJECT, stdout=subprocess.PIPE, text=True) as drill:
        assert drill.stdout is not None
        first = drill.stdout.readline().split()
        assert first[:1] == ["statements"], f"the drill did not start: {first}"
        statements = int(first[1])
        for line in drill.stdout:
            _kill, label, killed, how, after, after_how = line.split()
            yield Kill(statements, label, Path(killed), how, Path(after), after_how)
    assert drill.returncode == 0


@pytest.fixture(scope="module")
def head(tmp_path_factory: pytest.TempPathFactory) -> FileState:
    path = tmp_path_factory.mktemp("head") / "head.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}")
    upgrade_database(engine, backup_dir=None)
    engine.dispose()
    return state_of(path)


def make_0001_database_with_rows(path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{path}")
    upgrade_database(engine, backup_dir=None)
    downgrade_database(engine, "0001_initial")
    stamp = "'2026-01-01 09:00:00'"
    with engine.begin() as connection:
        for n in range(3):
            connection.execute(
                text(
                    "INSERT INTO ai_sessions (id, user_id, title, status, state_version,"
                    f" last_activity_at, created_at, updated_at) VALUES ('s{n}', 'u',"
                    f" 'Printer {n} offline', 'active', {n}, {stamp}, {stamp}, {stamp})"
                )
            )
            for m in range(4):
                connection.execute(
                    text(
                        "INSERT INTO messages (id, session_id, role, content, raw_content,"
                        f" stopped, created_at, updated_at) VALUES ('m{n}{m}', 's{n}', 'user',"
                        f" 'hello {n}.{m}', 'hello {n}.{m}', 0, {stamp}, {stamp})"
                    )
                )
            connection.execute(
                text(
                    "INSERT INTO session_facts (id, session_id, text, source_type, created_at,"
                    f" updated_at) VALUES ('f{n}', 's{n}', 'VPN client 5.{n} installed',"
                    f" 'ai_promote', {stamp}, {stamp})"
                )
            )
    engine.dispose()


def assert_killed_and_recovered(
    kill: Kill, before: FileState, head: FileState, columns: dict[str, list[str]]
) -> None:
    """Killed: intact, at the revision it started from or at a complete head, no row lost.
    Next start: at head, no row lost."""
    assert kill.how == "signal-9", f"kill {kill.label} was not reached ({kill.how})"
    killed = state_of(kill.killed, columns)
    assert killed.integrity == "ok", f"kill {kill.label}: {killed.integrity}"
    if killed.schema != head.schema:
        assert killed.schema == before.schema, f"kill {kill.label} left a partial schema"
        assert killed.revision == before.revision, f"kill {kill.label}"
    else:
        assert killed.revision == HEAD_REVISION, f"kill {kill.label}"
    assert killed.rows == before.rows, f"kill {kill.label} lost rows"

    assert kill.after_how == "exit-0", f"the start after kill {kill.label} failed"
    after = state_of(kill.after, columns)
    assert after.integrity == "ok"
    assert (after.revision, after.schema) == (HEAD_REVISION, head.schema), f"kill {kill.label}"
    assert after.rows == before.rows, f"kill {kill.label}: rows lost on the next start"


@needs_fork
def test_first_start_killed_at_any_statement_leaves_an_empty_file(
    tmp_path: Path, head: FileState
) -> None:
    empty = FileState("ok", None, {}, {})
    kills = list(kill_drill(tmp_path, start_file=None))
    for kill in kills:
        assert_killed_and_recovered(kill, empty, head, columns={})
    assert kills[0].statements > 20, "the drill counts the upgrade's statements"
    assert len(kills) == kills[0].statements + 1, "one kill per statement, and one at COMMIT"


@needs_fork
def test_upgrade_from_0001_killed_at_any_statement_loses_no_row(
    tmp_path: Path, head: FileState
) -> None:
    start = tmp_path / "start-0001.sqlite3"
    make_0001_database_with_rows(start)
    columns = data_columns(state_of(start))
    before = state_of(start, columns)
    assert before.revision == "0001_initial" and len(before.rows["messages"]) == 12

    workdir = tmp_path / "drill"
    workdir.mkdir()
    kills = list(kill_drill(workdir, start_file=start))
    for kill in kills:
        assert_killed_and_recovered(kill, before, head, columns)
    assert kills[0].statements > 20
    assert len(kills) == kills[0].statements + 1
    # Killed at COMMIT, the pre-upgrade copy was already complete.
    (copy,) = (workdir / "backups-commit").glob("*-0001_initial.sqlite3")
    assert state_of(copy, columns).rows == before.rows


# Failing just before statement N of today's 0001 -> head upgrade: 2 BEGIN IMMEDIATE; 29 0002's
# DROP TABLE messages (its new copy filled); 30 the rename of that copy (messages gone); 38 the
# 0002 stamp; 64 0003's DROP TABLE messages; 67 the 0003 stamp; -1 the COMMIT.
@pytest.mark.parametrize("fail_at", [2, 29, 30, 38, 64, 67, -1])
def test_an_error_mid_upgrade_rolls_everything_back(tmp_path: Path, fail_at: int) -> None:
    """The same promise without a fork (and so also on Windows): a statement failing anywhere,
    even between a batch rebuild's DROP and RENAME, or a failing COMMIT, leaves the 0001 file
    as it was."""
    path = tmp_path / "db.sqlite3"
    make_0001_database_with_rows(path)
    columns = data_columns(state_of(path))
    before = state_of(path, columns)
    engine = create_database_engine(f"sqlite:///{path}")
    seen = 0

    @event.listens_for(engine, "before_cursor_execute")
    def fail_statement(*_args: object) -> None:
        nonlocal seen
        seen += 1
        if seen == fail_at:
            raise RuntimeError("simulated failure")

    @event.listens_for(engine, "commit")
    def fail_commit(*_args: object) -> None:
        if fail_at == -1:
            raise RuntimeError("simulated failure")

    with pytest.raises(RuntimeError, match="simulated"):
        upgrade_database(engine, backup_dir=None)
    engine.dispose()
    assert state_of(path, columns) == before


def test_the_migration_connection_goes_back_to_the_pool_as_it_was(tmp_path: Path) -> None:
    """Only the migration takes over BEGIN; the app's units of work keep the driver's mode."""
    engine = create_database_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}", pool_size=1)
    upgrade_database(engine, backup_dir=None)
    with engine.connect() as connection:
        assert connection.connection.driver_connection.isolation_level == ""
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()
