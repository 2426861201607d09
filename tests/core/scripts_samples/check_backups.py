"""Report the newest backup file per client folder and flag the stale ones."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else r"D:\Backups")
MAX_AGE_HOURS = 26


def newest(folder: Path) -> Path | None:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return max(files, key=lambda p: p.stat().st_mtime, default=None)


def main() -> int:
    stale = 0
    for client in sorted(p for p in ROOT.iterdir() if p.is_dir()):
        latest = newest(client)
        if latest is None:
            print(f"{client.name}: no backups")
            stale += 1
            continue
        age = (time.time() - latest.stat().st_mtime) / 3600
        flag = "STALE" if age > MAX_AGE_HOURS else "ok"
        print(f"{client.name}: {latest.name} ({age:.1f} h) {flag}")
        stale += age > MAX_AGE_HOURS
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
