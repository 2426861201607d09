"""Concluding a session: mark it resolved or escalated at once, queue the post, report its sync.

Local-first (SPEC §9): confirming a preview writes the session's new status and its note, and
queues the PSA work in psa_outbox in the same transaction; the outbox worker sends it. A
session without a ticket ends ``resolved_local`` / ``escalated_local`` and nothing is queued.
The idempotency key is (session, kind): a note of one kind is posted once per session.

Before the preview, ``prepare`` applies SPEC §8's implicit signals: Resolve while the fix is
being verified or pending records that it worked; Escalate while it is verifying, partial or
pending asks for its outcome first (the Escalate intercept).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from flowpilot_desktop import fix_outcome
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.conclusion.targets import StatusTarget, kind_label, target_for
from flowpilot_desktop.errors import UserFacingError, join_sentences
from flowpilot_desktop.fix_outcome import FixStatus
from flowpilot_desktop.preferences import PreferencesGateway
from flowpilot_desktop.scrubbing import default_scrubber
from flowpilot_desktop.task_lane_service import FixView, TaskLaneService
from flowpilot_desktop.time_entries import TIME_ENTRY_JOB_KIND
from psa.provider import NoteKind
from storage.database import Database
from storage.models import utcnow
from storage.repositories import outbox
from storage.repositories import sessions as session_repository
from storage.repositories.sessions import SessionSummary

NOTE_JOB_KIND = {NoteKind.RESOLUTION: "resolution_note", NoteKind.ESCALATION: "escalation_package"}
STATUS_JOB_KIND = "status_transition"
SESSION_STATUS = {NoteKind.RESOLUTION: "resolved", NoteKind.ESCALATION: "escalated"}


def note_key(session_id: str, kind: NoteKind) -> str:
    return f"{session_id}:{kind.value}:note"


def status_key(session_id: str, kind: NoteKind) -> str:
    return f"{session_id}:{kind.value}:status"


class SyncState(StrEnum):
    LOCAL = "local"  # no ticket: concluded here, nothing to post
    QUEUED = "queued"
    POSTING = "posting"
    RETRYING = "retrying"  # a try failed for a passing reason; the next one is scheduled
    POSTED = "posted"
    FAILED = "failed"  # stopped: needs the technician (Retry, Settings, the ticket)


@dataclass(frozen=True)
class SyncView:
    """Where one concluded note (or a time entry: ``kind`` None) stands, as the session
    shows it."""

    kind: NoteKind | None
    state: SyncState
    ticket_ref: str | None
    note_id: str | None = None
    status_line: str = ""  # what happened to the ticket's status
    error: str | None = None
    retry_job_id: str | None = None  # the job Retry re-queues
    next_attempt_at: datetime | None = None
    entry: str = ""  # a time entry's own words: "45 min, Remote Support"

    @property
    def headline(self) -> str:
        if self.kind is None:
            return self._time_entry_headline()
        what = "Resolution note" if self.kind is NoteKind.RESOLUTION else "Escalation package"
        ticket = f"ticket #{self.ticket_ref}" if self.ticket_ref else ""
        if self.state is SyncState.LOCAL:
            done = "Resolved" if self.kind is NoteKind.RESOLUTION else "Escalated"
            return f"{done} locally: no ticket is linked, so nothing was posted."
        if self.state is SyncState.QUEUED:
            return f"{what} queued for {ticket}."
        if self.state is SyncState.POSTING:
            return (
                f"{what}: posting to {ticket}…"
                if self.note_id is None
                else (f"{what} posted to {ticket} as note {self.note_id}; {self.status_line}")
            )
        reason = f": {self.error}" if self.error else ""  # often ConnectWise's words, bare
        if self.state is SyncState.RETRYING:
            if self.note_id:
                return join_sentences(
                    f"{what} posted to {ticket} as note {self.note_id}, but the status is not "
                    f"moved yet{reason}",
                    "FlowPilot will try again.",
                )
            return join_sentences(f"{what} not posted yet{reason}", "FlowPilot will try again.")
        if self.state is SyncState.POSTED:
            return f"{what} posted to {ticket} as note {self.note_id}; {self.status_line}"
        posted = f"It was posted as note {self.note_id}." if self.note_id else ""
        return join_sentences(f"{what} for {ticket}{reason}", posted)

    def _time_entry_headline(self) -> str:
        what = f"Time entry ({self.entry})" if self.entry else "Time entry"
        ticket = f"ticket #{self.ticket_ref}"
        reason = f": {self.error}" if self.error else ""
        if self.state is SyncState.QUEUED:
            return f"{what} queued for {ticket}."
        if self.state is SyncState.POSTING:
            return f"{what}: posting to {ticket}…"
        if self.state is SyncState.RETRYING:
            return join_sentences(f"{what} not logged yet{reason}", "FlowPilot will try again.")
        if self.state is SyncState.POSTED:
            return f"{what} logged on {ticket} as entry {self.note_id}, read back and verified."
        return join_sentences(f"{what} not logged on {ticket}{reason}")


@dataclass(frozen=True)
class Preparation:
    """What must happen before a preview can be shown."""

    kind: NoteKind
    recorded: FixStatus | None = None  # an outcome recorded implicitly (Resolve while verifying)
    intercept: tuple[FixStatus, ...] = ()  # Escalate: the outcomes to choose from first
    fix: FixView | None = None
    change: SessionChange | None = None  # what recording that outcome changed


INTERCEPT_CHOICES = (
    FixStatus.APPLIED_SUCCESS,
    FixStatus.APPLIED_FAILED,
    FixStatus.DISMISSED,
    FixStatus.APPLIED_PARTIAL,
)


class ConclusionService:
    def __init__(
        self,
        database: Database,
        task_lane: TaskLaneService,
        preferences: PreferencesGateway,
        wake_sender: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._database = database
        self._task_lane = task_lane
        self._preferences = preferences
        self._wake_sender = wake_sender
        self._clock = clock

    async def prepare(self, session_id: str, kind: NoteKind) -> Preparation:
        """Resolve/Escalate pressed: refuse a second post, then SPEC §8's implicit signals."""
        conclusion = await self._database.run(
            lambda s: session_repository.get_conclusion(s, session_id)
        )
        _refuse_repeat(conclusion, kind)
        state = await self._task_lane.state(session_id)
        if state.exchanges < 1:
            raise UserFacingError(
                f"{kind_label(kind)} needs at least one exchange with the assistant first."
            )
        fix = state.active_fix
        if fix is None:
            return Preparation(kind)
        verifying = fix.status == FixStatus.PROPOSED and fix.applied_at is not None
        if kind is NoteKind.RESOLUTION and (verifying or fix.status == FixStatus.APPLIED_PENDING):
            worked = FixStatus.APPLIED_SUCCESS
            change = await self._task_lane.record_outcome(session_id, fix.id, worked)
            return Preparation(kind, recorded=worked, fix=fix, change=change)
        if kind is NoteKind.ESCALATION and (verifying or fix.status in fix_outcome.PARKED):
            allowed = fix_outcome.allowed_outcomes(fix.status)
            choices = tuple(c for c in INTERCEPT_CHOICES if c in allowed)
            return Preparation(kind, intercept=choices, fix=fix)
        return Preparation(kind, fix=fix)

    async def target(self, kind: NoteKind) -> StatusTarget | None:
        return target_for(await self._preferences.get_preferences(), kind)

    async def masked_in_note(self, session_id: str, text: str) -> int:
        """How many credentials ``conclude`` would mask in ``text`` (placeholders already in it
        don't count): the preview says so while the technician edits."""
        scrubbed = await asyncio.to_thread(default_scrubber().scrub, text.strip(), scope=session_id)
        return scrubbed.count

    async def conclude(self, session_id: str, kind: NoteKind, text: str) -> SessionChange:
        """Mark the session and queue the post, in one transaction; wake the sender."""
        # A last guard on the confirmed text: a credential typed or pasted into the note is
        # masked with the session's placeholders before anything is queued.
        scrubbed = await asyncio.to_thread(default_scrubber().scrub, text.strip(), scope=session_id)
        text = scrubbed.text
        if not text:
            raise UserFacingError("The note is empty: write something to post, or Cancel.")
        target = await self.target(kind)
        now = self._clock()

        def write(s: Session) -> SessionSummary:
            conclusion = session_repository.get_conclusion(s, session_id)
            _refuse_repeat(conclusion, kind)
            ticket = conclusion.ticket_ref
            status = SESSION_STATUS[kind] + ("" if ticket else "_local")
            session_repository.conclude_session(
                s, session_id, status=status, note_kind=kind.value, text=text
            )
            if ticket:
                outbox.enqueue(
                    s,
                    session_id=session_id,
                    kind=NOTE_JOB_KIND[kind],
                    payload={
                        "ticket_id": int(ticket),
                        "note_kind": kind.value,
                        "text": text,
                        "target": target.as_payload() if target else None,
                    },
                    idempotency_key=note_key(session_id, kind),
                    due_at=now,
                )
            return session_repository.get_session_summary(s, session_id)

        summary = await self._database.run(write)
        self._wake_sender()
        return SessionChange.of(summary, ChangeKind.SYNC)

    async def sync_views(self, session_id: str) -> list[SyncView]:
        def read(s: Session) -> list[SyncView]:
            conclusion = session_repository.get_conclusion(s, session_id)
            jobs = {job.idempotency_key: job for job in outbox.session_jobs(s, session_id)}
            views = []
            for kind, text in (
                (NoteKind.ESCALATION, conclusion.escalation_package),
                (NoteKind.RESOLUTION, conclusion.resolution_note),
            ):
                if text is None:
                    continue
                views.append(
                    _view(
                        kind,
                        conclusion.ticket_ref,
                        jobs.get(note_key(session_id, kind)),
                        jobs.get(status_key(session_id, kind)),
                    )
                )
            views.extend(
                _time_entry_view(job) for job in jobs.values() if job.kind == TIME_ENTRY_JOB_KIND
            )
            return views

        return await self._database.run(read)

    async def retry(self, session_id: str, job_id: str) -> SessionChange:
        now = self._clock()

        def write(s: Session) -> SessionSummary:
            outbox.retry(s, job_id, now)
            return session_repository.get_session_summary(s, session_id)

        summary = await self._database.run(write)
        self._wake_sender()
        return SessionChange.of(summary, ChangeKind.SYNC)


