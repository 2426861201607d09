"""The one way widgets run async work: start a coroutine on the qasync loop, keep it alive,
and send its result or its error to the right place (Anki's CollectionOp, smaller).

Whatever a service write returns as its change (a SessionChange, or a result carrying one in
``.change``) is published before the caller hears back, so no caller can forget to; callbacks
whose owner widget is gone are dropped; and a ``latest`` key keeps only the newest result of a
kind of request (a slower, older answer never overwrites a newer one).

Widgets never call ``asyncio.create_task`` themselves.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal

from flowpilot_desktop.changes import SessionChange
from flowpilot_desktop.errors import UserFacingError, is_expected

log = logging.getLogger(__name__)
T = TypeVar("T")


def install_asyncgen_hooks(loop: asyncio.AbstractEventLoop) -> None:
    """Let the loop finalise abandoned async generators, as asyncio's own run_forever does.

    qasync's loop does not install these hooks, so an async generator left half-iterated
    (an HTTP stream after Stop) would be closed by the garbage collector outside any task,
    which httpx2 refuses with an error. With the hooks, its aclose() runs as a task.
    """
    firstiter = getattr(loop, "_asyncgen_firstiter_hook", None)
    finalizer = getattr(loop, "_asyncgen_finalizer_hook", None)
    if firstiter is not None and finalizer is not None:
        sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)


class TaskRunner(QObject):
    """Runs coroutines for the UI and tracks how many are in flight (for busy state)."""

    sig_busy_changed = Signal(bool)
    """True while at least one operation runs."""
    sig_error = Signal(str, str)
    """An operation failed and nobody handled it: (title, plain-language message)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._loop = loop
        self._tasks: set[asyncio.Task[Any]] = set()
        self._busy: set[asyncio.Task[Any]] = set()  # the tasks the status bar shows as busy
        self._latest: dict[str, int] = {}
        self._publish: Callable[[SessionChange], None] = lambda _change: None

    def publish_changes_to(self, publish: Callable[[SessionChange], None]) -> None:
        """Where the changes that writes return are announced (the window's session state)."""
        self._publish = publish

    def run(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[Exception], None] | None = None,
        title: str = "Something went wrong",
        owner: QObject | None = None,
        latest: str | None = None,
        quiet: bool = False,
    ) -> asyncio.Task[T]:
        """Start ``coro``; publish the change it returns; then call ``on_success(result)`` or
        ``on_failure(error)`` on the GUI thread — unless ``owner`` was deleted meanwhile, or a
        newer run with the same ``latest`` key started since. ``quiet`` work (a check re-run
        while typing) does not show as busy in the status bar.

        Without ``on_failure`` the error goes to ``sig_error`` (shown by the window) and the log.
        """
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        if not quiet:
            self._busy.add(task)
            if len(self._busy) == 1:
                self.sig_busy_changed.emit(True)
        ticket = 0
        if latest is not None:
            ticket = self._latest[latest] = self._latest.get(latest, 0) + 1

        def wanted() -> bool:
            if owner is not None and not shiboken6.isValid(owner):
                return False
            return latest is None or self._latest.get(latest) == ticket

        def finished(done: asyncio.Task[T]) -> None:
            self._tasks.discard(done)
            if done in self._busy:
                self._busy.discard(done)
                if not self._busy:
                    self.sig_busy_changed.emit(False)
            if done.cancelled():
                return
            error = done.exception()
            if error is None:
                result = done.result()
                change = change_of(result)
                if change is not None:
                    self._publish(change)
                if on_success is not None and wanted():
                    on_success(result)
                return
            if not isinstance(error, Exception):
                raise error
            if not isinstance(error, UserFacingError):
                log.error("%s", title, exc_info=error)
            if on_failure is not None:
                if wanted():
                    on_failure(error)
            else:
                self.sig_error.emit(title, describe_error(error))

        task.add_done_callback(finished)
        return task

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def shutdown(self, timeout: float = 3.0) -> None:
        """Cancel what still runs and wait (bounded) for it to end: quitting never hangs."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)


def change_of(result: object) -> SessionChange | None:
    """The change a write returned: the result itself, or its ``change`` (a turn, a decision)."""
    if isinstance(result, SessionChange):
        return result
    change = getattr(result, "change", None)
    return change if isinstance(change, SessionChange) else None


def describe_error(error: Exception) -> str:
    """The text a technician sees for an error: expected ones (ours, the PSA's known failures)
    as they are; an unexpected one briefly, pointing at the log where its details are."""
    from flowpilot_desktop.logging_setup import redact

    if is_expected(error):
        return str(error)
    detail = str(error).strip() or type(error).__name__
    return redact(f"{detail}\n\nDetails are in the log file.")
