"""The one way the app talks to its database: short units of work on a single worker thread.

Every unit of work runs in one transaction on a one-thread executor, so writes are serialised
(as Anki does with ``max_workers=1``) and the GUI thread never waits on SQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage.search import keep_index_current

T = TypeVar("T")


class Database:
    """Owns the engine and the worker thread that runs units of work."""

    def __init__(self, engine: Engine, backup_dir: Path | None = None) -> None:
        self.engine = engine
        self.backup_dir = backup_dir
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        if engine.dialect.name == "sqlite":
            keep_index_current(self._sessions)  # full-text search follows every write
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flowpilot-db")

    async def run(self, unit_of_work: Callable[[Session], T]) -> T:
        """Run ``unit_of_work(session)`` in one transaction on the worker thread.

        The transaction commits when the function returns and rolls back when it raises,
        so a write and its ``state_version`` bump land together or not at all.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.run_sync, unit_of_work)

    def run_sync(self, unit_of_work: Callable[[Session], T]) -> T:
        """Same as :meth:`run`, on the calling thread (start-up, scripts, benchmarks)."""
        with self._sessions.begin() as session:
            return unit_of_work(session)

    def describe_error(self, error: BaseException) -> str:
        """A failed write in a technician's words: what happened and where (the file, the
        newest backup), never SQL or the values it carried."""
        from storage.engine import describe_database_error, sqlite_file

        file = sqlite_file(self.engine.url.render_as_string(hide_password=False))
        return describe_database_error(error, file, self.backup_dir)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.engine.dispose()
