"""Kill a real upgrade at every statement: the child side of tests/storage/test_atomic_migrations.

Usage, from the project folder: ``python -m tests.storage.kill_drill WORKDIR [START_FILE]``

Imports SQLAlchemy, Alembic and the migrations once, counts the statements one upgrade executes
(on a copy of START_FILE, or on a new file), then for every statement N forks a process that
runs ``storage.migrate.upgrade_database`` and SIGKILLs itself just before statement N (a
``before_cursor_execute`` event: deterministic, no timing luck), and once more just before the
COMMIT. Forking after the imports keeps each kill to a few milliseconds of set-up, so the drill
takes seconds, not minutes.

After each kill, the files left behind (database, ``-wal``, ``-shm``) are copied as they are to
``next-N.sqlite3`` and another process makes the next start there: a normal upgrade. The killed
files stay untouched for the test to inspect.

Prints ``statements <count>`` first, then one line per kill as it completes:
``kill <label> <killed file> <how it ended> <next-start file> <how the next start ended>``.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import sys
from collections.abc import Callable
from pathlib import Path

# Imported here so that the forked children need not import anything.
import alembic.command
import alembic.config
import alembic.script  # noqa: F401
from sqlalchemy import Engine, event

import storage.models  # noqa: F401
from storage.engine import create_database_engine
from storage.migrate import upgrade_database

COMMIT = "commit"
NOT_REACHED = 3
SIDE_FILES = ("", "-wal", "-shm")


def main(workdir: Path, start_file: Path | None) -> int:
    counted = _prepare(workdir / "count.sqlite3", start_file)
    engine = create_database_engine(f"sqlite:///{counted}")
    statements = _count_statements(engine, workdir / "count-backups")
    engine.dispose()  # no open SQLite connection may cross a fork
    gc.freeze()  # the children then do not copy the whole heap page by page when GC runs
    print(f"statements {statements}", flush=True)

    labels = [str(n) for n in range(1, statements + 1)] + [COMMIT]
    parallel = max(2, min(8, os.cpu_count() or 1))
    # pid -> (label, kill or next start)
    running: dict[int, tuple[str, str]] = {}
    killed_how: dict[str, str] = {}
    pending = list(labels)
    while pending or running:
        while pending and len(running) < parallel:
            label = pending.pop(0)
            target = _prepare(workdir / f"kill-{label}.sqlite3", start_file)
            running[_fork(_kill_at, target, workdir / f"backups-{label}", label)] = (label, "kill")
        pid, status = os.wait()
        label, stage = running.pop(pid)
        how = _how(status)
        killed = workdir / f"kill-{label}.sqlite3"
        after = workdir / f"next-{label}.sqlite3"
        if stage == "kill":
            killed_how[label] = how
            for suffix in SIDE_FILES:  # the files exactly as the killed process left them
                if Path(f"{killed}{suffix}").exists():
                    shutil.copyfile(f"{killed}{suffix}", f"{after}{suffix}")
            running[_fork(_next_start, after, workdir / f"next-backups-{label}")] = (label, "next")
        else:
            print(f"kill {label} {killed} {killed_how.pop(label)} {after} {how}", flush=True)
    return 0


def _prepare(target: Path, start_file: Path | None) -> Path:
    if start_file is not None:
        shutil.copyfile(start_file, target)
    return target


def _count_statements(engine: Engine, backup_dir: Path) -> int:
    count = 0

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: object) -> None:
        nonlocal count
        count += 1

    upgrade_database(engine, backup_dir)
    return count


def _fork(run: Callable[..., None], *args: object) -> int:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            run(*args)
            code = 0
        finally:
            os._exit(code)  # never back into the parent's loop
    return pid


def _kill_at(target: Path, backup_dir: Path, label: str) -> None:
    """Upgrade and SIGKILL this process just before statement ``label`` (or the COMMIT)."""
    engine = create_database_engine(f"sqlite:///{target}")
    seen = 0

    @event.listens_for(engine, "before_cursor_execute")
    def _kill_before_statement(*_args: object) -> None:
        nonlocal seen
        seen += 1
        if label != COMMIT and seen == int(label):
            os.kill(os.getpid(), signal.SIGKILL)

    @event.listens_for(engine, "commit")
    def _kill_before_commit(*_args: object) -> None:
        if label == COMMIT:
            os.kill(os.getpid(), signal.SIGKILL)

    upgrade_database(engine, backup_dir)
    os._exit(NOT_REACHED)


def _next_start(target: Path, backup_dir: Path) -> None:
    engine = create_database_engine(f"sqlite:///{target}")
    upgrade_database(engine, backup_dir)
    engine.dispose()


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal-{os.WTERMSIG(status)}"
    return f"exit-{os.WEXITSTATUS(status)}"


if __name__ == "__main__":
    start = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    sys.exit(main(Path(sys.argv[1]), start))
