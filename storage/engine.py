"""Engine setup: which database, and the SQLite settings a desktop app needs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

# Re-exported: callers find the error texts and the health check next to the engine.
from storage.health import check_integrity as check_integrity
from storage.health import describe_database_error as describe_database_error
from storage.health import is_malformed_error as is_malformed_error

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
    """An engine with WAL, foreign keys and a busy timeout on SQLite; plain elsewhere.

    Parameters are hidden from error texts: a database error once showed a pasted password
    in an error dialog.
    """
    engine_options.setdefault("hide_parameters", True)
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
    elif engine.dialect.name == "postgresql":
        from storage.models import add_postgresql_conditions

        add_postgresql_conditions()
    return engine


@contextmanager
def transactional_ddl(engine: Engine) -> Iterator[Connection]:
    """A connection whose whole block is ONE transaction, DDL included; it commits at the end.

    The sqlite3 driver commits every CREATE/ALTER/DROP on its own, so a crash halfway through a
    migration left half a schema. This follows SQLAlchemy's documented recipe ("Enabling
    Non-Legacy SQLite Transactional Modes": ``isolation_level = None`` on the driver connection,
    our own BEGIN in the ``begin`` event), on this one connection only: the app's units of work
    keep the driver's behaviour, which takes the write lock only when they first write.
    ``BEGIN IMMEDIATE`` takes the write lock at once, so a second FlowPilot starting at the same
    moment waits (busy timeout) and then finds the schema already upgraded.
    """
    with engine.connect() as connection:
        if connection.dialect.driver != "pysqlite":
            with connection.begin():
                yield connection
            return
        driver_connection = connection.connection.driver_connection
        assert driver_connection is not None  # a checked-out pysqlite connection has one
        previous_level = driver_connection.isolation_level
        # Set before anything runs: no transaction is open yet, so nothing is committed by it.
        driver_connection.isolation_level = None
        event.listen(connection, "begin", _begin_immediate)
        try:
            with connection.begin():
                yield connection
        finally:
            event.remove(connection, "begin", _begin_immediate)
            try:
                driver_connection.isolation_level = previous_level
            except Exception:
                # A connection we cannot put back as it was must not go back to the pool.
                connection.invalidate()


def _begin_immediate(connection: Connection) -> None:
    # sqlite3 still emits COMMIT and ROLLBACK itself when SQLAlchemy ends the transaction.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Runs on a fresh connection, outside any transaction: journal_mode cannot change inside one.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
