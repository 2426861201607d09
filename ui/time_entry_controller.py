"""Time entries in the window (issue 21): the work timer hears the session's work (shown,
typed in, written to), and the time entry form is offered on Resolve and Escalate — unless the
team said to skip it — and from Triage → Log time… at any time.

On Resolve and Escalate the form comes between Confirm & post and queueing the note: Resolve
moves the ticket to a closed status, and ConnectWise takes no time on a closed ticket, so the
entry is queued first (the outbox sends what is due oldest first), prefilled from the note
about to be posted. Post or Skip, the conclusion then goes on as confirmed.

Opening the form waits for two things: the draft (from the timer and the posted note) and
ConnectWise's live lists of work types and roles. Either failing is said plainly; nothing is
queued without the technician's Post.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget

from flowpilot_desktop.changes import SessionChange
from flowpilot_desktop.conclusion import NoteKind
from flowpilot_desktop.services import AppServices
from flowpilot_desktop.sessions import SessionSummary
from flowpilot_desktop.time_entries import TimeEntryDraft, WorkOptions
from ui.ops import TaskRunner, describe_error
from ui.session_state import SessionState
from ui.time_entry_dialog import TimeEntryDialog

EVENT_EVERY_S = 30.0  # one work event of a kind per session at most this often
FOCUS_AFTER_MS = 2000  # a session shown this long counts as worked on


class TimeEntryController(QObject):
    sig_message = Signal(str)
    """A short confirmation (or why not) for the status bar."""
    sig_work_time = Signal(str, float)
    """(session id, active seconds): the work counted on a session, after an event."""

    def __init__(
        self, window: QWidget, services: AppServices, runner: TaskRunner, state: SessionState
    ) -> None:
        super().__init__(window)
        self._window = window
        self._services = services
        self._runner = runner
        self._state = state
        self.dialog: TimeEntryDialog | None = None
        self._last_event: dict[tuple[str, str], float] = {}
        self._focus_timer = QTimer(self)
        self._focus_timer.setSingleShot(True)
        self._focus_timer.setInterval(FOCUS_AFTER_MS)
        self._focus_timer.timeout.connect(self._focused)
        state.sig_current_session_changed.connect(self._shown)
        state.sig_session_changed.connect(self._written)

    # ---- The work timer

    def typed(self) -> None:
        """The technician typed in the session (the composer): work."""
        session = self._state.current
        if session is not None:
            self._record(session.id, "typing")

    def _shown(self, summary: SessionSummary | None) -> None:
        """A session the technician stays on is work; one passed while arrowing the list is
        not. Counted after FOCUS_AFTER_MS, so opening it never waits behind a timer write."""
        self._focus_timer.stop()
        if summary is not None:
            self._focus_timer.start()

    def _focused(self) -> None:
        session = self._state.current
        if session is not None:
            self._record(session.id, "focus")

    def _written(self, change: SessionChange) -> None:
        current = self._state.current
        if current is not None and current.id == change.session_id:
            self._record(change.session_id, "lane")

    def _record(self, session_id: str, event: str) -> None:
        now = time.monotonic()
        last = self._last_event.get((session_id, event))
        if last is not None and now - last < EVENT_EVERY_S:
            return
        self._last_event[(session_id, event)] = now
        self._runner.run(
            self._services.work_timer.record(session_id, event),
            on_success=lambda worked: self.sig_work_time.emit(session_id, worked.active_seconds),
            title="Could not count the work time",
            owner=self,
            quiet=True,
        )

    # ---- The form

    def before_conclude(
        self,
        session_id: str,
        kind: NoteKind,
        note: str,
        parent: QWidget,
        proceed: Callable[[], None],
    ) -> None:
        """Between Confirm & post and queueing the note: the form (unless the team skips it,
        or no ticket is linked), then ``proceed`` — after Post, Skip, or a form that could not
        be prepared (said in the status bar)."""
        session = self._state.current
        if session is None or session.id != session_id or not session.ticket_ref:
            proceed()
            return

        async def wanted() -> bool:
            return not await self._services.time_entries.skipped()

        def decided(offer: bool) -> None:
            if offer:
                self.open(session_id, kind, note=note, parent=parent, then=proceed)
            else:
                proceed()

        def unreadable(error: Exception) -> None:
            self.sig_message.emit(f"No time entry form: {describe_error(error)}")
            proceed()

        self._runner.run(wanted(), on_success=decided, on_failure=unreadable, owner=self)

    def log_time(self) -> None:
        """Triage → Log time… for the selected session."""
        session = self._state.current
        if session is None:
            self.sig_message.emit("Select a session first: time is logged on its ticket.")
            return
        self.open(session.id, None)

    def open(
        self,
        session_id: str,
        kind: NoteKind | None,
        *,
        note: str | None = None,
        parent: QWidget | None = None,
        then: Callable[[], None] | None = None,
    ) -> None:
        """The form for the session's ticket; ``then`` runs once it is posted (queued),
        skipped, or could not be prepared."""
        if self.dialog is not None:
            self.dialog.raise_()
            return
        entries = self._services.time_entries

        async def prepare() -> tuple[TimeEntryDraft, WorkOptions]:
            return await asyncio.gather(entries.draft(session_id, kind, note), entries.options())

        def failed(error: Exception) -> None:
            self.sig_message.emit(f"No time entry form: {describe_error(error)}")
            if then is not None:
                then()

        self._runner.run(
            prepare(),
            on_success=lambda ready: self._show(session_id, *ready, parent, then),
            on_failure=failed,
            owner=self,
        )

    def _show(
        self,
        session_id: str,
        draft: TimeEntryDraft,
        options: WorkOptions,
        parent: QWidget | None,
        then: Callable[[], None] | None,
    ) -> None:
        dialog = TimeEntryDialog(draft, options, parent or self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_post.connect(lambda entry: self._queue(session_id, entry, then))
        dialog.sig_skipped.connect(lambda: self._skipped(then))
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def _skipped(self, then: Callable[[], None] | None) -> None:
        self.sig_message.emit("No time logged.")
        if then is not None:
            then()

    def _queue(
        self, session_id: str, entry: TimeEntryDraft, then: Callable[[], None] | None
    ) -> None:
        def queued(_change: SessionChange) -> None:
            self.sig_message.emit(
                f"Time entry of {entry.minutes} min queued for ConnectWise; it is checked "
                "once posted."
            )
            if then is not None:
                then()

        def failed(error: Exception) -> None:
            self.sig_message.emit(f"The time entry was not queued: {describe_error(error)}")
            if then is not None:
                then()

        self._runner.run(
            self._services.time_entries.queue(session_id, entry),
            on_success=queued,
            on_failure=failed,
            owner=self,
        )
