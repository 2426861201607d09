"""One undo stack for the window: Ctrl+Z undoes the last delete (a session, a fact, a message),
final fix outcome or dismissal — each a single keystroke without a confirmation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal


@dataclass(frozen=True)
class UndoEntry:
    label: str  # "delete of “Outlook prompts”", "marked as worked (“Reset WAM”)"
    undo: Callable[[], None]


class UndoStack(QObject):
    sig_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[UndoEntry] = []

    @property
    def can_undo(self) -> bool:
        return bool(self._entries)

    def push(self, label: str, undo: Callable[[], None]) -> None:
        self._entries.append(UndoEntry(label, undo))
        self.sig_changed.emit()

    def undo(self) -> None:
        if not self._entries:
            return
        entry = self._entries.pop()
        self.sig_changed.emit()
        entry.undo()
