"""Is the database healthy, and what to tell the technician when it is not.

Error texts from SQLAlchemy quote the failing SQL (and, unless hidden, its parameters: a pasted
password once reached an error dialog). ``describe_database_error`` says what happened and what
to do in a sentence built only from the kind of failure, the file and the newest backup.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from storage.backups import newest_backup

FailureKind = Literal["full", "read-only", "busy", "malformed", "cannot-open", "other"]

# SQLite's primary result codes (https://www.sqlite.org/rescode.html).
_SQLITE_KINDS: dict[int, FailureKind] = {
    5: "busy",  # SQLITE_BUSY
    6: "busy",  # SQLITE_LOCKED
    8: "read-only",  # SQLITE_READONLY
    11: "malformed",  # SQLITE_CORRUPT
    13: "full",  # SQLITE_FULL
    14: "cannot-open",  # SQLITE_CANTOPEN
    23: "read-only",  # SQLITE_AUTH
    26: "malformed",  # SQLITE_NOTADB
}
# Fallback when the driver gives no code: the fixed texts of sqlite3_errstr().
_SQLITE_TEXTS: tuple[tuple[str, FailureKind], ...] = (
    ("database or disk is full", "full"),
    ("readonly database", "read-only"),
    ("database is locked", "busy"),
    ("database table is locked", "busy"),
    ("disk image is malformed", "malformed"),
    ("file is not a database", "malformed"),
    ("unable to open database file", "cannot-open"),
)
_OS_KINDS: dict[int, FailureKind] = {
    errno.ENOSPC: "full",
    getattr(errno, "EDQUOT", errno.ENOSPC): "full",
    errno.EROFS: "read-only",
    errno.EACCES: "read-only",
    errno.EPERM: "read-only",
}


def failure_kind(error: BaseException) -> FailureKind:
    """What went wrong, from the SQLite result code (or OS errno) behind ``error``."""
    for cause in _causes(error):
        if isinstance(cause, sqlite3.Error):
            code = getattr(cause, "sqlite_errorcode", None)
            if isinstance(code, int) and (code & 0xFF) in _SQLITE_KINDS:
                return _SQLITE_KINDS[code & 0xFF]
            message = str(cause).lower()
            for text, kind in _SQLITE_TEXTS:
                if text in message:
                    return kind
        elif isinstance(cause, OSError) and cause.errno in _OS_KINDS:
            return _OS_KINDS[cause.errno]
    return "other"


def is_malformed_error(error: BaseException) -> bool:
    """Whether ``error`` says the file is damaged, so restoring a backup is the way out."""
    return failure_kind(error) == "malformed"


def check_integrity(engine: Engine) -> bool:
    """Whether SQLite's ``quick_check`` finds the database intact.

    quick_check skips the index-content comparison of integrity_check, so it stays fast enough
    for start-up. Returns False for a damaged file (also when it cannot even be opened as a
    database); any other failure (locked, missing folder) is raised, because restoring a backup
    would not fix it.
    """
    try:
        with engine.connect() as connection:
            result = connection.exec_driver_sql("PRAGMA quick_check(1)").scalar()
    except (DBAPIError, sqlite3.DatabaseError) as error:
        if is_malformed_error(error):
            return False
        raise
    return result == "ok"


def describe_database_error(
    error: BaseException, database_file: Path | None, backup_dir: Path | None
) -> str:
    """A technician's sentence for ``error``: what happened to which file, what to do, and the
    newest backup. Never the SQL or its parameters."""
    file = str(database_file) if database_file is not None else "FlowPilot's database"
    folder = str(database_file.parent) if database_file is not None else "the data folder"
    kind = failure_kind(error)
    if kind == "full":
        text = (
            f"The disk holding {file} is full, so FlowPilot could not save. Free some space on "
            "that disk, then try again."
        )
    elif kind == "read-only":
        text = (
            f"FlowPilot can't write to {folder}: {file} or its folder is read-only. Check the "
            "permissions, or start FlowPilot with another data folder (--data-dir)."
        )
    elif kind == "busy":
        text = (
            f"{file} is in use by another program (another FlowPilot, a sync or backup tool), "
            "and it did not let go in time. Close the other program, then try again."
        )
    elif kind == "malformed":
        text = f"{file} is damaged and can no longer be read reliably."
    elif kind == "cannot-open":
        text = (
            f"FlowPilot can't open {file}. Check that {folder} exists, is reachable and can be "
            "written to."
        )
    else:
        text = (
            f"FlowPilot could not use {file} ({_code_name(error)}). Try again; if it keeps "
            "happening, restart FlowPilot."
        )
    backup = _backup_sentence(backup_dir, restore=kind == "malformed")
    return f"{text} {backup}" if backup else text


def _backup_sentence(backup_dir: Path | None, *, restore: bool) -> str:
    newest = newest_backup(backup_dir)
    if newest is None:
        return "There is no backup of it yet." if restore else ""
    when = newest.when.strftime("%Y-%m-%d %H:%M")
    if restore:
        return f"Restore the newest backup, {newest.path.name} ({when}), from {newest.path.parent}."
    return f"The newest backup is {newest.path.name} ({when}) in {newest.path.parent}."


def _code_name(error: BaseException) -> str:
    """The SQLite error name (SQLITE_IOERR_WRITE) or the exception's class name: never its text."""
    for cause in _causes(error):
        name = getattr(cause, "sqlite_errorname", None)
        if isinstance(name, str) and name:
            return name
    innermost = list(_causes(error))[-1]
    return type(innermost).__name__


def _causes(error: BaseException) -> list[BaseException]:
    """``error``, the driver error SQLAlchemy wraps, and their causes (cycle-safe)."""
    chain: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop(0)
        if current is None or any(current is seen for seen in chain):
            continue
        chain.append(current)
        if isinstance(current, DBAPIError):
            pending.append(current.orig)
        pending.extend((current.__cause__, current.__context__))
    return chain
