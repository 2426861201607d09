"""The outbox sender: posts queued notes, then moves and verifies the ticket's status.

One asyncio task. It sends what is due, sleeps until the next job is due or it is woken (a
new post, Retry), and starts by taking back jobs a dead sender left in flight.

Exactly once, even with two FlowPilots on one data folder: a job is claimed in its own
transaction before it is sent, by a conditional UPDATE that leases it to this worker (a
unique owner id) for ``lease_s``. While the job is being sent the lease is renewed every
``renew_every_s``, and once more just before the note is posted; a worker whose lease was
taken over (it expired: the worker hung) stops without completing or failing the job, and
completing, rescheduling or failing is itself conditional on still holding the lease. Only
an expired lease is taken over, so a live sender is never second-guessed. Any attempt after
the first may follow a post that reached ConnectWise without an answer (a timeout after
sending, a crash, a takeover), so it first reads the ticket's notes for the text and only
posts when it is not there. Passing failures (offline, rate limits, outages) are retried
with growing delays; failures that need the technician (credentials, a refused status, a
status ConnectWise did not apply) stop the job with the reason, until Retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from flowpilot_desktop.conclusion.posting import STATUS_JOB_KIND, status_key
from flowpilot_desktop.conclusion.targets import StatusTarget
from flowpilot_desktop.logging_setup import redact
from flowpilot_desktop.psa_access import PsaAccess
from flowpilot_desktop.tickets import stamped
from flowpilot_desktop.time_entries import TIME_ENTRY_JOB_KIND, send_time_entry
from psa.errors import PsaError, PsaRejectedError
from psa.provider import NoteKind, PsaProvider, StatusOption
from storage.database import Database
from storage.models import utcnow
from storage.repositories import outbox
from storage.repositories import sessions as session_repository
from storage.state_version import SessionNotFoundError

log = logging.getLogger(__name__)
RETRY_DELAYS_S: tuple[float, ...] = (10, 30, 60, 120, 300, 600, 900)  # then every 15 minutes
# A claim holds a job this long unless renewed: far longer than one request (the client's
# timeout is 30 s), so a live sender renews long before another process may take over.
LEASE_S = 60.0
RENEW_EVERY_S = 20.0  # three renewals per lease: one slow database write does not lose it


def retry_delay(attempts: int, delays: Sequence[float] = RETRY_DELAYS_S) -> timedelta:
    return timedelta(seconds=delays[min(attempts, len(delays)) - 1])


class LeaseLostError(Exception):
    """Another worker took the job over (our lease expired): leave it to them."""


@dataclass
class _Lease:
    """A job this worker holds, renewed in the background while it is being sent."""

    job: outbox.OutboxJob
    lost: bool = False
    renewing: asyncio.Task[None] | None = field(default=None, repr=False)

    async def stop_renewing(self) -> None:
        if self.renewing is not None:
            self.renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.renewing
            self.renewing = None


class OutboxWorker:
    def __init__(
        self,
        database: Database,
        psa: PsaAccess,
        on_change: Callable[[str], None] = lambda session_id: None,
        clock: Callable[[], datetime] = utcnow,
        *,
        owner: str | None = None,
        lease_s: float = LEASE_S,
        renew_every_s: float = RENEW_EVERY_S,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
    ) -> None:
        self._database = database
        self._psa = psa
        # injected at build time: a session's sync state moved (the app's ChangeFeed)
        self._on_change = on_change
        self._clock = clock
        self.owner = owner or uuid.uuid4().hex  # this worker, in psa_outbox.lease_owner
        self._lease = timedelta(seconds=lease_s)
        self._renew_every_s = renew_every_s
        self._retry_delays_s = tuple(retry_delays_s)
        self._leases: dict[str, _Lease] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # ---- Lifecycle

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        await self.recover()
        while True:
            try:
                next_due = await self.send_due()
            except Exception:  # keep sending later; the failure is in the log
                log.exception("outbox pass failed")
                next_due = self._clock() + timedelta(seconds=self._retry_delays_s[0])
            timeout = None
            if next_due is not None:
                timeout = max(0.0, (next_due - self._clock()).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()

    # ---- Work

    async def recover(self) -> None:
        """Jobs a dead sender left in flight (lease expired, or none) are queued again, and
        checked on the ticket before sending; a live lease of another FlowPilot is left."""
        now = self._clock()
        for session_id in await self._database.run(lambda s: outbox.recover_interrupted(s, now)):
            self._on_change(session_id)

    async def send_due(self) -> datetime | None:
        """Send every due job, one at a time; return when the next one will be due."""
        now = self._clock()
        for job in await self._database.run(lambda s: outbox.due_jobs(s, now)):
            await self._send(job.id)
        return await self._database.run(outbox.next_due_at)

    async def _send(self, job_id: str) -> None:
        job = await self._claim(job_id)
        if job is None:  # another worker has it, or it is no longer due
            return
        self._on_change(job.session_id)
        async with self._holding(job):
            try:
                async with self._psa.open() as provider:
                    if job.kind == STATUS_JOB_KIND:
                        await self._move_status(provider, job)
                    elif job.kind == TIME_ENTRY_JOB_KIND:
                        await self._post_time_entry(provider, job)
                    else:
                        await self._post_note(provider, job)
            except LeaseLostError:
                pass  # logged where it was noticed; the new owner finishes the job
            except PsaError as error:
                await self._failed(job, str(error), retryable=error.retryable)
            except Exception as error:
                log.exception("outbox job %s failed", job.kind)
                await self._failed(
                    job, f"Unexpected error ({type(error).__name__}).", retryable=False
                )
        self._on_change(job.session_id)

    async def _post_note(self, provider: PsaProvider, job: outbox.OutboxJob) -> None:
        ticket_id = int(job.payload["ticket_id"])
        text = str(job.payload["text"])
        kind = NoteKind(job.payload["note_kind"])
        note = None
        if job.attempts > 1:  # an earlier attempt may have landed without an answer
            note = await provider.find_note(ticket_id, text)
        found = note is not None
        if note is None:
            await self._fence(job)  # the one write that can't be undone: still ours?
            note = await provider.post_note(ticket_id, text, kind)
        target = job.payload.get("target")
        now = self._clock()

        def write(s: Session) -> bool:
            if (
                outbox.complete(
                    s,
                    job.id,
                    owner=self.owner,
                    external_id=str(note.note_id),
                    result={"found_existing": found},
                )
                is None
            ):
                return False
            # the note is on the ticket: the job is done even if the session was deleted
            if _session_live(s, job.session_id):
                session_repository.mark_note_posted(
                    s,
                    job.session_id,
                    note_kind=kind.value,
                    external_id=str(note.note_id),
                    posted_at=now,
                )
            # a session deleted for good takes its ticket work with it (its jobs reference it)
            if target is not None and _session_exists(s, job.session_id):
                outbox.enqueue(
                    s,
                    session_id=job.session_id,
                    kind=STATUS_JOB_KIND,
                    payload={"ticket_id": ticket_id, "note_kind": kind.value, "target": target},
                    idempotency_key=status_key(job.session_id, kind),
                    due_at=now,
                )
            return True

        if not await self._finish(job, write):
            return
        if target is not None:  # move the status in this pass, right after the note
            status_job = await self._database.run(
                lambda s: outbox.find_job(s, status_key(job.session_id, kind))
            )
            if status_job is not None and status_job.state == "pending":
                claimed = await self._claim(status_job.id)
                if claimed is not None:
                    self._on_change(job.session_id)
                    async with self._holding(claimed):
                        await self._move_status(provider, claimed)

    async def _post_time_entry(self, provider: PsaProvider, job: outbox.OutboxJob) -> None:
        """Post once (looked up first after an earlier attempt), read back, compare."""
        sent = await send_time_entry(
            provider,
            job.payload,
            may_have_landed=job.attempts > 1,
            fence=lambda: self._fence(job),
        )
        entry = sent.entry
        await self._finish(
            job,
            lambda s: (
                outbox.complete(
                    s,
                    job.id,
                    owner=self.owner,
                    external_id=str(entry.entry_id),
                    result={
                        "found_existing": sent.found_existing,
                        "member": sent.member,
                        "actual_hours": entry.actual_hours,
                        "work_type_name": entry.work_type,
                        "verified": True,
                    },
                )
                is not None
            ),
        )

    async def _move_status(self, provider: PsaProvider, job: outbox.OutboxJob) -> None:
        # the note is posted by now: only the status job fails here, with its own reason
        try:
            await self._do_move_status(provider, job)
        except LeaseLostError:
            pass
        except PsaError as error:
            await self._failed(job, str(error), retryable=error.retryable)
        except Exception as error:
            log.exception("status move failed")
            await self._failed(job, f"Unexpected error ({type(error).__name__}).", retryable=False)

    async def _do_move_status(self, provider: PsaProvider, job: outbox.OutboxJob) -> None:
        ticket_id = int(job.payload["ticket_id"])
        target = StatusTarget.from_payload(job.payload["target"])
        status_id = target.status_id
        ticket = await provider.fetch_ticket(ticket_id)
        if target.board_id and ticket.board_id and ticket.board_id != target.board_id:
            # status ids belong to one board: use the status of the same name on the ticket's
            status_id = _same_status_on(
                await provider.board_statuses(ticket.board_id), target, ticket_id, ticket.board
            )
        verified = await provider.move_status(ticket_id, status_id)

        def write(s: Session) -> bool:
            if (
                outbox.complete(
                    s,
                    job.id,
                    owner=self.owner,
                    external_id=str(verified.status_id),
                    result={"verified_status": verified.status, "closed": verified.closed},
                )
                is None
            ):
                return False
            if _session_live(s, job.session_id):
                # the ticket card shows the status ConnectWise really has now
                snapshot = replace(
                    stamped(ticket),
                    status_id=verified.status_id,
                    status=verified.status,
                    closed=verified.closed,
                )
                session_repository.set_ticket_snapshot(s, job.session_id, snapshot.to_dict())
            return True

        await self._finish(job, write)

    async def _failed(self, job: outbox.OutboxJob, message: str, *, retryable: bool) -> None:
        message = redact(message)
        log.warning("outbox %s: %s", job.kind, message)
        if retryable:
            due = self._clock() + retry_delay(job.attempts, self._retry_delays_s)
            await self._finish(
                job,
                lambda s: (
                    outbox.reschedule(s, job.id, owner=self.owner, error=message, due_at=due)
                    is not None
                ),
            )
        else:
            await self._finish(
                job, lambda s: outbox.fail(s, job.id, owner=self.owner, error=message) is not None
            )

    # ---- Leases

    async def _claim(self, job_id: str) -> outbox.OutboxJob | None:
        now = self._clock()
        return await self._database.run(
            lambda s: outbox.claim(s, job_id, owner=self.owner, now=now, lease=self._lease)
        )

    @contextlib.asynccontextmanager
    async def _holding(self, job: outbox.OutboxJob) -> AsyncIterator[_Lease]:
        """Renew the job's lease while the block sends it. Cancelled mid-send (the app is
        quitting), the job is given back at once instead of waiting for the lease to run out."""
        lease = _Lease(job)
        lease.renewing = asyncio.get_running_loop().create_task(
            self._keep_renewing(lease), name=f"outbox-lease-{job.id}"
        )
        self._leases[job.id] = lease
        try:
            yield lease
        except asyncio.CancelledError:
            await lease.stop_renewing()
            if not lease.lost:
                now = self._clock()
                try:
                    await self._database.run(
                        lambda s: outbox.release(s, job.id, owner=self.owner, now=now)
                    )
                except Exception:  # the lease runs out instead
                    log.exception("could not give back outbox job %s", job.kind)
            raise
        finally:
            await lease.stop_renewing()
            self._leases.pop(job.id, None)

    async def _keep_renewing(self, lease: _Lease) -> None:
        while not lease.lost:
            await asyncio.sleep(self._renew_every_s)
            try:
                await self._renew(lease)
            except Exception:  # try again next time; completing re-checks ownership anyway
                log.exception("could not renew the lease of outbox job %s", lease.job.kind)

    async def _renew(self, lease: _Lease) -> bool:
        now = self._clock()
        job_id = lease.job.id
        held = await self._database.run(
            lambda s: outbox.renew(s, job_id, owner=self.owner, now=now, lease=self._lease)
        )
        if not held and not lease.lost:
            lease.lost = True
            self._warn_not_ours(lease.job)
        return held

    async def _fence(self, job: outbox.OutboxJob) -> None:
        """Renew right before an irreversible write; LeaseLostError if the job was taken."""
        lease = self._leases.get(job.id)
        if lease is not None and (lease.lost or not await self._renew(lease)):
            raise LeaseLostError(job.id)

    async def _finish(self, job: outbox.OutboxJob, write: Callable[[Session], bool]) -> bool:
        """Record the job's outcome if it is still ours; a job taken over is left alone."""
        lease = self._leases.get(job.id)
        if lease is not None:
            await lease.stop_renewing()  # a renewal after this write would find it released
            if lease.lost:
                return False
        if await self._database.run(write):
            return True
        if lease is not None:
            lease.lost = True
        self._warn_not_ours(job)
        return False

    def _warn_not_ours(self, job: outbox.OutboxJob) -> None:
        log.warning(
            "outbox %s job %s is no longer held by this FlowPilot (its lease ran out and "
            "another sender took it, or it was deleted); leaving it to them",
            job.kind,
            job.id,
        )


def _session_live(s: Session, session_id: str) -> bool:
    """Whether the session is there to record a result on: not deleted, not even softly
    (its conclusion columns and ticket card only take writes while it is live)."""
    try:
        session_repository.get_conclusion(s, session_id)
    except SessionNotFoundError:
        return False
    return True


def _session_exists(s: Session, session_id: str) -> bool:
    """Whether the session's row is still there (a soft-deleted one can be restored)."""
    try:
        session_repository.get_session_summary(s, session_id)
    except SessionNotFoundError:
        return False
    return True


def _same_status_on(
    options: list[StatusOption], target: StatusTarget, ticket_id: int, board: str
) -> int:
    for option in options:
        if option.name.casefold() == target.status.casefold() and not option.inactive:
            return int(option.id)
    raise PsaRejectedError(
        f"Ticket #{ticket_id} is on the board “{board}”, which has no active status named "
        f"“{target.status}”. Move the status in ConnectWise, or choose a status that exists "
        "on every board in Settings, then Retry."
    )
