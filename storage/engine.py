"""Engine setup: which database, and the SQLite settings a desktop app needs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

DATABASE_URL_ENV = "FLOWPILOT_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 5000


def resolve_database_url(database_file: Path, configured_url: str | None = None) -> str:
    """The URL to open: ``FLOWPILOT_DATABASE_URL``, else the configured URL, else the local file."""
    for candidate in (os.environ.get(DATABASE_URL_ENV), configured_url):
        if candidate and candidate.strip():
            return candidate.strip()
    return f"sqlite:///{database_file}"


def sqlite_file(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other backends and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_database_engine(url: str, **engine_options: Any) -> Engine:
    """An engine with WAL, foreign keys and a busy timeout on SQLite; plain elsewhere."""
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    if is_sqlite:
        database_file = sqlite_file(url)
        if database_file is not None:
            database_file.parent.mkdir(parents=True, exist_ok=True)
        connect_args = engine_options.setdefault("connect_args", {})
        # The unit-of-work thread and start-up use the pool from different threads.
        connect_args.setdefault("check_same_thread", False)
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, **engine_options)
    if is_sqlite:
        event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
