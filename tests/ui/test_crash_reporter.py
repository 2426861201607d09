"""Unhandled errors are logged and shown with "Copy details" (secrets masked); a native crash
is written by faulthandler and reported at the next start."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from flowpilot_desktop.logging_setup import configure_logging, forget_secret, register_secret
from ui.crash_reporter import FAULT_FILE, CrashDialog, CrashReporter

SECRET = "Crash-Report-Secret-9911"


@pytest.fixture
def reporter(tmp_path: Path):
    log_file = tmp_path / "logs" / "flowpilot.log"
    configure_logging(log_file)
    reporter = CrashReporter(log_file)
    reporter.install()
    yield reporter
    reporter.uninstall()
    forget_secret(SECRET)
    for handler in list(logging.getLogger().handlers):
        if getattr(handler, "_flowpilot", False):
            logging.getLogger().removeHandler(handler)
            handler.close()


def _dialog() -> CrashDialog | None:
    shown = (w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog))
    return next((w for w in shown if w.isVisible()), None)


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_qt_slot_is_logged_and_shown_with_copy_details(qtbot, reporter) -> None:
    register_secret(SECRET)

    def broken_slot() -> None:
        raise RuntimeError(f"the ticket parser choked on Password={SECRET} and Pwd=Hunter2x!")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: _dialog() is not None and _dialog().isVisible(), timeout=3000)
    dialog = _dialog()
    assert "RuntimeError" in dialog.summary_label.text()
    assert SECRET not in dialog.details and "Hunter2x!" not in dialog.details
    assert "broken_slot" in dialog.details, "the traceback is there for whoever fixes it"
    qtbot.mouseClick(dialog.copy_button, qtbot_left())
    assert QGuiApplication.clipboard().text() == dialog.details
    logged = reporter.log_file.read_text(encoding="utf-8")
    assert "unhandled error" in logged and SECRET not in logged
    dialog.close()


@pytest.mark.qt_no_exception_capture
def test_an_error_in_a_thread_is_reported_once_per_dialog(qtbot, reporter) -> None:
    def work() -> None:
        raise ValueError("a worker thread failed")

    for _ in range(3):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    qtbot.waitUntil(lambda: _dialog() is not None, timeout=3000)
    qtbot.wait(100)
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog)]
    visible = [d for d in shown if d.isVisible()]
    assert len(visible) == 1, "no flood of dialogs"
    assert "ValueError" in visible[0].summary_label.text()
    visible[0].close()


def test_a_native_crash_is_written_and_reported_at_the_next_start(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "flowpilot.log"
    log_file.parent.mkdir(parents=True)
    script = (
        "import faulthandler, sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from ui.crash_reporter import CrashReporter\n"
        "app = QApplication([])\n"
        f"reporter = CrashReporter(Path({str(log_file)!r}))\n"
        "reporter.install()\n"
        "faulthandler._sigsegv()\n"
    )
    root = Path(__file__).resolve().parents[2]
    child = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        env={"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(root), "HOME": str(tmp_path)},
        capture_output=True,
        timeout=60,
    )
    assert child.returncode != 0
    assert "Fatal Python error" in (log_file.parent / FAULT_FILE).read_text(encoding="utf-8")

    configure_logging(log_file)
    reporter = CrashReporter(log_file)
    text = reporter.previous_native_crash()
    assert text is not None and "Segmentation fault" in text
    assert reporter.previous_native_crash() is None, "reported once"
    assert "stopped unexpectedly" in log_file.read_text(encoding="utf-8")


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
