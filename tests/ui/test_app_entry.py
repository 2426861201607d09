"""The app entry point as a technician or a script runs it: --version, --smoke, --screenshot,
--demo, and a clear refusal of a database from a newer FlowPilot."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from flowpilot_desktop import __version__
from flowpilot_desktop.app import EXIT_DATABASE_ERROR


def _run_app(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "flowpilot_desktop", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_version() -> None:
    done = _run_app("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"FlowPilot Desktop {__version__}"


def test_smoke_prints_one_json_line_of_timings(tmp_path: Path) -> None:
    done = _run_app("--smoke", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    timings = json.loads(done.stdout.strip().splitlines()[-1])
    assert timings["sessions"] == 0
    assert 0 < timings["window_shown"] <= timings["sessions_loaded"]
    assert (tmp_path / "flowpilot.sqlite3").exists()
    assert (tmp_path / "config" / "window.ini").exists(), "the layout is saved on exit"


def test_demo_screenshot_shows_a_populated_window(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    done = _run_app("--demo", "--data-dir", str(tmp_path), "--screenshot", str(shot))
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 600
    with sqlite3.connect(tmp_path / "demo" / "flowpilot.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM ai_sessions").fetchone()[0] >= 4
        promoted = db.execute(
            "SELECT source_ticket_ref FROM script_templates WHERE source_session_id IS NOT NULL"
        ).fetchall()
        assert promoted == [("47980",)], "the library has a template promoted from a session"
    assert not (tmp_path / "flowpilot.sqlite3").exists(), "the demo never touches real data"


def test_database_from_a_newer_app_is_refused_with_a_message(tmp_path: Path) -> None:
    assert _run_app("--smoke", "--data-dir", str(tmp_path)).returncode == 0
    with sqlite3.connect(tmp_path / "flowpilot.sqlite3") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_future'")
    done = _run_app("--smoke", "--data-dir", str(tmp_path))
    assert done.returncode == EXIT_DATABASE_ERROR
    assert "newer FlowPilot Desktop" in done.stderr
    with sqlite3.connect(tmp_path / "flowpilot.sqlite3") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == ("9999_future",)
