"""Everything done to the suggested fix's outcome, whichever surface asked: the task lane's
card, the outcome banner or the command palette (its script path is ui.scripts.controller).
Writes go through the TaskLaneService (the TaskRunner announces what they change); refusals
come back as plain messages. A final outcome or a dismissal goes on the window's undo stack:
Ctrl+Z puts the fix back while nothing else has changed it."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from flowpilot_desktop import fix_outcome
from flowpilot_desktop.changes import SessionChange
from flowpilot_desktop.task_lane_service import FixChange, FixView, TaskLaneService, TaskLaneState
from ui.fix_history_dialog import FixHistoryDialog
from ui.ops import TaskRunner, describe_error
from ui.undo import UndoStack


class FixController(QObject):
    sig_failed = Signal(str)
    """A fix write was refused or failed: the message to show."""
    sig_message = Signal(str)
    """A fix write succeeded: a short confirmation for the status bar."""

    def __init__(
        self,
        window: QWidget,
        service: TaskLaneService,
        runner: TaskRunner,
        undo_stack: UndoStack,
        undo_keys: Callable[[], str],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._service = service
        self._runner = runner
        self._undo_stack = undo_stack
        self._undo_keys = undo_keys  # how Undo is reached now (the shortcut may be rebound)

    def dismiss(self, fix: FixView) -> None:
        self._write_undoable(
            self._service.dismiss_fix_undoable(fix.session_id, fix.id), fix, "Fix dismissed."
        )

    def record_outcome(self, fix: FixView, outcome: str, notes: str = "") -> None:
        self._write_undoable(
            self._service.record_outcome_undoable(fix.session_id, fix.id, outcome, notes or None),
            fix,
            "Outcome recorded.",
        )

    def confirm_proposal(self, fix: FixView) -> None:
        self._write_undoable(
            self._service.accept_outcome_proposal_undoable(fix.session_id, fix.id),
            fix,
            "Outcome confirmed.",
        )

    def reject_proposal(self, fix: FixView) -> None:
        self._write(
            self._service.reject_outcome_proposal(fix.session_id, fix.id),
            "The assistant's outcome was rejected; it won't propose one for this fix again.",
        )

    def show_history(self, state: TaskLaneState) -> None:
        dialog = FixHistoryDialog(state.fix_history, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    # ---- Private

    def _write_undoable(
        self, coro: Coroutine[Any, Any, FixChange], fix: FixView, otherwise: str
    ) -> None:
        """Run an outcome write; a final one (one keystroke, no confirmation) gets an undo
        entry and says how to undo it, a parked one just ``otherwise``."""

        def succeeded(result: FixChange) -> None:
            if not result.final:
                self.sig_message.emit(otherwise)
                return
            done = fix_outcome.recorded_text(result.after.status)
            self._undo_stack.push(
                f"{done[0].lower()}{done[1:]} (“{fix.title[:40]}”)",
                lambda: self._undo(fix.session_id, result, done),
            )
            keys = self._undo_keys()
            hint = f"Undo ({keys})" if keys else "Undo is in the Edit menu"
            self.sig_message.emit(f"{done} — {hint}")

        self._runner.run(
            coro,
            on_success=succeeded,
            on_failure=lambda error: self.sig_failed.emit(describe_error(error)),
            owner=self,
        )

    def _undo(self, session_id: str, result: FixChange, done: str) -> None:
        self._write(
            self._service.undo_fix_change(session_id, result.fix_id, result.before, result.after),
            f"{done} — undone.",
        )

    def _write(
        self,
        coro: Coroutine[Any, Any, SessionChange],
        confirmation: str,
        on_success: Callable[[], None] | None = None,
    ) -> None:
        def succeeded(_change: SessionChange) -> None:
            self.sig_message.emit(confirmation)
            if on_success is not None:
                on_success()

        self._runner.run(
            coro,
            on_success=succeeded,
            on_failure=lambda error: self.sig_failed.emit(describe_error(error)),
            owner=self,
        )
