"""Bring a database to this app's schema: back it up, then upgrade with Alembic.

Alembic is configured from code (no ini file) so migrations also run inside the frozen
bundle. A database already at head is recognised with one small query and without
importing Alembic, which keeps it off the start-up path.

Every upgrade runs in ONE transaction (``storage.engine.transactional_ddl``), so a crash at any
statement leaves the previous revision intact. A file that an older build left half-created
(some of FlowPilot's tables, all empty, no revision) is renamed aside and rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from storage.backups import copy_database, set_aside
from storage.engine import sqlite_file, transactional_ddl

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest revision this app knows; a test checks it against Alembic's own head.
HEAD_REVISION = "0005_work_time"
VERSION_TABLE = "alembic_version"
# Alembic's batch mode builds the new table under this prefix, then renames it.
BATCH_TEMP_PREFIX = "_alembic_tmp_"


class DatabaseTooNewError(RuntimeError):
    """The database was written by a newer FlowPilot; opening it could damage it."""


class DatabaseNotRecognisedError(RuntimeError):
    """The database has tables but no FlowPilot schema version."""


@dataclass(frozen=True)
class MigrationResult:
    from_revision: str | None
    to_revision: str
    backup_path: Path | None
    # Where a half-created file from an older build was moved before it was rebuilt.
    set_aside_path: Path | None = None

    @property
    def upgraded(self) -> bool:
        return self.from_revision != self.to_revision


def current_revision(engine: Engine) -> str | None:
    """The schema revision stamped in the database, or None when it has none."""
    with engine.connect() as connection:
        return _stamped_revision(connection)


def upgrade_database(engine: Engine, backup_dir: Path | None) -> MigrationResult:
    """Upgrade to head in one transaction, after copying a SQLite file into ``backup_dir``
    (when it held data).

    Raises DatabaseTooNewError for a revision this app does not know, and
    DatabaseNotRecognisedError for a database with foreign tables, or with data, and no
    revision. A half-created file from an older build is renamed aside and rebuilt
    (``MigrationResult.set_aside_path``).
    """
    current = current_revision(engine)
    if current == HEAD_REVISION:
        return MigrationResult(current, current, None)

    known = known_revisions()
    if current is not None and current not in known:
        raise DatabaseTooNewError(
            f"This database was last opened by a newer FlowPilot Desktop (schema {current}); "
            "this version cannot open it without risking your data. Install the newer "
            "version, or start with another data folder (--data-dir)."
        )
    set_aside_path = None
    if current is None and _has_tables(engine):
        set_aside_path = _set_aside_half_created(engine)

    backup_path = backup_database(engine, backup_dir, current) if current is not None else None
    with _alembic_config(engine) as config:
        from alembic import command

        _drop_stale_batch_tables(config.attributes["connection"])
        command.upgrade(config, "head")
    return MigrationResult(current, HEAD_REVISION, backup_path, set_aside_path)


def downgrade_database(engine: Engine, revision: str) -> None:
    """Downgrade to ``revision`` ("base" drops everything): for tests and repair only."""
    with _alembic_config(engine) as config:
        from alembic import command

        command.downgrade(config, revision)


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return {revision.revision for revision in script.walk_revisions()}


def script_head() -> str | None:
    """Alembic's own idea of the head revision (what HEAD_REVISION must equal)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def flowpilot_tables() -> set[str]:
    """Every table FlowPilot's migrations create (the version table included)."""
    from storage.models import Base
    from storage.search import SEARCH_TABLES

    return set(Base.metadata.tables) | {VERSION_TABLE} | SEARCH_TABLES


def backup_database(engine: Engine, backup_dir: Path | None, revision: str | None) -> Path | None:
    """Copy a SQLite database file, consistently even in WAL mode, to a timestamped file."""
    source = sqlite_file(engine.url.render_as_string(hide_password=False))
    if source is None or backup_dir is None or not source.exists():
        return None
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    target = backup_dir / f"{source.stem}-{stamp}-{revision or 'empty'}.sqlite3"
    copy_database(source, target)
    return target


def _stamped_revision(connection: Connection) -> str | None:
    try:
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    except (OperationalError, ProgrammingError):
        connection.rollback()
        return None


def _has_tables(engine: Engine) -> bool:
    return bool(set(inspect(engine).get_table_names()) - {VERSION_TABLE})


def _set_aside_half_created(engine: Engine) -> Path:
    """Move a file an interrupted first start left behind out of the way; refuse anything else.

    Before migrations ran in one transaction, a crash during the first start could leave some
    of FlowPilot's tables and no revision. Such a file holds nothing (the first rows are
    written after the schema is complete), so it is safe to start afresh; it is kept, renamed,
    in case. Foreign tables or any row mean someone else's data: refused.
    """
    database_file = sqlite_file(engine.url.render_as_string(hide_password=False))
    where = str(database_file) if database_file is not None else "This database"
    tables = set(inspect(engine).get_table_names())
    foreign = sorted(tables - flowpilot_tables())
    if foreign:
        raise DatabaseNotRecognisedError(
            f"{where} already holds tables that are not FlowPilot's ({', '.join(foreign[:5])}) "
            "and none of FlowPilot's schema history, so FlowPilot will not change it. Choose "
            "an empty database or another data folder (--data-dir)."
        )
    with engine.connect() as connection:
        preparer = connection.dialect.identifier_preparer
        holding = sorted(
            table
            for table in tables
            if connection.execute(
                text(f"SELECT EXISTS (SELECT 1 FROM {preparer.quote(table)})")
            ).scalar()
        )
    if holding:
        raise DatabaseNotRecognisedError(
            f"{where} holds FlowPilot tables with data ({', '.join(holding[:5])}) but no schema "
            "version, so FlowPilot will not change it. Restore a backup, or start with another "
            "data folder (--data-dir)."
        )
    if database_file is None:
        raise DatabaseNotRecognisedError(
            "This database holds an incomplete, empty FlowPilot schema and no schema version; "
            "drop its tables or choose an empty database."
        )
    engine.dispose()  # no connection may hold the file while it is renamed
    aside = set_aside(database_file, "broken")
    if aside is None:  # pragma: no cover - the file was there a moment ago
        raise DatabaseNotRecognisedError(f"{database_file} disappeared while being checked.")
    return aside


def _drop_stale_batch_tables(connection: Connection) -> None:
    """Drop an empty batch-mode temporary table an older, non-atomic build left behind.

    Such a build committed ``CREATE TABLE _alembic_tmp_x`` on its own; killed before the copy,
    the next upgrade failed on "table already exists". Runs inside the upgrade's transaction.
    """
    if connection.dialect.name != "sqlite":
        return
    tables = set(
        connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars()
    )
    preparer = connection.dialect.identifier_preparer
    for name in sorted(tables):
        if not name.startswith(BATCH_TEMP_PREFIX) or name[len(BATCH_TEMP_PREFIX) :] not in tables:
            continue
        quoted = preparer.quote(name)
        if not connection.execute(text(f"SELECT EXISTS (SELECT 1 FROM {quoted})")).scalar():
            connection.execute(text(f"DROP TABLE {quoted}"))


@contextmanager
def _alembic_config(engine: Engine) -> Iterator[Config]:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with transactional_ddl(engine) as connection:
        config.attributes["connection"] = connection
        yield config
