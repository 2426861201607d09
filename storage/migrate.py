"""Bring a database to this app's schema: back it up, then upgrade with Alembic.

Alembic is configured from code (no ini file) so migrations also run inside the frozen
bundle. A database already at head is recognised with one small query and without
importing Alembic, which keeps it off the start-up path.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from storage.engine import sqlite_file

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest revision this app knows; a test checks it against Alembic's own head.
HEAD_REVISION = "0003_leases"


class DatabaseTooNewError(RuntimeError):
    """The database was written by a newer FlowPilot; opening it could damage it."""


class DatabaseNotRecognisedError(RuntimeError):
    """The database has tables but no FlowPilot schema version."""


@dataclass(frozen=True)
class MigrationResult:
    from_revision: str | None
    to_revision: str
    backup_path: Path | None

    @property
    def upgraded(self) -> bool:
        return self.from_revision != self.to_revision


def current_revision(engine: Engine) -> str | None:
    """The schema revision stamped in the database, or None when it has none."""
    with engine.connect() as connection:
        return _stamped_revision(connection)


def upgrade_database(engine: Engine, backup_dir: Path | None) -> MigrationResult:
    """Upgrade to head, after copying a SQLite file into ``backup_dir`` (when it held data).

    Raises DatabaseTooNewError for a revision this app does not know, and
    DatabaseNotRecognisedError for a database with foreign tables and no revision.
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
    if current is None and _has_tables(engine):
        raise DatabaseNotRecognisedError(
            "This database already holds tables but none of FlowPilot's schema history, so "
            "FlowPilot will not change it. Choose an empty database or another data folder."
        )

    backup_path = backup_database(engine, backup_dir, current) if current is not None else None
    with _alembic_config(engine) as config:
        from alembic import command

        command.upgrade(config, "head")
    return MigrationResult(current, HEAD_REVISION, backup_path)


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


def backup_database(engine: Engine, backup_dir: Path | None, revision: str | None) -> Path | None:
    """Copy a SQLite database file, consistently even in WAL mode, to a timestamped file."""
    source = sqlite_file(engine.url.render_as_string(hide_password=False))
    if source is None or backup_dir is None or not source.exists():
        return None
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    target = backup_dir / f"{source.stem}-{stamp}-{revision or 'empty'}.sqlite3"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def _stamped_revision(connection: Connection) -> str | None:
    try:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        connection.rollback()
        return None


def _has_tables(engine: Engine) -> bool:
    return bool(set(inspect(engine).get_table_names()) - {"alembic_version"})


@contextmanager
def _alembic_config(engine: Engine) -> Iterator[Config]:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        yield config
