"""Resolve and Escalate from any surface (the lane's buttons, the palette, the keys), the
linked ticket at the top of the chat, and the session's ConnectWise sync state.

Resolve/Escalate: prepare (a repeat is refused; Resolve while verifying records success; Escalate
while verifying, partial or pending opens the intercept, whose outcome must be saved first)
→ the preview dialog (cached or fresh, auto-refreshed while the session changes) → Confirm &
post marks the session at once and queues the post; the outbox worker sends it and the sync
strip follows it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QObject, Qt, QUrl, Signal, SignalInstance
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.conclusion import NoteKind
from flowpilot_desktop.conclusion.posting import Preparation
from flowpilot_desktop.conclusion.preview import Preview
from flowpilot_desktop.conclusion.targets import StatusTarget
from flowpilot_desktop.fix_outcome import LABELS
from flowpilot_desktop.psa_access import PsaConfigError
from flowpilot_desktop.services import AppServices
from flowpilot_desktop.sessions import SessionSummary
from ui.conclusion.intercept_dialog import InterceptDialog
from ui.conclusion.preview_dialog import PreviewDialog
from ui.ops import TaskRunner, describe_error
from ui.session_state import SessionState

_RELOAD_KINDS = frozenset(
    {ChangeKind.TICKET, ChangeKind.SYNC, ChangeKind.SESSION_CREATED, ChangeKind.SESSION_RESTORED}
)


class TicketCardView(Protocol):
    """The linked ticket at the top of the chat (ui.chat_dock.ticket_card.TicketCard)."""

    sig_fetch: SignalInstance

    def show_ticket(
        self, ticket_ref: str | None, snapshot: Any, problem: str | None = None, *, is_error: bool
    ) -> None: ...

    def show_fetching(self) -> None: ...


class SyncStripView(Protocol):
    """Where each concluded note's post stands (ui.chat_dock.sync_strip.SyncStrip)."""

    sig_retry: SignalInstance
    sig_open_ticket: SignalInstance

    def show_views(self, views: list[Any]) -> None: ...


# (session id, kind, the confirmed note, the preview dialog, go on): what runs between Confirm
# & post and queueing the post; it calls "go on" when done (or skipped), never blocks
BeforeConclude = Callable[[str, NoteKind, str, QWidget, Callable[[], None]], None]


