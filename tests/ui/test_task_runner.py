"""TaskRunner: busy shows only for work the technician waits on."""

from __future__ import annotations

import asyncio

from ui.ops import TaskRunner


def test_quiet_work_never_shows_busy(qloop) -> None:
    runner = TaskRunner(qloop.loop)
    busy: list[bool] = []
    runner.sig_busy_changed.connect(busy.append)
    done: list[int] = []
    runner.run(asyncio.sleep(0.01, result=1), on_success=done.append, quiet=True)
    qloop.until(lambda: done == [1])
    assert busy == [], "a check re-run while typing is not 'Working…'"
    runner.run(asyncio.sleep(0.01, result=2), on_success=done.append)
    qloop.until(lambda: done == [1, 2])
    assert busy == [True, False]