def _refuse_repeat(conclusion: session_repository.Conclusion, kind: NoteKind) -> None:
    if conclusion.status in ("resolved", "resolved_local"):
        raise UserFacingError(
            "This session is already resolved, and its note was queued or posted once. "
            "FlowPilot does not post it twice."
        )
    if kind is NoteKind.ESCALATION and conclusion.escalation_package is not None:
        raise UserFacingError(
            "This session was already escalated, and its package was queued or posted once. "
            "FlowPilot does not post it twice."
        )


def _view(
    kind: NoteKind,
    ticket: str | None,
    note: outbox.OutboxJob | None,
    status: outbox.OutboxJob | None,
) -> SyncView:
    if ticket is None or note is None:
        return SyncView(kind, SyncState.LOCAL, ticket)
    if note.state != "done":
        return _job_view(kind, ticket, note, None, "")
    target = note.payload.get("target")
    if target is None:
        what = "Resolve" if kind is NoteKind.RESOLUTION else "Escalate"
        line = f"status not changed: no {what} status is set in Settings."
        return SyncView(kind, SyncState.POSTED, ticket, note.external_id, line)
    line = f"moving the status to “{target.get('status')}”…"
    if status is None:  # the worker queues the move right after the note
        return SyncView(kind, SyncState.POSTING, ticket, note.external_id, line)
    if status.state != "done":
        return _job_view(kind, ticket, status, note.external_id, line)
    verified = status.payload.get("verified_status") or target.get("status")
    return SyncView(
        kind,
        SyncState.POSTED,
        ticket,
        note.external_id,
        f"status moved to “{verified}” (verified).",
    )


