"""The app's window built in the benchmark's own process, wired as ``flowpilot_desktop.app.main``
wires it (theme, one qasync loop, the services, the window, the garbage-collector policy), so
an in-process measurement sees what a technician's window does.

``app.main`` composes all of this inline, with no function to call for it: what is copied here
has to follow it (the collector policy arrived that way).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")  # qasync must pick PySide6
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    import qasync
    from PySide6.QtWidgets import QApplication

    from flowpilot_desktop.services import AppServices
    from ui.main_window import MainWindow
    from ui.ops import TaskRunner


@dataclass
class AppUnderTest:
    app: QApplication
    loop: qasync.QEventLoop
    services: AppServices
    runner: TaskRunner
    window: MainWindow

    async def idle(self, settle: float = 0.05, timeout: float = 30.0) -> None:
        """Until no operation of the window runs, twice ``settle`` seconds apart (an answer
        often starts the next load)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if not self.runner.busy:
                await asyncio.sleep(settle)
                if not self.runner.busy:
                    return
            await asyncio.sleep(0.005)
        raise TimeoutError("the window stayed busy")

    async def load_sessions(self) -> tuple[int, float]:
        """Load the session list as the app does at start: the number of sessions, and
        perf_counter() when the window said it was loaded."""
        loaded: asyncio.Future[tuple[int, float]] = asyncio.get_running_loop().create_future()

        def done(count: int) -> None:
            if not loaded.done():
                loaded.set_result((count, time.perf_counter()))

        self.window.sig_sessions_loaded.connect(done)
        try:
            self.window.load_sessions()
            return await asyncio.wait_for(loaded, 60)
        finally:
            self.window.sig_sessions_loaded.disconnect(done)


def open_app(data_dir: Path, *, api_key: str | None = None) -> AppUnderTest:
    """The window over ``data_dir``, shown at 1400×900, its session list not loaded yet. The
    keyring is an in-memory one (holding ``api_key`` if given): never the machine's."""
    import keyring

    from tests.fakes_keyring import MemoryKeyring

    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    if api_key is not None:
        memory.set_password("FlowPilot Desktop", "anthropic_api_key", api_key)

    # As app.main: the Qt-free stack is imported before PySide6.
    from flowpilot_desktop.app import build_services
    from flowpilot_desktop.paths import AppPaths

    paths = AppPaths.for_data_dir(data_dir)
    paths.ensure()
    services = build_services(paths)

    import qasync
    from PySide6.QtWidgets import QApplication

    from ui.app_icon import app_icon
    from ui.collector import CollectorPolicy
    from ui.main_window import MainWindow
    from ui.ops import TaskRunner, install_asyncgen_hooks
    from ui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    app.setWindowIcon(app_icon())
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    install_asyncgen_hooks(loop)
    runner = TaskRunner(loop)
    window = MainWindow(services, runner)
    collector = CollectorPolicy(app)
    window.session_state.sig_streaming_changed.connect(collector.set_streaming)
    window.sig_sessions_loaded.connect(lambda _count: collector.freeze_start_up())
    window.resize(1400, 900)
    window.show()
    return AppUnderTest(app, loop, services, runner, window)


async def close_app(under_test: AppUnderTest) -> None:
    """Close as the app does at quit: the window, the running tasks, the clients."""
    under_test.window.close()
    await under_test.runner.shutdown()
    await under_test.services.outbox.stop()
    await under_test.services.chat.aclose()