class ConclusionController(QObject):
    sig_message = Signal(str)
    """A short confirmation for the status bar."""
    sig_concluded = Signal(str, object)
    """(session id, NoteKind): the session is resolved or escalated (its post is queued)."""

    def __init__(
        self,
        window: QWidget,
        services: AppServices,
        runner: TaskRunner,
        state: SessionState,
        card: TicketCardView,
        strip: SyncStripView,
        before_conclude: BeforeConclude | None = None,
    ) -> None:
        super().__init__(window)
        self._before_conclude = before_conclude
        self._window = window
        self._services = services
        self._runner = runner
        self._state = state
        self._card = card
        self._strip = strip
        # session id -> why the last fetch failed: stale once a newer snapshot is stored
        self._fetch_problems: dict[str, _FetchProblem] = {}
        # session id -> when the snapshot the card shows was fetched (None: none yet)
        self._shown_fetched_at: dict[str, str | None] = {}
        self._fetched: set[str] = set()  # sessions whose ticket was fetched (or tried) this run
        self.preview_dialog: PreviewDialog | None = None
        self.intercept_dialog: InterceptDialog | None = None
        self._preview_request = 0

        state.sig_current_session_changed.connect(self._session_shown)
        state.sig_session_changed.connect(self._session_changed)
        self._card.sig_fetch.connect(self.fetch_ticket)
        self._strip.sig_retry.connect(self.retry)
        self._strip.sig_open_ticket.connect(self.open_ticket)

    # ---- Resolve / Escalate

    def start(self, kind: NoteKind) -> None:
        session = self._state.current
        if session is None:
            return
        self._runner.run(
            self._services.conclusion.prepare(session.id, kind),
            on_success=lambda prepared: self._prepared(session, prepared),
            title="Resolve" if kind is NoteKind.RESOLUTION else "Escalate",
            owner=self,
        )

    def _prepared(self, session: SessionSummary, prepared: Preparation) -> None:
        if prepared.recorded:
            self.sig_message.emit(
                f"Recorded “{LABELS[prepared.recorded]}” for the fix before resolving."
            )
        if prepared.intercept and prepared.fix is not None:
            self._open_intercept(session, prepared)
            return
        self._open_preview(session, prepared.kind)

    def _open_intercept(self, session: SessionSummary, prepared: Preparation) -> None:
        fix = prepared.fix
        assert fix is not None
        dialog = InterceptDialog(fix.title, prepared.intercept, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.intercept_dialog = dialog
        dialog.finished.connect(lambda _r: setattr(self, "intercept_dialog", None))

        def chosen(outcome: str, notes: str) -> None:
            def saved(_change: SessionChange) -> None:
                dialog.accept()
                self._open_preview(session, prepared.kind)

            self._runner.run(
                self._services.task_lane.record_outcome(session.id, fix.id, outcome, notes or None),
                on_success=saved,
                on_failure=lambda error: dialog.show_error(
                    "The outcome was not saved, so nothing was escalated. " + describe_error(error)
                ),
                owner=self,
            )

        dialog.sig_chosen.connect(chosen)
        dialog.open()

    def _open_preview(self, session: SessionSummary, kind: NoteKind) -> None:
        if self.preview_dialog is not None:
            self.preview_dialog.close()
        self._runner.run(
            self._services.conclusion.target(kind),
            on_success=lambda target: self._show_preview_dialog(session, kind, target),
            title="Could not read the team's status settings",
            owner=self,
        )

    def _show_preview_dialog(
        self, session: SessionSummary, kind: NoteKind, target: StatusTarget | None
    ) -> None:
        dialog = PreviewDialog(
            kind, session.title, _destination(session, kind, target), self._window
        )
        dialog.session_id = session.id
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.preview_dialog = dialog
        dialog.finished.connect(lambda _r: self._preview_closed(dialog))
        dialog.sig_refresh.connect(lambda forced: self._generate(dialog, refresh=forced))
        dialog.sig_confirm.connect(lambda text: self._confirm(dialog, text))
        dialog.sig_text_settled.connect(lambda text: self._check_masking(dialog, text))
        dialog.open()
        self._generate(dialog, refresh=False)

    def _preview_closed(self, dialog: PreviewDialog) -> None:
        if self.preview_dialog is dialog:
            self.preview_dialog = None

    def _generate(self, dialog: PreviewDialog, *, refresh: bool) -> None:
        self._preview_request += 1
        request = self._preview_request

        def show(preview: Preview) -> None:
            if request == self._preview_request and shiboken6.isValid(dialog):
                dialog.show_preview(preview)

        def failed(error: Exception) -> None:
            if request == self._preview_request and shiboken6.isValid(dialog):
                dialog.show_error(describe_error(error))

        self._runner.run(
            self._services.previews.preview(dialog.kind, dialog.session_id, refresh=refresh),
            on_success=show,
            on_failure=failed,
            owner=self,
        )

    def _check_masking(self, dialog: PreviewDialog, text: str) -> None:
        self._runner.run(
            self._services.conclusion.masked_in_note(dialog.session_id, text),
            on_success=lambda count: shiboken6.isValid(dialog) and dialog.show_masking(text, count),
            title="Could not check the note for credentials",
            owner=self,
        )

    def _confirm(self, dialog: PreviewDialog, text: str) -> None:
        session_id, kind = dialog.session_id, dialog.kind  # the dialog may close meanwhile
        if self._before_conclude is None:
            self._conclude(dialog, session_id, kind, text)
            return
        # e.g. the time entry: it must reach the ticket before Resolve closes it
        self._before_conclude(
            session_id, kind, text, dialog, lambda: self._conclude(dialog, session_id, kind, text)
        )

    def _conclude(self, dialog: PreviewDialog, session_id: str, kind: NoteKind, text: str) -> None:
        def done(change: SessionChange) -> None:
            if shiboken6.isValid(dialog):
                dialog.accept()
            verb = "Resolved" if kind is NoteKind.RESOLUTION else "Escalated"
            self.sig_message.emit(
                f"{verb}. The note is queued for ConnectWise."
                if change.summary and change.summary.ticket_ref
                else f"{verb} locally: no ticket is linked."
            )
            self.sig_concluded.emit(session_id, kind)

        self._runner.run(
            self._services.conclusion.conclude(session_id, kind, text),
            on_success=done,
            on_failure=lambda error: (
                shiboken6.isValid(dialog) and dialog.posting_failed(describe_error(error))
            ),
            owner=self,
        )

    # ---- Ticket and sync

    def fetch_ticket(self) -> None:
        session = self._state.current
        if session is None or not session.ticket_ref:
            return
        self._fetched.add(session.id)
        self._card.show_fetching()

        def failed(error: Exception) -> None:
            self._fetch_problems[session.id] = _FetchProblem(
                describe_error(error),
                is_error=not isinstance(error, PsaConfigError),
                snapshot_fetched_at=self._shown_fetched_at.get(session.id),
            )
            self._reload(session.id)

        def fetched(_change: SessionChange) -> None:
            self._fetch_problems.pop(session.id, None)

        self._runner.run(
            self._services.tickets.fetch(session.id),
            on_success=fetched,
            on_failure=failed,
            owner=self,
        )

    def retry(self, job_id: str) -> None:
        session = self._state.current
        if session is None:
            return
        self._runner.run(
            self._services.conclusion.retry(session.id, job_id), title="Could not retry", owner=self
        )

    def open_ticket(self, ticket_ref: str) -> None:
        try:
            url = self._services.psa.ticket_url(ticket_ref)
        except Exception as error:
            self.sig_message.emit(describe_error(error))
            return
        QDesktopServices.openUrl(QUrl(url))
        self.sig_message.emit(f"Opened ticket #{ticket_ref} in the browser.")

    def _session_shown(self, summary: SessionSummary | None) -> None:
        if summary is None:
            self._card.show_ticket(None, None)
            self._strip.show_views([])
            return
        self._reload(summary.id, fetch_if_missing=True)

    def _session_changed(self, change: SessionChange) -> None:
        dialog = self.preview_dialog
        if dialog is not None and dialog.session_id == change.session_id:
            dialog.session_changed()
        current = self._state.current
        if (
            current is not None
            and current.id == change.session_id
            and (change.kinds & _RELOAD_KINDS)
        ):
            self._reload(current.id)

    def _reload(self, session_id: str, *, fetch_if_missing: bool = False) -> None:
        async def load() -> tuple[Any, Any]:
            snapshot = await self._services.tickets.snapshot(session_id)
            views = await self._services.conclusion.sync_views(session_id)
            return snapshot, views

        def show(result: tuple[Any, Any]) -> None:
            current = self._state.current
            if current is None or current.id != session_id:
                return
            snapshot, views = result
            fetched_at = snapshot.fetched_at if snapshot else None
            self._shown_fetched_at[session_id] = fetched_at
            problem = self._fetch_problems.get(session_id)
            if problem is not None and problem.snapshot_fetched_at != fetched_at:
                # stored since the failure (Refresh, or the outbox reading the ticket back
                # after a post): ConnectWise answered, so the failure is old news
                del self._fetch_problems[session_id]
                problem = None
            self._card.show_ticket(
                current.ticket_ref,
                snapshot,
                problem.message if problem else None,
                is_error=problem.is_error if problem else False,
            )
            self._strip.show_views(views)
            if (
                fetch_if_missing
                and current.ticket_ref
                and not snapshot
                and session_id not in self._fetched
            ):
                self.fetch_ticket()

        self._runner.run(load(), on_success=show, title="Could not load the ticket", owner=self)


@dataclass(frozen=True)
class _FetchProblem:
    """Why the last fetch of a session's ticket failed, and which snapshot it failed to
    replace (so a snapshot stored later shows the failure is over)."""

    message: str
    is_error: bool  # an error, rather than ConnectWise not being set up yet
    snapshot_fetched_at: str | None


def _destination(session: SessionSummary, kind: NoteKind, target: StatusTarget | None) -> str:
    """What Confirm & post will do, in one or two sentences."""
    what = (
        "a customer-visible resolution note"
        if kind is NoteKind.RESOLUTION
        else "an internal analysis note (no notifications)"
    )
    verb = "resolved" if kind is NoteKind.RESOLUTION else "escalated"
    if not session.ticket_ref:
        return (
            f"No ticket is linked: the session will be marked {verb} here, and nothing is posted."
        )
    posted = f"Posts to ticket #{session.ticket_ref} as {what}"
    if target is None:
        action = "Resolve" if kind is NoteKind.RESOLUTION else "Escalate"
        return (
            f"{posted}. No {action} status is set in Settings, so the ticket's status is "
            "left as it is."
        )
    return f"{posted}, then moves its status to “{target.status}” and checks that it moved."
