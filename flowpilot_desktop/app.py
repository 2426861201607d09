"""The composition root: parse options, open the database, build the services and the window,
and run them on one qasync event loop. The only module below ``ui`` allowed to import it."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from flowpilot_desktop import APP_NAME, __version__
from flowpilot_desktop.composition import build_services, local_user_id
from flowpilot_desktop.offscreen_screen import offscreen_platform, parse_screen_size
from flowpilot_desktop.paths import AppPaths

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from flowpilot_desktop.services import AppServices
    from ui.main_window import MainWindow
    from ui.ops import TaskRunner
    from ui.single_instance import FlowPilotApplication

__all__ = ["EXIT_DATABASE_ERROR", "build_services", "local_user_id", "main"]

log = logging.getLogger(__name__)
EXIT_DATABASE_ERROR = 2
RUNNING_MUTEX = "FlowPilotDesktop.Running"
"""A named mutex held while FlowPilot runs on Windows: the installer (Inno Setup's AppMutex,
packaging/windows/flowpilot.iss) refuses to replace files while it exists."""
EXIT_DATA_FOLDER = 4
SMOKE_TIMEOUT_S = 60.0
SETTLE_TIMEOUT_S = 5.0


@dataclass
class StartupTimings:
    """Milestones in milliseconds since the process started (for --smoke and the benchmark)."""

    origin: float = field(default_factory=lambda: _process_start_time())
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        self.marks[name] = round((time.time() - self.origin) * 1000, 1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    return _parser().parse_args(argv)


def link_in_arguments(argv: list[str]) -> str | None:
    """The link among a second start's arguments. They were parsed over there already; a
    message that does not parse (not from a FlowPilot) yields none and exits nothing."""
    try:
        known, _unknown = _parser(exit_on_error=False).parse_known_args(argv)
    except (Exception, SystemExit):  # argparse reports some errors by printing and exiting
        return None
    link = known.link
    return link if isinstance(link, str) else None


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        if self.exit_on_error:
            super().error(message)
        raise ValueError(message)


def _parser(*, exit_on_error: bool = True) -> argparse.ArgumentParser:
    parser = _QuietParser(
        prog="flowpilot-desktop",
        description=f"{APP_NAME}: a desk-side triage copilot for MSP technicians.",
        exit_on_error=exit_on_error,
        add_help=exit_on_error,  # -h received from elsewhere prints nothing
    )
    parser.add_argument(
        "link",
        nargs="?",
        metavar="LINK",
        help="a flowpilot:// link to open: flowpilot://ticket/<number> (that ticket's newest "
        "session, or a new one) or flowpilot://session/<id>",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help="keep the database, settings, logs and backups in DIR instead of the user folders",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open a separate demo database with a few realistic sessions (seeded on first use)",
    )
    parser.add_argument(
        "--screenshot",
        type=Path,
        metavar="PATH",
        help="start offscreen, render the main window to a PNG at PATH, and exit",
    )
    parser.add_argument(
        "--screen",
        type=_screen_size,
        metavar="WxH",
        help="with --screenshot: the size of the screen the window opens on (e.g. 1366x768; "
        "default 1920x1080)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="start, load the session list, show the window, print one JSON line of timings, exit",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    timings = StartupTimings()
    give_streams_a_sink()
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.version:
        _say(f"{APP_NAME} {__version__}")
        return 0

    _hold_running_mutex()
    _choose_qt_platform(args)
    os.environ.setdefault("QT_API", "pyside6")  # qasync must pick PySide6
    paths = AppPaths.for_data_dir(args.data_dir) if args.data_dir else AppPaths.default()
    if args.demo:
        paths = AppPaths.for_data_dir(paths.data_dir / "demo")
    interactive = not (args.smoke or args.screenshot)
    from PySide6.QtWidgets import QApplication

    try:
        paths.ensure()
        from flowpilot_desktop.logging_setup import configure_logging

        configure_logging(paths.log_file)
    except OSError as error:  # a read-only or full disk: say which folder, not a traceback
        return _data_folder_unusable(QApplication(sys.argv[:1]), paths, error, interactive)

    from ui.single_instance import FlowPilotApplication

    app = FlowPilotApplication(sys.argv[:1])
    if args.link:
        app.links.receive(args.link)  # opened once the session list is loaded
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("flowpilot")  # Linux: the menu entry and icon the window belongs to
    app.setQuitOnLastWindowClosed(False)  # the main coroutine decides when to stop
    from ui.crash_reporter import CrashReporter

    crash_reporter = CrashReporter(paths.log_file, app)
    crash_reporter.install()
    timings.mark("qt_ready")
    from ui.single_instance import claim_data_folder

    guard = claim_data_folder(
        paths.data_dir,
        sys.argv[1:] if argv is None else argv,
        automated=bool(args.smoke or args.screenshot),
    )
    if isinstance(guard, int):  # another FlowPilot holds this data folder
        return guard

    notices: list[str] = []
    opened = open_services(paths, demo=args.demo, interactive=interactive, notices=notices)
    if isinstance(opened, int):
        guard.release()
        return opened
    services = opened
    timings.mark("database_ready")
    if services.settings.settings_file_warning:
        notices.append(services.settings.settings_file_warning)
    if crash_reporter.previous_native_crash():
        notices.append(
            "FlowPilot stopped unexpectedly the last time it ran. What it knew about the crash "
            f"is in the log: {paths.log_file}"
        )

    import qasync

    from ui.app_icon import app_icon
    from ui.collector import CollectorPolicy
    from ui.main_window import MainWindow
    from ui.ops import TaskRunner, install_asyncgen_hooks
    from ui.theme import apply_theme

    apply_theme(app)
    app.setWindowIcon(app_icon())
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    crash_reporter.watch_loop(loop)
    install_asyncgen_hooks(loop)
    runner = TaskRunner(loop)
    window = MainWindow(services, runner)
    collector = CollectorPolicy(app)
    window.session_state.sig_streaming_changed.connect(collector.set_streaming)
    window.sig_sessions_loaded.connect(lambda _count: collector.freeze_start_up())
    # A second start on this folder brings the window to the front and opens its link.
    guard.attach(window, on_arguments=lambda received: _pass_link(app, received))
    try:
        with loop:
            code = loop.run_until_complete(_run(app, window, runner, args, timings, notices))
    finally:
        services.close()
        guard.release()
    _exit_now(app, code)


def open_services(
    paths: AppPaths, *, demo: bool, interactive: bool, notices: list[str]
) -> AppServices | int:
    """The services over an opened (and upgraded) database, or the exit code after saying why
    it could not be opened. A copy chosen in Settings is restored first; a damaged file gets
    the offer to restore the newest copy (once)."""
    from flowpilot_desktop.database_care import (
        describe_startup_failure,
        restore_now,
        take_pending_restore,
    )
    from flowpilot_desktop.errors import UserFacingError

    chosen = take_pending_restore(paths)
    if chosen is not None:
        try:
            notices.append(restore_now(paths, chosen))
        except UserFacingError as error:
            notices.append(str(error))
    offered = False
    while True:
        try:
            return build_services(paths, demo=demo, notices=notices)
        except Exception as error:
            log.error("start-up failed: %s", type(error).__name__, exc_info=error)
            failure = describe_startup_failure(error, paths)
        if failure.restorable and interactive and not offered:
            offered = True
            if _ask_to_restore(failure.message, failure.restorable.path, failure.restorable.when):
                try:
                    notices.append(restore_now(paths, failure.restorable.path))
                    continue
                except UserFacingError as restore_error:
                    failure = replace(failure, message=f"{failure.message}\n\n{restore_error}")
        _say(f"{APP_NAME} could not open its database:\n{failure.message}", error=True)
        if interactive:
            from PySide6.QtCore import Qt
            from PySide6.QtWidgets import QMessageBox

            box = QMessageBox(
                QMessageBox.Icon.Critical, f"{APP_NAME} cannot start", failure.message
            )
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.exec()  # no event loop runs yet
        return EXIT_DATABASE_ERROR


def _ask_to_restore(message: str, backup: Path, when: datetime) -> bool:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(
        QMessageBox.Icon.Warning,
        f"{APP_NAME}: the database is damaged",
        f"{message}\n\nRestore the copy from {when:%Y-%m-%d %H:%M} ({backup.name})? The damaged "
        "file is kept beside it; work since that copy is not in it.",
    )
    box.setObjectName("restoreBackupBox")
    box.setTextFormat(Qt.TextFormat.PlainText)
    restore = box.addButton("Restore the copy", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(restore)
    box.exec()  # no event loop runs yet
    return box.clickedButton() is restore


def _data_folder_unusable(
    app: QApplication, paths: AppPaths, error: OSError, interactive: bool
) -> int:
    folder = Path(error.filename) if error.filename else paths.data_dir
    message = (
        f"FlowPilot can't write to {folder} ({error.strerror or error}). Free some space on that "
        "disk or fix the folder's permissions, or start FlowPilot with another data folder "
        "(--data-dir)."
    )
    _say(message, error=True)
    if interactive:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Critical, f"{APP_NAME} cannot start", message)
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.exec()  # no event loop runs yet
    del app
    return EXIT_DATA_FOLDER


def give_streams_a_sink() -> None:
    """A windowed build (PyInstaller's console=False on Windows, pythonw) starts with
    sys.stdout and sys.stderr set to None: a library writing to them unguarded would raise
    in the middle of its work. They get a sink that discards; errors reach the log and the
    crash dialog, never a console."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


_running_mutex: object = None


def _hold_running_mutex() -> None:
    """Windows only: create RUNNING_MUTEX and keep its handle for the life of the process (the
    system closes it at exit, however the process ends)."""
    global _running_mutex
    if os.name != "nt" or _running_mutex is not None:
        return
    try:
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
        _running_mutex = kernel32.CreateMutexW(None, False, RUNNING_MUTEX)
    except Exception as error:  # never a reason not to start
        log.warning("could not create the running mutex: %s", error)


def _pass_link(app: FlowPilotApplication, argv: list[str]) -> None:
    link = link_in_arguments(argv)
    if link is not None:
        app.links.receive(link)


def _say(text: str, *, error: bool = False) -> None:
    """Print when there is a console (a windowed Windows build has no stdout or stderr)."""
    stream = sys.stderr if error else sys.stdout
    if stream is not None:
        print(text, file=stream)


def _exit_now(app: QApplication, code: int) -> NoReturn:
    """Leave without the interpreter's module teardown, once everything is closed in order.

    By now the window saved its layout, tasks are cancelled, the database is closed and
    checkpointed. Python's finalisation of PySide6 and SQLAlchemy would still cost ~150 ms
    (measured by benchmarks/startup.py), which a technician feels as a sluggish quit. The
    QApplication is destroyed first so Qt does its own shutdown (e.g. handing the clipboard
    to the desktop's clipboard manager); logs and standard streams are flushed.
    """
    import shiboken6

    del app
    from PySide6.QtWidgets import QApplication as _QApplication

    instance = _QApplication.instance()
    if instance is not None:
        shiboken6.delete(instance)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    os._exit(code)


async def _run(
    app: QApplication,
    window: MainWindow,
    runner: TaskRunner,
    args: argparse.Namespace,
    timings: StartupTimings,
    notices: list[str] | None = None,
) -> int:
    loop = asyncio.get_running_loop()
    closed: asyncio.Future[None] = loop.create_future()
    loaded: asyncio.Future[int] = loop.create_future()

    def finish(*_args: object) -> None:
        if not closed.done():
            closed.set_result(None)

    window.sig_closed.connect(finish)
    app.aboutToQuit.connect(finish)

    def sessions_loaded(count: int) -> None:
        if not loaded.done():
            loaded.set_result(count)

    def failed(title: str, message: str) -> None:
        if not loaded.done():
            loaded.set_exception(RuntimeError(f"{title}: {message}"))

    window.sig_sessions_loaded.connect(sessions_loaded)
    runner.sig_error.connect(failed)
    links = getattr(app, "links", None)  # links wait for the session list (a fresh start's too)
    if links is not None:
        window.sig_sessions_loaded.connect(lambda _count: links.set_handler(window.open_link))
    window.load_sessions()
    window.show()
    timings.mark("window_shown")
    if notices and not (args.smoke or args.screenshot):
        window.show_notice(
            "FlowPilot started, with something to know",
            "\n\n".join(notices),
            on_closed=window.services.settings.acknowledge_settings_file_warning,
        )

    if args.smoke or args.screenshot:
        try:
            count = await asyncio.wait_for(loaded, SMOKE_TIMEOUT_S)
        except (TimeoutError, RuntimeError) as error:
            _say(f"the session list did not load: {error or 'timed out'}", error=True)
            window.close()
            await runner.shutdown()
            return 1
        timings.mark("sessions_loaded")
        if args.screenshot:  # let the selected session's conversation load before the picture
            deadline = loop.time() + SETTLE_TIMEOUT_S
            while runner.busy and loop.time() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.4)  # animations (the outcome banner slides up) come to rest
        await asyncio.sleep(0)  # let the first paint after loading happen
        if args.screenshot:
            args.screenshot.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(args.screenshot)):
                _say(f"could not write {args.screenshot}", error=True)
                return 1
            _say(f"screenshot written to {args.screenshot}")
        if args.smoke:
            _say(json.dumps({"sessions": count, **timings.marks}))
        window.close()
    await closed
    await runner.shutdown()
    await window.services.outbox.stop()
    await window.services.chat.aclose()
    return 0


def _choose_qt_platform(args: argparse.Namespace) -> None:
    """--screenshot always renders offscreen (on a screen of --screen's size); --smoke does
    when there is no display. A platform the environment names is kept, except that plain
    "offscreen" still gets the screen size a screenshot asks for."""
    chosen = os.environ.get("QT_QPA_PLATFORM")
    if chosen is not None and not (args.screenshot and chosen == "offscreen"):
        return
    no_display = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if args.screenshot:
        os.environ["QT_QPA_PLATFORM"] = offscreen_platform(*(args.screen or (1920, 1080)))
    elif args.smoke and no_display:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


def _screen_size(text: str) -> tuple[int, int]:
    try:
        return parse_screen_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _process_start_time() -> float:
    """When this process started (epoch seconds): to 10 ms on Linux, else at module load."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat_file:
            start_ticks = int(stat_file.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as uptime_file:
            uptime = float(uptime_file.read().split()[0])
        age = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
        return time.time() - max(0.0, age)
    except (OSError, ValueError, IndexError):
        return _MODULE_LOADED


_MODULE_LOADED = time.time()
