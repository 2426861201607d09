"""When Python's garbage collector may pause the GUI thread.

A full (generation-2) collection walks every tracked object: after start-up that is ~300,000 of
them (SQLAlchemy, Qt wrappers, the models), 150 ms at a time, whenever the allocation counters
say so: in an independent check, twice in seven 20,000-token streams. So:

- once the window is up and the session list loaded, everything alive is frozen
  (``gc.freeze``, instant): later collections never walk the start-up objects again (a
  collection first would itself be the 150 ms pause, right after the first paint);
- while a reply streams, full collections wait (young ones still run: they are short);
- the postponed full collection runs when the reply has ended, with the event loop idle.

Reference cycles are still collected; only their timing moves.
"""

from __future__ import annotations

import gc
import logging

from PySide6.QtCore import QObject, QTimer

log = logging.getLogger(__name__)

NO_FULL_COLLECTIONS = 1_000_000_000  # generation-2 threshold: never reached while streaming


class CollectorPolicy(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        self._postponed = False
        self._idle_collection = QTimer(self)
        self._idle_collection.setSingleShot(True)
        self._idle_collection.setInterval(0)  # after the events already queued
        self._idle_collection.timeout.connect(self._collect_full)

    def freeze_start_up(self) -> None:
        """Keep what start-up made out of every later collection (process-wide: the app calls
        it once; tests, which build many windows in one process, do not)."""
        gc.freeze()
        log.debug("garbage collector: %d start-up objects frozen", gc.get_freeze_count())

    def set_streaming(self, streaming: bool) -> None:
        """Hold full collections while a reply streams; run the held one once it ended."""
        if streaming and not self._postponed:
            self._postponed = True
            young, middle, _full = self._thresholds
            gc.set_threshold(young, middle, NO_FULL_COLLECTIONS)
        elif not streaming and self._postponed:
            self._postponed = False
            gc.set_threshold(*self._thresholds)
            self._idle_collection.start()

    @property
    def postponed(self) -> bool:
        return self._postponed

    def _collect_full(self) -> None:
        if not self._postponed:
            gc.collect()
