"""Start-up benchmark: ``--smoke`` over 10,000 sessions vs. a bare PySide6 window.

Runs, alternately, ``python -m flowpilot_desktop --smoke`` and benchmarks/bare_window.py (same
docks, one SQLAlchemy query) and prints the median wall times and their ratio. Target: ≤ 1.3×.
benchmarks/scale.py measures the same way on an empty database and on a full one (with
200,000 messages), next to the other scale figures; this script is the start-up part alone.

    .venv/bin/python benchmarks/startup.py [--runs 15] [--sessions 10000] [--messages 0]
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.3
PACKAGES = ("flowpilot_desktop", "ui", "storage", "psa", "resources", "benchmarks")
MARKS = ("qt_ready", "database_ready", "window_shown", "sessions_loaded")


@dataclass(frozen=True)
class StartupFigures:
    """Medians of alternating runs, wall time from spawning the process to its exit."""

    runs: int
    sessions: int
    app_ms: float
    bare_ms: float
    marks_ms: dict[str, float]  # the app's own milestones, after process start

    @property
    def ratio(self) -> float:
        return self.app_ms / self.bare_ms


def compile_bytecode() -> None:
    """Compiled modules, as an installed app has them (this machine sets
    PYTHONDONTWRITEBYTECODE, so without this every run would compile from source)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(ROOT / p) for p in PACKAGES)],
        check=True,
        capture_output=True,
    )


def database_file(data_dir: Path) -> Path:
    """Where the app keeps the database of ``data_dir`` (the bare window reads the same)."""
    from flowpilot_desktop.paths import AppPaths

    return AppPaths.for_data_dir(data_dir).database_file


def measure_startup(data_dir: Path, runs: int) -> StartupFigures:
    """``runs`` alternating runs of the app and the bare window over ``data_dir``."""
    return measure_startups([data_dir], runs)[0]


def measure_startups(data_dirs: list[Path], runs: int) -> list[StartupFigures]:
    """For each data folder, ``runs`` runs of the app and of the bare window over its
    database, all interleaved (app, bare, next folder's app, bare, ...), so that a busy moment
    of the machine weighs on every figure alike; after one warm-up run of each (which also
    migrates an empty folder and writes the window state, as a first start would)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    commands = [_commands(data_dir) for data_dir in data_dirs]
    for app_command, bare_command in commands:
        _timed(app_command, env)  # warms the OS file cache; the bare window needs the file
        _timed(bare_command, env)
    app_times: list[list[float]] = [[] for _ in data_dirs]
    bare_times: list[list[float]] = [[] for _ in data_dirs]
    marks: list[list[dict[str, float]]] = [[] for _ in data_dirs]
    for _ in range(runs):
        for n, (app_command, bare_command) in enumerate(commands):
            elapsed, output = _timed(app_command, env)
            app_times[n].append(elapsed)
            marks[n].append(json.loads(output.strip().splitlines()[-1]))
            bare_times[n].append(_timed(bare_command, env)[0])
    return [
        StartupFigures(
            runs=runs,
            sessions=int(marks[n][-1].get("sessions", 0)),
            app_ms=statistics.median(app_times[n]) * 1000,
            bare_ms=statistics.median(bare_times[n]) * 1000,
            marks_ms={
                key: statistics.median(m[key] for m in marks[n] if key in m)
                for key in MARKS
                if any(key in m for m in marks[n])
            },
        )
        for n in range(len(data_dirs))
    ]


def _commands(data_dir: Path) -> tuple[list[str], list[str]]:
    """The app's --smoke over ``data_dir``, and the bare window over the same database file."""
    app = [sys.executable, "-m", "flowpilot_desktop", "--smoke", "--data-dir", str(data_dir)]
    bare = [
        sys.executable,
        str(ROOT / "benchmarks" / "bare_window.py"),
        str(database_file(data_dir)),
    ]
    return app, bare


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{command} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument(
        "--messages", type=int, default=0, help="spread over the sessions (benchmarks/dataset.py)"
    )
    args = parser.parse_args()

    from benchmarks.dataset import build_data_dir

    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="flowpilot-bench-") as scratch:
        data_dir = Path(scratch) / "data"
        build_data_dir(
            data_dir, args.sessions, args.messages, big_sessions=50 if args.messages else 0
        )
        figures = measure_startup(data_dir, args.runs)

    print(f"sessions in database        : {figures.sessions}")
    print(f"messages in database        : {args.messages}")
    print(f"runs (alternating)          : {figures.runs}")
    print(f"bare window + query, median : {figures.bare_ms:.0f} ms")
    print(f"flowpilot --smoke, median   : {figures.app_ms:.0f} ms")
    for key, value in figures.marks_ms.items():
        print(f"  {key:<26}: {value:.0f} ms after process start")
    verdict = "OK" if figures.ratio <= TARGET_RATIO else "OVER TARGET"
    print(
        f"ratio                       : {figures.ratio:.2f}x (target <= {TARGET_RATIO}x) {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
