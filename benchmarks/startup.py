"""Start-up benchmark: ``--smoke`` over 10,000 sessions vs. a bare PySide6 window.

Builds a data folder holding 10,000 sessions, then runs, alternately in one measurement
process, ``python -m flowpilot_desktop --smoke`` and benchmarks/bare_window.py (same docks,
one SQLAlchemy query) and prints the median wall times and their ratio. Target: ≤ 1.3×.

    .venv/bin/python benchmarks/startup.py [--runs 15] [--sessions 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.3
PACKAGES = ("flowpilot_desktop", "ui", "storage", "psa", "resources", "benchmarks")


def build_data_dir(data_dir: Path, count: int) -> Path:
    from sqlalchemy import insert

    from flowpilot_desktop.app import local_user_id
    from flowpilot_desktop.paths import AppPaths
    from storage.engine import create_database_engine
    from storage.migrate import upgrade_database
    from storage.models import AiSession

    paths = AppPaths.for_data_dir(data_dir)
    paths.ensure()
    engine = create_database_engine(f"sqlite:///{paths.database_file}")
    upgrade_database(engine, backup_dir=None)
    now = datetime.now(UTC)
    statuses = ("active", "paused", "resolved", "escalated")
    rows = [
        {
            "id": str(uuid.uuid4()),
            "user_id": local_user_id(),
            "title": f"Session {n}: user reports intermittent issue #{n % 97}",
            "ticket_ref": str(40000 + n) if n % 3 else None,
            "status": statuses[n % len(statuses)],
            "state_version": 0,
            "last_activity_at": now - timedelta(minutes=n),
            "created_at": now - timedelta(minutes=n),
            "updated_at": now - timedelta(minutes=n),
        }
        for n in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(insert(AiSession), rows)
    engine.dispose()
    return paths.database_file


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sessions", type=int, default=10_000)
    args = parser.parse_args()

    # Compiled modules, as an installed app has them (this machine sets PYTHONDONTWRITEBYTECODE).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(ROOT / p) for p in PACKAGES)],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with tempfile.TemporaryDirectory(prefix="flowpilot-bench-") as scratch:
        data_dir = Path(scratch) / "data"
        database_file = build_data_dir(data_dir, args.sessions)
        app_command = [
            sys.executable,
            "-m",
            "flowpilot_desktop",
            "--smoke",
            "--data-dir",
            str(data_dir),
        ]
        bare_command = [
            sys.executable,
            str(ROOT / "benchmarks" / "bare_window.py"),
            str(database_file),
        ]
        timed(app_command, env)  # warm the OS file cache and write the window state once
        timed(bare_command, env)
        app_times: list[float] = []
        bare_times: list[float] = []
        marks: list[dict[str, float]] = []
        for _ in range(args.runs):
            elapsed, output = timed(app_command, env)
            app_times.append(elapsed)
            marks.append(json.loads(output.strip().splitlines()[-1]))
            bare_times.append(timed(bare_command, env)[0])

    app_median = statistics.median(app_times)
    bare_median = statistics.median(bare_times)
    ratio = app_median / bare_median
    print(f"sessions in database        : {args.sessions}")
    print(f"runs (alternating)          : {args.runs}")
    print(f"bare window + query, median : {bare_median * 1000:.0f} ms")
    print(f"flowpilot --smoke, median   : {app_median * 1000:.0f} ms")
    for key in ("qt_ready", "database_ready", "window_shown", "sessions_loaded"):
        values = [m[key] for m in marks if key in m]
        if values:
            print(f"  {key:<26}: {statistics.median(values):.0f} ms after process start")
    verdict = "OK" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"ratio                       : {ratio:.2f}x (target <= {TARGET_RATIO}x) {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
