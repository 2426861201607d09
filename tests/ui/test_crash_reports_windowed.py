"""Crash reports in a windowed build: with no console at all (sys.stdout and sys.stderr are
None) the app still starts, runs and quits; an error the event loop catches (a callback that
raised, a task's error nobody retrieved) gets the same dialog as any unhandled error."""

from __future__ import annotations

import gc
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from flowpilot_desktop.app import give_streams_a_sink
from flowpilot_desktop.logging_setup import configure_logging
from ui.crash_reporter import CrashDialog, CrashReporter

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def reporter(tmp_path: Path, qloop):
    log_file = tmp_path / "logs" / "flowpilot.log"
    configure_logging(log_file)
    reporter = CrashReporter(log_file)
    reporter.install()
    reporter.watch_loop(qloop.loop)
    yield reporter
    reporter.uninstall()
    qloop.loop.set_exception_handler(None)
    for dialog in _dialogs():
        dialog.close()
    for handler in list(logging.getLogger().handlers):
        if getattr(handler, "_flowpilot", False):
            logging.getLogger().removeHandler(handler)
            handler.close()


def _dialogs() -> list[CrashDialog]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()
    ]


def test_no_console_streams_get_a_sink(monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    give_streams_a_sink()
    assert sys.stdout is not None and sys.stderr is not None
    sys.stderr.write("nobody sees this, and nothing raises\n")
    sinks = (sys.stdout, sys.stderr)
    give_streams_a_sink()
    assert (sys.stdout, sys.stderr) == sinks, "streams that exist are left alone"
    for sink in sinks:
        sink.close()


@pytest.mark.qt_no_exception_capture
def test_a_callback_that_raised_on_the_loop_is_shown(qtbot, qloop, reporter, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stderr", None)  # nothing may assume a console

    def broken_callback() -> None:
        raise KeyError("lane-state")

    qloop.loop.call_soon(broken_callback)
    qtbot.waitUntil(lambda: len(_dialogs()) == 1, timeout=3000)
    dialog = _dialogs()[0]
    assert "KeyError" in dialog.summary_label.text()
    assert "broken_callback" in dialog.details
    assert "the event loop caught" in reporter.log_file.read_text(encoding="utf-8")


@pytest.mark.qt_no_exception_capture
def test_a_task_whose_error_nobody_retrieved_is_shown(qtbot, qloop, reporter) -> None:
    async def forgotten() -> None:
        raise ValueError("a background job failed")

    task = qloop.loop.create_task(forgotten())
    qloop.until(task.done)
    del task
    gc.collect()  # "Task exception was never retrieved" is reported when the task goes
    qtbot.waitUntil(lambda: len(_dialogs()) == 1, timeout=3000)
    assert "ValueError: a background job failed" in _dialogs()[0].summary_label.text()


def test_a_network_hiccup_on_the_loop_is_only_logged(qtbot, qloop, reporter) -> None:
    def dropped() -> None:
        raise ConnectionResetError("peer closed the connection")

    qloop.loop.call_soon(dropped)
    qloop.settle(0.1)
    qtbot.wait(50)
    assert _dialogs() == []
    assert "ConnectionResetError" in reporter.log_file.read_text(encoding="utf-8")


def test_the_app_runs_and_quits_with_no_console(tmp_path) -> None:
    """As the windowed Windows build starts: sys.stdout and sys.stderr are None."""
    script = textwrap.dedent(
        f"""
        import sys
        sys.stdout = None
        sys.stderr = None
        from flowpilot_desktop.app import main
        code = main(["--smoke", "--data-dir", {str(tmp_path / "data")!r}])
        raise SystemExit(code)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "", "nothing was written where a console would be"
    log_text = (tmp_path / "data" / "logs" / "flowpilot.log").read_text(encoding="utf-8")
    assert "unhandled error" not in log_text and "Traceback" not in log_text
