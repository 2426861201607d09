"""Unhandled errors anywhere (a Qt slot, a thread, the main code) and native crashes end up
in the log, and the technician gets a dialog that says what happened, where the log is, and
"Copy details" (secrets masked) — never a silent failure, never a console it can't see.

A native crash (a segfault in Qt or a driver) can't show a dialog: ``faulthandler`` writes
the stack to a file in the log folder, and the next start says FlowPilot stopped unexpectedly
and folds that file into the log.
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop import APP_NAME, __version__
from flowpilot_desktop.logging_setup import redact
from flowpilot_desktop.scrubbing import default_scrubber

log = logging.getLogger(__name__)
FAULT_FILE = "native-crash.log"
COPIED_FEEDBACK_MS = 1500


class CrashReporter(QObject):
    """Installs the hooks; reports on the GUI thread whatever thread the error came from."""

    sig_crashed = Signal(str, str)
    """(one-line summary, redacted details) of an unhandled error."""

    def __init__(self, log_file: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self._fault_stream: IO[str] | None = None
        self._showing = False
        self._dialog: CrashDialog | None = None
        self._previous_hook: Callable[..., object] | None = None
        self.sig_crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        """sys.excepthook (Qt slots report there too), threading.excepthook, faulthandler."""
        self._previous_hook = sys.excepthook
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook
        fault_file = self.log_file.parent / FAULT_FILE
        try:
            self._fault_stream = open(fault_file, "a", encoding="utf-8")  # noqa: SIM115 - kept open
            faulthandler.enable(self._fault_stream, all_threads=True)
        except OSError as error:
            log.warning("native crash reports are off: %s", error.strerror)

    def watch_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Errors the event loop catches are reported too: a callback that raised, a task whose
        error nobody retrieved. A network hiccup (OSError) in a transport is only logged."""

        def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            error = context.get("exception")
            if isinstance(error, Exception) and not isinstance(error, OSError):
                log.error("the event loop caught: %s", context.get("message", ""))
                self._handle(type(error), error, error.__traceback__)
                return
            loop.default_exception_handler(context)  # the log, through the root logger

        loop.set_exception_handler(handle)

    def uninstall(self) -> None:
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook  # type: ignore[assignment]
        threading.excepthook = threading.__excepthook__
        if faulthandler.is_enabled():
            faulthandler.disable()
        if self._fault_stream is not None:
            self._fault_stream.close()
            self._fault_stream = None

    def previous_native_crash(self) -> str | None:
        """What faulthandler wrote in an earlier run (then folded into the log and cleared)."""
        fault_file = self.log_file.parent / FAULT_FILE
        try:
            text = fault_file.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return None
        if not text:
            return None
        log.error("FlowPilot stopped unexpectedly in an earlier run:\n%s", text)
        if self._fault_stream is not None:
            self._fault_stream.truncate(0)
        else:
            fault_file.write_text("", encoding="utf-8")
        return text

    def report(self, error: BaseException) -> None:
        """Log ``error`` and show the dialog (from any thread)."""
        self._handle(type(error), error, error.__traceback__)

    # ---- Hooks

    def _excepthook(
        self,
        kind: type[BaseException],
        error: BaseException,
        trace: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            return
        self._handle(kind, error, trace)

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self._handle(args.exc_type, args.exc_value, args.exc_traceback)

    def _handle(
        self, kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        log.error("unhandled error", exc_info=(kind, error, trace))
        details = _masked(
            f"{APP_NAME} {__version__}, {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n"
            + "".join(traceback.format_exception(kind, error, trace))
        )
        summary = _masked(f"{kind.__name__}: {error}".strip())[:300]
        self.sig_crashed.emit(summary, details)

    def _show(self, summary: str, details: str) -> None:
        if self._showing:  # one dialog at a time: an error in a loop must not flood the screen
            return
        self._showing = True
        # Kept here: a dialog without a parent lives only as long as its Python reference.
        self._dialog = CrashDialog(summary, details, self.log_file, None)
        self._dialog.finished.connect(self._closed)
        self._dialog.open()

    def _closed(self, _result: int) -> None:
        self._showing = False
        self._dialog = None


def _masked(text: str) -> str:
    """Known secrets and anything credential-shaped (a traceback can quote a paste)."""
    try:
        return default_scrubber().scrub(text).text
    except Exception:  # the report must never fail because the scrubber did
        return redact(text)


class CrashDialog(QDialog):
    """What went wrong, where the log is, Copy details; nothing is sent anywhere."""

    def __init__(self, summary: str, details: str, log_file: Path, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle(f"{APP_NAME}: something went wrong")
        self.setAccessibleName("Something went wrong")
        self.details = details
        heading = QLabel(
            "Something went wrong inside FlowPilot. Your work so far is saved; you can go on, "
            "or restart FlowPilot if something looks wrong.",
            self,
        )
        heading.setTextFormat(Qt.TextFormat.PlainText)
        heading.setWordWrap(True)
        self.summary_label = QLabel(summary, self)
        self.summary_label.setObjectName("crashSummary")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setWordWrap(True)
        where = QLabel(f"Details are also in the log: {log_file}", self)
        where.setObjectName("crashLogPath")
        where.setTextFormat(Qt.TextFormat.PlainText)
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_view = QPlainTextEdit(details, self)
        self.details_view.setObjectName("crashDetails")
        self.details_view.setAccessibleName("Error details (secrets masked)")
        self.details_view.setReadOnly(True)
        self.details_view.setTabChangesFocus(True)
        self.details_view.setMinimumHeight(160)
        self.copy_button = QPushButton("&Copy details", self)
        self.copy_button.setObjectName("crashCopy")
        self.copy_button.setAccessibleName("Copy the error details")
        self.copy_button.clicked.connect(self._copy)
        close = QPushButton("Close", self)
        close.setObjectName("crashClose")
        close.setAccessibleName("Close this message")
        close.setDefault(True)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        for widget in (heading, self.summary_label, where, self.details_view):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.resize(620, 380)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.details)
        self.copy_button.setText("Copied")
        QTimer.singleShot(
            COPIED_FEEDBACK_MS, self.copy_button, lambda: self.copy_button.setText("&Copy details")
        )
