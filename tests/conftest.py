"""Isolation for every test: Qt offscreen, user folders and keyring inside tmp_path.

The migrated template database is built once per run and copied per test (Anki's
getEmptyCol idea), so storage tests start from the real schema without re-running Alembic.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from flowpilot_desktop.offscreen_screen import offscreen_platform
from storage.database import Database
from storage.engine import create_database_engine
from storage.migrate import upgrade_database

# Set before anything imports Qt. Tests see a 1920×1080 desktop (laptop sizes are set per
# test); a platform the environment asked for is kept unless it is plain "offscreen".
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = offscreen_platform(1920, 1080)
os.environ.setdefault("QT_API", "pyside6")


@pytest.fixture(autouse=True)
def isolated_user_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """platformdirs and anything else that looks at HOME/XDG lands in tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for variable, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CACHE_HOME", "cache"),
    ):
        monkeypatch.setenv(variable, str(home / sub))
    monkeypatch.delenv("FLOWPILOT_DATABASE_URL", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[object]:
    """No test ever reaches the machine's real keyring."""
    import keyring

    from tests.fakes_keyring import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def api():
    """A local Anthropic Messages API emulator (tests/anthropic_emulator.py) for one test."""
    from tests.anthropic_emulator import AnthropicEmulator

    with AnthropicEmulator() as emulator:
        yield emulator


@pytest.fixture
def cw():
    """A local ConnectWise Manage emulator (tests/connectwise_emulator.py) for one test."""
    from tests.connectwise_emulator import ConnectWiseEmulator

    with ConnectWiseEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}")
    upgrade_database(engine, backup_dir=None)
    engine.dispose()
    return path


@pytest.fixture
def database_file(template_database: Path, tmp_path: Path) -> Path:
    """A fresh, migrated database file for this test."""
    target = tmp_path / "flowpilot.sqlite3"
    shutil.copyfile(template_database, target)
    return target


@pytest.fixture
def engine(database_file: Path) -> Iterator[Engine]:
    engine = create_database_engine(f"sqlite:///{database_file}")
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Database]:
    """The app's unit-of-work gateway over this test's fresh database."""
    database = Database(engine)
    yield database
    database.close()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Tear Qt objects down while the QApplication still lives.

    Left to the interpreter's exit, widgets and their Python wrappers are destroyed in no
    particular order, which can crash the process after every test has passed.
    """
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    app.processEvents()
    gc.collect()
