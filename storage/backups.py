"""Routine backups of the SQLite file: one copy a day, the last seven kept, and a safe restore.

Copies go through SQLite's backup API, so they are consistent even while the app writes in WAL
mode, and are written under a temporary name first, so a crash never leaves a half copy that
looks like a good one. Everything here is synchronous and Qt-free: the app calls it off the
GUI thread.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

DAILY_BACKUPS_KEPT = 7
BackupKind = Literal["daily", "pre-upgrade"]

# flowpilot-daily-2026-11-29.sqlite3 (make_daily_backup)
_DAILY_NAME = re.compile(r"^(?P<stem>.+)-daily-(?P<day>\d{4}-\d{2}-\d{2})\.sqlite3$")
# flowpilot-20261129-101500-123456-0002_trust.sqlite3 (storage.migrate.backup_database)
_PRE_UPGRADE_NAME = re.compile(
    r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6}-\d{6})-(?P<revision>.+)\.sqlite3$"
)
_SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupNotUsableError(RuntimeError):
    """The chosen backup is damaged; the current database was left as it was."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    when: datetime
    kind: BackupKind
    size: int


def make_daily_backup(
    database_file: Path, backup_dir: Path, now: datetime | None = None
) -> Path | None:
    """Today's copy of ``database_file``, made when there is none yet; the 7 newest are kept.

    Returns the new copy, or None when today's copy already exists, there is no database file,
    or the copy could not be made (disk full, read-only folder: logged, never raised, since a
    missed backup must not stop the technician's work).
    """
    day = (now or datetime.now().astimezone()).date()
    target = backup_dir / f"{database_file.stem}-daily-{day.isoformat()}.sqlite3"
    if target.exists() or not database_file.exists():
        return None
    try:
        backup_dir.mkdir(parents=True, exist_ok=True)
        copy_database(database_file, target)
    except (OSError, sqlite3.Error) as error:
        log.warning("No daily backup of %s today: %s", database_file, _reason(error))
        return None
    try:
        _prune_daily(backup_dir, database_file.stem)
    except OSError as error:
        log.warning("Could not remove old daily backups in %s: %s", backup_dir, _reason(error))
    return target


def list_backups(backup_dir: Path) -> list[BackupInfo]:
    """Every daily and pre-upgrade copy in ``backup_dir``, newest first (none if no folder)."""
    if not backup_dir.is_dir():
        return []
    backups: list[BackupInfo] = []
    for path in backup_dir.iterdir():
        kind = _kind_of(path.name)
        if kind is None or not path.is_file():
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        when = datetime.fromtimestamp(stat.st_mtime, UTC).astimezone()
        backups.append(BackupInfo(path=path, when=when, kind=kind, size=stat.st_size))
    backups.sort(key=lambda backup: (backup.when, backup.path.name), reverse=True)
    return backups


def newest_backup(backup_dir: Path | None) -> BackupInfo | None:
    """The newest copy, or None; never raises (it feeds error messages)."""
    if backup_dir is None:
        return None
    try:
        backups = list_backups(backup_dir)
    except OSError:
        return None
    return backups[0] if backups else None


def restore_backup(backup: Path, database_file: Path) -> Path | None:
    """Put ``backup`` in place of ``database_file``; returns where the replaced file was kept.

    Dispose of every engine on the file first. The backup is checked, copied next to the
    database under a temporary name and checked again; only then is the current file (with its
    ``-wal``/``-shm``) kept as ``<name>.replaced-<time>`` and the copy renamed over it, so at no
    moment is there no database file. A damaged backup raises BackupNotUsableError and changes
    nothing. Returns None when there was no current file to keep.
    """
    if not quick_check_file(backup):
        raise BackupNotUsableError(f"The backup {backup} is damaged; nothing was restored.")
    database_file.parent.mkdir(parents=True, exist_ok=True)
    staging = database_file.with_name(f"{database_file.name}.restoring")
    _remove_with_side_files(staging)
    try:
        copy_database(backup, staging)
        if not quick_check_file(staging):
            raise BackupNotUsableError(
                f"The copy of {backup} did not read back intact; nothing was restored."
            )
        aside = set_aside(database_file, "replaced", keep_linked=True)
        os.replace(staging, database_file)
    finally:
        _remove_with_side_files(staging)
    return aside


def set_aside(database_file: Path, reason: str, *, keep_linked: bool = False) -> Path | None:
    """Rename ``database_file`` and its side files to ``<name>.<reason>-<time>``; never deletes.

    With ``keep_linked`` the main file gets its new name as a hard link and keeps the old one
    too, so a caller renaming a replacement over it never leaves a moment without a database
    (a plain rename where the file system has no hard links). Returns the new name of the main
    file, or None when there was none.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    aside = database_file.with_name(f"{database_file.name}.{reason}-{stamp}")
    # Side files always go: a -wal left beside another main file would be replayed into it.
    for suffix in _SIDE_FILES:
        side = database_file.with_name(database_file.name + suffix)
        if side.exists():
            os.replace(side, aside.with_name(aside.name + suffix))
    if not database_file.exists():
        return None
    if keep_linked:
        try:
            os.link(database_file, aside)
            return aside
        except OSError:
            pass
    os.replace(database_file, aside)
    return aside


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite file through the backup API (consistent in WAL mode) to ``target``.

    The copy is written as ``<target>.partial`` and renamed when complete, so ``target`` is
    either absent or whole.
    """
    partial = target.with_name(target.name + ".partial")
    _remove_with_side_files(partial)
    try:
        src = sqlite3.connect(source)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)
                # A copy of a WAL database is in WAL mode too; as a one-file rollback-journal
                # database it can be moved, listed and checked without -wal/-shm companions.
                dst.execute("PRAGMA journal_mode = DELETE")
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, target)
    finally:
        _remove_with_side_files(partial)


def quick_check_file(path: Path) -> bool:
    """Whether SQLite's quick_check finds ``path`` intact (False for a non-database file)."""
    if not path.is_file():
        return False
    try:
        # Not read-only: a read-only connection to a WAL file leaves -wal/-shm files behind.
        connection = sqlite3.connect(path)
    except sqlite3.Error:
        return False
    try:
        row: object = connection.execute("PRAGMA quick_check(1)").fetchone()
        return row == ("ok",)
    except sqlite3.DatabaseError:
        return False
    finally:
        connection.close()


def _prune_daily(backup_dir: Path, stem: str) -> None:
    dailies: list[tuple[date, Path]] = []
    for path in backup_dir.iterdir():
        match = _DAILY_NAME.match(path.name)
        if match and match["stem"] == stem:
            try:
                dailies.append((date.fromisoformat(match["day"]), path))
            except ValueError:
                continue
    dailies.sort(reverse=True)
    for _day, path in dailies[DAILY_BACKUPS_KEPT:]:
        _remove_with_side_files(path)


def _kind_of(name: str) -> BackupKind | None:
    if _DAILY_NAME.match(name):
        return "daily"
    if _PRE_UPGRADE_NAME.match(name):
        return "pre-upgrade"
    return None


def _remove_with_side_files(path: Path) -> None:
    for suffix in ("", *_SIDE_FILES):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _reason(error: BaseException) -> str:
    # The error's own text: sqlite3 and OS errors carry no SQL or parameter values.
    return f"{type(error).__name__}: {error}"
