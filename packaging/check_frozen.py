"""Run a built bundle the way CI and the release workflow check it: ``--smoke`` (start, load the
session list, show the window, exit 0) and ``--demo --screenshot`` (a PNG of the demo window),
offscreen, in a throw-away data folder. Exit 0 when both worked.

    python packaging/check_frozen.py dist/FlowPilot/FlowPilot          (Linux)
    python packaging/check_frozen.py dist/FlowPilot/FlowPilot.exe      (Windows)
    python packaging/check_frozen.py dist/FlowPilot.app/Contents/MacOS/FlowPilot

A windowed Windows build may print nothing (no console): the exit code and the screenshot
file are what count; printed output is shown when there is some.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIMEOUT_S = 120
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(executable: Path, *args: str) -> tuple[int, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [str(executable), *args],
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    output = (done.stdout + done.stderr).strip()
    return done.returncode, output, time.monotonic() - started


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    executable = Path(argv[0]).resolve()
    if not executable.is_file():
        print(f"no bundle executable at {executable}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="flowpilot-frozen-") as folder:
        data = Path(folder) / "data"
        code, output, took = run(executable, "--smoke", "--data-dir", str(data))
        print(f"--smoke: exit {code} in {took:.1f} s\n{output}")
        if code != 0 or (output and '"sessions"' not in output):
            print("the frozen --smoke failed", file=sys.stderr)
            return 1
        picture = Path(folder) / "screenshot.png"
        code, output, took = run(
            executable, "--demo", "--data-dir", str(data), "--screenshot", str(picture)
        )
        print(f"--demo --screenshot: exit {code} in {took:.1f} s\n{output}")
        if code != 0 or not picture.is_file() or picture.read_bytes()[:8] != PNG_SIGNATURE:
            print("the frozen --screenshot failed", file=sys.stderr)
            return 1
        print(f"screenshot: {picture.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
