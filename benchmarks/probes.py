"""What the in-process benchmarks measure with: a heartbeat on the GUI thread (how long it could
not respond), the paint events of one widget (when a change reached the screen), the garbage
collector's pauses (to name the cause of a stall) and the resident memory of the process."""

from __future__ import annotations

import asyncio
import bisect
import gc
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget

HEARTBEAT_MS = 5


@dataclass(frozen=True, slots=True)
class Collection:
    """One run of the garbage collector (perf_counter seconds)."""

    started: float
    seconds: float
    generation: int

    @property
    def ended(self) -> float:
        return self.started + self.seconds


class GcLog:
    """Logs every collection (start, duration, generation) through ``gc.callbacks``, so a stall
    can be blamed on a collection, or cleared of it."""

    def __init__(self) -> None:
        self.collections: list[Collection] = []
        self._started: float | None = None

    def start(self) -> None:
        gc.callbacks.append(self._callback)

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def between(self, start: float, end: float) -> list[Collection]:
        """The collections that overlap [start, end]."""
        return [c for c in self.collections if c.ended >= start and c.started <= end]

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._started = now
        elif self._started is not None:
            self.collections.append(
                Collection(self._started, now - self._started, info["generation"])
            )
            self._started = None


@dataclass(frozen=True, slots=True)
class Stall:
    """The longest time the GUI thread did not run its 5 ms heartbeat; the CPU time its thread
    and the whole process got in that gap, and the collections in it: enough to tell the
    app's own work from waiting (for the GIL, or for a core on a busy machine)."""

    ms: float
    started: float
    gap_ms: float = float("nan")  # beat to beat (``ms`` is clipped to the measured window)
    gui_cpu_ms: float = float("nan")
    process_cpu_ms: float = float("nan")
    collections: tuple[Collection, ...] = ()

    def cause(self) -> str:
        """A collection when it took half of the stall; otherwise who had the CPU."""
        if not self.ms >= 1:
            return "none"
        start, end = self.started, self.started + (self.ms + HEARTBEAT_MS) / 1000
        spent = {c: (min(c.ended, end) - max(c.started, start)) * 1000 for c in self.collections}
        collected = sum(spent.values())
        if collected >= 1 and collected >= self.ms / 2:
            worst = max(spent, key=lambda c: spent[c])
            return (
                f"mostly garbage collection: generation {worst.generation}, "
                f"{worst.seconds * 1000:.0f} ms"
            )
        others = self.process_cpu_ms - self.gui_cpu_ms
        if self.gui_cpu_ms >= 0.6 * self.gap_ms:
            who = "the GUI thread working"
        elif others >= 0.5 * self.gap_ms:
            who = "another thread of the app running, the GUI thread waiting (GIL)"
        elif self.gui_cpu_ms >= 0.25 * self.gap_ms:
            who = "the GUI thread working, slowed by a busy machine"
        else:
            who = "the process mostly off the CPU (other programs, or I/O)"
        detail = (
            f"GUI thread {self.gui_cpu_ms:.0f} ms of CPU, process {self.process_cpu_ms:.0f} ms, "
            f"in {self.gap_ms:.0f} ms"
        )
        if collected >= 1:
            detail += f", {collected:.0f} ms garbage collection"
        return f"{who}: {detail}"


class StallWatch:
    """A 5 ms precise QTimer on the GUI thread: a gap between two beats, minus 5 ms, is a time
    the window could not have answered input or painted. Each beat also notes the CPU time of
    the GUI thread and of the process, to tell working from waiting."""

    def __init__(self, gc_log: GcLog | None = None) -> None:
        self.beats: list[float] = []
        self._cpu: list[tuple[float, float]] = []  # (GUI thread, process) CPU seconds per beat
        self._gc_log = gc_log
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(self._beat)

    def start(self) -> None:
        self._beat()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def gaps_ms(self, start: float, end: float) -> list[float]:
        """Every gap between two beats that both fell within [start, end]."""
        beats = [beat for beat in self.beats if start <= beat <= end]
        return [(later - earlier) * 1000 for earlier, later in itertools.pairwise(beats)]

    def longest(self, start: float, end: float) -> Stall:
        """The longest stall within [start, end]; a gap that began before ``start`` or ended
        after ``end`` counts only inside it (give the heartbeat a beat after ``end`` before
        asking: ``await asyncio.sleep(0.02)``)."""
        first = max(bisect.bisect_left(self.beats, start) - 1, 0)
        last = min(bisect.bisect_right(self.beats, end), len(self.beats) - 1)
        if last <= first:
            return Stall(float("nan"), start)
        clipped, i = max(
            (min(self.beats[i + 1], end) - max(self.beats[i], start), i) for i in range(first, last)
        )
        began = max(self.beats[i], start)
        (gui_before, process_before), (gui_after, process_after) = self._cpu[i], self._cpu[i + 1]
        collections = self._gc_log.between(began, began + clipped) if self._gc_log else []
        return Stall(
            ms=max(0.0, clipped * 1000 - HEARTBEAT_MS),
            started=began,
            gap_ms=(self.beats[i + 1] - self.beats[i]) * 1000,
            gui_cpu_ms=(gui_after - gui_before) * 1000,
            process_cpu_ms=(process_after - process_before) * 1000,
            collections=tuple(collections),
        )

    def beat_after(self, moment: float) -> float:
        """The first beat after ``moment`` (the loop was free again), or ``moment``."""
        index = bisect.bisect_right(self.beats, moment)
        return self.beats[index] if index < len(self.beats) else moment

    def busiest_ms(self, start: float, end: float) -> float:
        """The most CPU time the GUI thread spent between two beats within [start, end],
        minus a beat: its longest own stall, as a machine with a free core would show it."""
        first = bisect.bisect_left(self.beats, start)
        last = bisect.bisect_right(self.beats, end) - 1
        busiest = max(
            (self._cpu[i + 1][0] - self._cpu[i][0] for i in range(first, last)), default=0.0
        )
        return max(0.0, busiest * 1000 - HEARTBEAT_MS)

    def _beat(self) -> None:
        self.beats.append(time.perf_counter())
        self._cpu.append((time.thread_time(), time.process_time()))


class PaintProbe(QObject):
    """Watches one widget's Paint events. ``expect`` (before the action) gives a future set at
    the first Paint event at which a condition holds: the frame that shows what changed."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.paints = 0
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        widget.installEventFilter(self)

    def expect(self, condition: Callable[[], bool] = lambda: True) -> asyncio.Future[float]:
        """perf_counter() at that Paint event (when the frame starts being painted)."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        waiter = (condition, future)
        self._waiters.append(waiter)
        future.add_done_callback(lambda _f: self._waiters.remove(waiter))
        return future

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            now = time.perf_counter()
            self.paints += 1
            for condition, future in list(self._waiters):
                if not future.done() and condition():
                    future.set_result(now)
        return False


async def within(future: asyncio.Future[float], timeout: float) -> float | None:
    """The future's result, or None if it took longer than ``timeout`` seconds."""
    try:
        return await asyncio.wait_for(future, timeout)
    except TimeoutError:
        return None


def rss_mb() -> float:
    """Resident memory of this process (VmRSS), in MB."""
    return _status_kb("VmRSS") / 1024


def peak_rss_mb() -> float:
    """The highest resident memory this process had so far (VmHWM), in MB."""
    return _status_kb("VmHWM") / 1024


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} is not in /proc/self/status")
