"""Everything done to the suggested fix's outcome, whichever surface asked: the task lane's
card, the outcome banner or the command palette (its script path is ui.scripts.controller).
Writes go through the TaskLaneService (the TaskRunner announces what they change); refusals
come back as plain messages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from flowpilot_desktop.changes import SessionChange
from flowpilot_desktop.task_lane_service import FixView, TaskLaneService, TaskLaneState
from ui.fix_history_dialog import FixHistoryDialog
from ui.ops import TaskRunner, describe_error


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
    ) -> None:
        super().__init__(window)
        self._window = window
        self._service = service
        self._runner = runner

    def dismiss(self, fix: FixView) -> None:
        self._write(self._service.dismiss_fix(fix.session_id, fix.id), "Fix dismissed.")

    def record_outcome(self, fix: FixView, outcome: str, notes: str = "") -> None:
        self._write(
            self._service.record_outcome(fix.session_id, fix.id, outcome, notes or None),
            "Outcome recorded.",
        )

    def confirm_proposal(self, fix: FixView) -> None:
        self._write(
            self._service.accept_outcome_proposal(fix.session_id, fix.id), "Outcome confirmed."
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
