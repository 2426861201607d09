"""UI fixtures: a qasync loop per test, and the real main window over a fresh database."""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync
import shiboken6

from flowpilot_desktop.composition import build_services
from flowpilot_desktop.paths import AppPaths
from ui.main_window import MainWindow
from ui.ops import TaskRunner, install_asyncgen_hooks


class LoopDriver:
    """Runs the qasync loop until a condition holds, so UI coroutines make progress.

    Between those runs qtbot's own waits also spin the Qt event loop, and qasync then steps
    pending tasks; asyncio must see the loop as running for them (in the app it always is),
    so the driver keeps it marked as the running loop for the whole test.
    """

    def __init__(self, loop: qasync.QEventLoop) -> None:
        self.loop = loop
        asyncio.events._set_running_loop(loop)

    def until(self, condition: Callable[[], object], timeout: float = 5.0) -> None:
        async def wait() -> None:
            deadline = time.monotonic() + timeout
            while not condition():
                if time.monotonic() > deadline:
                    raise AssertionError(f"condition not met within {timeout}s")
                await asyncio.sleep(0.01)

        self._run(wait())

    def settle(self, seconds: float = 0.05) -> None:
        self._run(asyncio.sleep(seconds))

    def _run(self, coro: object) -> None:
        """Like run_until_complete, minus qasync's trailing processEvents() that would step
        tasks while asyncio sees no running loop."""
        future = asyncio.ensure_future(coro, loop=self.loop)  # type: ignore[arg-type]
        future.add_done_callback(lambda _f: self.loop.stop())
        asyncio.events._set_running_loop(None)
        try:
            self.loop.run_forever()
        finally:
            asyncio.events._set_running_loop(self.loop)
        future.result()


@pytest.fixture
def qloop(qapp) -> Iterator[LoopDriver]:
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    install_asyncgen_hooks(loop)
    driver = LoopDriver(loop)
    yield driver
    driver._run(loop.shutdown_asyncgens())
    asyncio.events._set_running_loop(None)
    sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
    loop.close()
    asyncio.set_event_loop(None)
    del driver, loop
    # Collect this test's Python-owned Qt objects (the loop's timers and signallers, task
    # runners) now, at a quiet moment, rather than whenever the collector next runs, which may
    # be in the middle of Qt delivering an event in a later test.
    gc.collect()


@pytest.fixture
def app_paths(tmp_path: Path) -> AppPaths:
    paths = AppPaths.for_data_dir(tmp_path / "flowpilot")
    paths.ensure()
    return paths


@pytest.fixture
def make_window(qtbot, qloop: LoopDriver, app_paths: AppPaths):
    """Build a main window like the app does; call again for a "restart" on the same data."""
    opened: list[tuple[MainWindow, object, TaskRunner]] = []

    def make(*, load: bool = True) -> MainWindow:
        services = build_services(app_paths)
        runner = TaskRunner(qloop.loop)
        window = MainWindow(services, runner)
        qtbot.addWidget(window)
        opened.append((window, services, runner))
        window.show()
        qtbot.waitExposed(window)
        if load:
            loaded: list[int] = []
            window.sig_sessions_loaded.connect(loaded.append)
            window.load_sessions()
            qloop.until(lambda: loaded)
        return window

    yield make
    for window, services, runner in opened:
        if shiboken6.isValid(window):
            window.close()
        qloop._run(runner.shutdown())
        qloop._run(services.outbox.stop())
        qloop._run(services.chat.aclose())
        services.close()


ASSISTANT_KEY = "sk-ant-ui-test-key"


@pytest.fixture
def session_window(qtbot, qloop: LoopDriver, make_window, app_paths: AppPaths, memory_keyring, api):
    """A window talking to the Anthropic emulator, with one new session selected."""
    from flowpilot_desktop.config import AppConfig, ConfigStore
    from tests.ui.helpers import activate

    def open_window(title: str, ticket: str = "48213") -> MainWindow:
        ConfigStore(app_paths.config_file).save(AppConfig(anthropic_base_url=api.base_url))
        memory_keyring.set_password("FlowPilot Desktop", "anthropic_api_key", ASSISTANT_KEY)
        window = make_window()
        window.runner.run(window.services.sessions.create(title, ticket))
        qloop.until(lambda: window.sessions_panel.model.rowCount() == 1)
        window.sessions_panel.select_first()
        qloop.until(lambda: window.session_state.lane is not None)
        activate(qtbot, window)
        return window

    return open_window
