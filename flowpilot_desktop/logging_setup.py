"""Logging to a rotating file, with every known secret masked before it is written."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
from pathlib import Path

MASK = "•••"
_MIN_SECRET_LENGTH = 4
_secrets: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret so that logs and error texts never show it."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)


def forget_secret(value: str) -> None:
    """Stop masking ``value`` (a secret that was removed; tests clean up with it)."""
    with _lock:
        _secrets.discard(value)


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by a mask (longest first)."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


class SecretRedactor(logging.Filter):
    """Rewrites each record's final message (and exception text) with secrets masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        return True


class _OneLineFormatter(logging.Formatter):
    """The console gets one line per record; tracebacks go to the log file only."""

    def format(self, record: logging.LogRecord) -> str:
        saved, record.exc_text = record.exc_text, None
        try:
            return super().format(record)
        finally:
            record.exc_text = saved


def configure_logging(log_file: Path, level: int = logging.INFO) -> None:
    """Log to ``log_file`` (1 MB × 3) and warnings to stderr, both through the redactor."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_flowpilot", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
    )
    file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handlers: list[logging.Handler] = [file_handler]
    if sys.stderr is not None:  # a windowed Windows build has no console at all
        console = logging.StreamHandler()
        console.setLevel(logging.WARNING)
        console.setFormatter(_OneLineFormatter("%(levelname)s %(name)s: %(message)s"))
        handlers.append(console)
    for handler in handlers:
        handler.addFilter(SecretRedactor())
        handler._flowpilot = True  # type: ignore[attr-defined]
        root.addHandler(handler)
