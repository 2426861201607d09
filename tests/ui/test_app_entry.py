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
from flowpilot_desktop.composition import local_user_id


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
        scriptless = db.execute(
            "SELECT count(*) FROM session_suggested_fixes WHERE superseded_at IS NULL "
            "AND template_id IS NULL AND ai_drafted_script IS NULL"
        ).fetchone()[0]
        assert scriptless == 1, "a fix with no script: the Script Builder is one key away"
        standalone = db.execute(
            "SELECT count(*) FROM script_builder_sessions WHERE origin = 'standalone' "
            "AND submitted_at IS NULL AND script IS NOT NULL"
        ).fetchone()[0]
        assert standalone == 1, "a standalone script under Scripts"
    assert not (tmp_path / "flowpilot.sqlite3").exists(), "the demo never touches real data"


def test_a_laptop_screenshot_fills_the_laptop_screen(tmp_path: Path) -> None:
    shot = tmp_path / "laptop.png"
    done = _run_app(
        "--demo", "--data-dir", str(tmp_path), "--screen", "1366x768", "--screenshot", str(shot)
    )
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert 1300 <= image.width() <= 1366 and 700 <= image.height() <= 768


def test_a_meaningless_screen_size_is_refused_plainly() -> None:
    done = _run_app("--screen", "big", "--screenshot", "x.png")
    assert done.returncode == 2
    assert "a screen size looks like 1366x768" in done.stderr


def test_database_from_a_newer_app_is_refused_with_a_message(tmp_path: Path) -> None:
    assert _run_app("--smoke", "--data-dir", str(tmp_path)).returncode == 0
    with sqlite3.connect(tmp_path / "flowpilot.sqlite3") as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_future'")
    done = _run_app("--smoke", "--data-dir", str(tmp_path))
    assert done.returncode == EXIT_DATABASE_ERROR
    assert "newer FlowPilot Desktop" in done.stderr
    with sqlite3.connect(tmp_path / "flowpilot.sqlite3") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == ("9999_future",)


def test_a_damaged_database_is_named_with_its_newest_backup(tmp_path: Path) -> None:
    """No traceback and no SQL: the file, what is wrong, and the copy that can be restored."""
    assert _run_app("--smoke", "--data-dir", str(tmp_path)).returncode == 0
    from storage.backups import make_daily_backup

    assert make_daily_backup(tmp_path / "flowpilot.sqlite3", tmp_path / "backups") is not None
    (tmp_path / "flowpilot.sqlite3").write_bytes(b"this is not a database " * 400)
    done = _run_app("--smoke", "--data-dir", str(tmp_path))
    assert done.returncode == EXIT_DATABASE_ERROR
    assert "flowpilot.sqlite3 is damaged" in done.stderr
    assert "daily" in done.stderr and "Traceback" not in done.stderr


def test_a_copy_chosen_in_settings_is_restored_at_the_next_start(tmp_path: Path) -> None:
    assert _run_app("--smoke", "--data-dir", str(tmp_path)).returncode == 0
    database = tmp_path / "flowpilot.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute(
            "INSERT INTO ai_sessions (id, user_id, title, status, state_version,"
            " last_activity_at, created_at, updated_at) VALUES ('s1', ?, 'Kept in the copy',"
            " 'active', 0, '2026-01-01', '2026-01-01', '2026-01-01')",
            (local_user_id(),),
        )
    from storage.backups import make_daily_backup

    backup = make_daily_backup(database, tmp_path / "backups")
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM ai_sessions")
    (tmp_path / "restore-on-next-start.json").write_text(json.dumps({"backup": str(backup)}))
    done = _run_app("--smoke", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["sessions"] == 1
    assert not (tmp_path / "restore-on-next-start.json").exists(), "restored once"
    assert list(tmp_path.glob("flowpilot.sqlite3.replaced-*")), "the replaced file is kept"


def test_an_unusable_data_folder_is_named_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    done = _run_app("--smoke", "--data-dir", str(blocker / "data"))
    assert done.returncode == 4
    assert "FlowPilot can't write to" in done.stderr and "Traceback" not in done.stderr


def test_a_garbage_settings_file_does_not_stop_the_app(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.json").write_bytes(b"\xff\xfe\x00garbage")
    done = _run_app("--smoke", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "config").glob("settings.json.broken-*"))


def test_a_damaged_database_can_be_restored_from_the_start_dialog(
    tmp_path: Path, monkeypatch
) -> None:
    """The interactive path: the offer to restore the newest copy, accepted."""
    from flowpilot_desktop import app as entry
    from flowpilot_desktop.paths import AppPaths
    from storage.backups import make_daily_backup

    paths = AppPaths.for_data_dir(tmp_path)
    paths.ensure()
    services = entry.build_services(paths)
    services.close()
    make_daily_backup(paths.database_file, paths.backup_dir)
    paths.database_file.write_bytes(b"garbage " * 1000)
    asked: list[str] = []
    monkeypatch.setattr(
        entry, "_ask_to_restore", lambda message, backup, when: asked.append(message) or True
    )
    notices: list[str] = []
    opened = entry.open_services(paths, demo=False, interactive=True, notices=notices)
    assert not isinstance(opened, int)
    opened.close()
    assert asked and "is damaged" in asked[0]
    assert notices and notices[0].startswith("Restored the copy flowpilot-daily-")
