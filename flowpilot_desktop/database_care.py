"""Looking after the local database: the daily copy, restoring a copy (chosen in Settings, done
at the next start, before anything opens the file), and what a start-up failure means.

Qt-free; the window calls the async methods, the app entry calls the start-up functions.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.paths import AppPaths
from storage.backups import (
    BackupInfo,
    BackupNotUsableError,
    list_backups,
    make_daily_backup,
    newest_backup,
    restore_backup,
)
from storage.health import describe_database_error, is_malformed_error
from storage.migrate import DatabaseNotRecognisedError, DatabaseTooNewError

__all__ = ["BackupInfo", "DatabaseCare", "StartupFailure"]

log = logging.getLogger(__name__)
PENDING_RESTORE_FILE = "restore-on-next-start.json"


@dataclass(frozen=True)
class StartupFailure:
    """Why the database could not be opened, in a technician's words, and what can be done."""

    message: str
    restorable: BackupInfo | None  # the newest copy, offered when the file is damaged


def describe_startup_failure(error: BaseException, paths: AppPaths) -> StartupFailure:
    """The message for a failed start (the database file, the newest backup; no SQL, no
    values), and the copy to offer when the file is damaged."""
    if isinstance(error, UserFacingError | DatabaseTooNewError | DatabaseNotRecognisedError):
        return StartupFailure(str(error), None)  # already in a technician's words
    message = describe_database_error(error, paths.database_file, paths.backup_dir)
    restorable = newest_backup(paths.backup_dir) if is_malformed_error(error) else None
    return StartupFailure(message, restorable)


def restore_now(paths: AppPaths, backup: Path) -> str:
    """Put ``backup`` in place (nothing may have the database open); a sentence saying so."""
    try:
        aside = restore_backup(backup, paths.database_file)
    except BackupNotUsableError as error:
        raise UserFacingError(str(error)) from None
    except OSError as error:
        raise UserFacingError(
            f"The copy {backup.name} could not be put in place ({error.strerror}); the "
            "database was left as it was."
        ) from None
    kept = f" The replaced file was kept as {aside.name}." if aside else ""
    log.info("restored %s over %s", backup, paths.database_file)
    return f"Restored the copy {backup.name}.{kept}"


def take_pending_restore(paths: AppPaths) -> Path | None:
    """The copy the technician chose in Settings to restore at this start (then forgotten)."""
    marker = paths.data_dir / PENDING_RESTORE_FILE
    try:
        chosen = Path(json.loads(marker.read_text(encoding="utf-8"))["backup"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        log.warning("ignored an unreadable %s", marker.name)
        chosen = None
    marker.unlink(missing_ok=True)
    return chosen


class DatabaseCare:
    """What Settings offers: the copies, and restoring one at the next start."""

    def __init__(self, paths: AppPaths) -> None:
        self._paths = paths

    @property
    def backup_dir(self) -> Path:
        return self._paths.backup_dir

    async def backups(self) -> list[BackupInfo]:
        return await asyncio.to_thread(list_backups, self._paths.backup_dir)

    async def make_daily_backup(self) -> Path | None:
        """Today's copy, if there is none yet (off the GUI thread; never raises)."""
        return await asyncio.to_thread(
            make_daily_backup, self._paths.database_file, self._paths.backup_dir
        )

    async def restore_at_next_start(self, backup: Path) -> None:
        """Remember the choice; the next start restores it before opening the database."""
        if not backup.is_file():
            raise UserFacingError(f"The copy {backup.name} is no longer there.")
        marker = self._paths.data_dir / PENDING_RESTORE_FILE
        text = json.dumps({"backup": str(backup)})
        await asyncio.to_thread(marker.write_text, text, encoding="utf-8")