def _time_entry_view(job: outbox.OutboxJob) -> SyncView:
    payload = job.payload
    ticket = str(payload.get("ticket_id"))
    start = datetime.fromisoformat(str(payload["time_start"]))
    end = datetime.fromisoformat(str(payload["time_end"]))
    minutes = round((end - start).total_seconds() / 60)
    words = f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
    if payload.get("work_type_name"):
        words += f", {payload['work_type_name']}"
    if job.state == "done":
        return SyncView(None, SyncState.POSTED, ticket, job.external_id, entry=words)
    view = _job_view(None, ticket, job, None, "")
    return replace(view, entry=words)


def _job_view(
    kind: NoteKind | None, ticket: str, job: outbox.OutboxJob, note_id: str | None, line: str
) -> SyncView:
    if job.state == "in_flight":
        return SyncView(kind, SyncState.POSTING, ticket, note_id, line)
    if job.state == "failed":
        return SyncView(kind, SyncState.FAILED, ticket, note_id, line, job.last_error, job.id)
    if job.attempts:
        return SyncView(
            kind,
            SyncState.RETRYING,
            ticket,
            note_id,
            line,
            job.last_error,
            job.id,
            job.next_attempt_at,
        )
    return SyncView(kind, SyncState.QUEUED, ticket, note_id, line)
