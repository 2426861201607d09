"""The outbox sender: posts queued notes, then moves and verifies the ticket's status.

One asyncio task. It sends what is due, sleeps until the next job is due or it is woken (a
new post, Retry), and starts by putting jobs a previous run left in flight back in the queue.

Never twice: a job is claimed (in_flight, attempt counted) in its own transaction before it
is sent. Any attempt after the first may follow a post that reached ConnectWise without an
answer (a timeout after sending, a crash), so it first reads the ticket's notes for the text
and only posts when it is not there. Passing failures (offline, rate limits, outages) are
retried with growing delays; failures that need the technician (credentials, a refused
status, a status ConnectWise did not apply) stop the job with the reason, until Retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flowpilot_desktop.conclusion.posting import STATUS_JOB_KIND, status_key
from flowpilot_desktop.conclusion.targets import StatusTarget
from flowpilot_desktop.logging_setup import redact
from flowpilot_desktop.psa_access import PsaAccess
from psa.errors import PsaError, PsaRejectedError
from psa.provider import NoteKind, PsaProvider
from storage.database import Database
from storage.models import utcnow
from storage.repositories import outbox
from storage.repositories import sessions as session_repository

log = logging.getLogger(__name__)
RETRY_DELAYS_S = (10, 30, 60, 120, 300, 600, 900)  # then every 15 minutes


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=RETRY_DELAYS_S[min(attempts, len(RETRY_DELAYS_S)) - 1])


class OutboxWorker:
    def __init__(
        self,
        database: Database,
        psa: PsaAccess,
        on_change: Callable[[str], None] = lambda session_id: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._database = database
        self._psa = psa
        self.on_change = on_change  # the window sets it: a session's sync state moved
        self._clock = clock
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
                next_due = self._clock() + timedelta(seconds=RETRY_DELAYS_S[0])
            timeout = None
            if next_due is not None:
                timeout = max(0.0, (next_due - self._clock()).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()

    # ---- Work

    async def recover(self) -> None:
        """Jobs a previous run left in flight are queued again (and checked before sending)."""
        now = self._clock()
        for session_id in await self._database.run(lambda s: outbox.recover_interrupted(s, now)):
            self.on_change(session_id)

    async def send_due(self) -> datetime | None:
        """Send every due job, one at a time; return when the next one will be due."""
        now = self._clock()
        for job in await self._database.run(lambda s: outbox.due_jobs(s, now)):
            await self._send(job.id)
        return await self._database.run(outbox.next_due_at)

    async def _send(self, job_id: str) -> None:
        job = await self._database.run(lambda s: outbox.claim(s, job_id))
        if job is None:
            return
        self.on_change(job.session_id)
        try:
            async with self._psa.open() as provider:
                if job.kind == STATUS_JOB_KIND:
                    await self._move_status(provider, job)
                else:
                    await self._post_note(provider, job)
        except PsaError as error:
            await self._failed(job, str(error), retryable=error.retryable)
        except Exception as error:
            log.exception("outbox job %s failed", job.kind)
            await self._failed(job, f"Unexpected error ({type(error).__name__}).", retryable=False)
        self.on_change(job.session_id)

    async def _post_note(self, provider: PsaProvider, job: outbox.OutboxJob) -> None:
        ticket_id = int(job.payload["ticket_id"])
        text = str(job.payload["text"])
        kind = NoteKind(job.payload["note_kind"])
        note = None
        if job.attempts > 1:  # an earlier attempt may have landed without an answer
            note = await provider.find_note(ticket_id, text)
        found = note is not None
        if note is None:
            note = await provider.post_note(ticket_id, text, kind)
        target = job.payload.get("target")
        now = self._clock()

        def write(s: Any) -> None:
            outbox.complete(
                s, job.id, external_id=str(note.note_id), result={"found_existing": found}
            )
            session_repository.mark_note_posted(
                s,
                job.session_id,
                note_kind=kind.value,
                external_id=str(note.note_id),
                posted_at=now,
            )
            if target is not None:
                outbox.enqueue(
                    s,
                    session_id=job.session_id,
                    kind=STATUS_JOB_KIND,
                    payload={"ticket_id": ticket_id, "note_kind": kind.value, "target": target},
                    idempotency_key=status_key(job.session_id, kind),
                    due_at=now,
                )

        await self._database.run(write)
        if target is not None:  # move the status in this pass, right after the note
            status_job = await self._database.run(
                lambda s: outbox.find_job(s, status_key(job.session_id, kind))
            )
            if status_job is not None and status_job.state == "pending":
                claimed = await self._database.run(lambda s: outbox.claim(s, status_job.id))
                if claimed is not None:
                    self.on_change(job.session_id)
                    await self._move_status(provider, claimed)

    async def _move_status(self, provider: PsaProvider, job: outbox.OutboxJob) -> None:
        # the note is posted by now: only the status job fails here, with its own reason
        try:
            await self._do_move_status(provider, job)
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

        def write(s: Any) -> None:
            outbox.complete(
                s,
                job.id,
                external_id=str(verified.status_id),
                result={"verified_status": verified.status, "closed": verified.closed},
            )
            # the ticket card shows the status ConnectWise really has now
            snapshot = {
                **ticket.as_dict(),
                "status_id": verified.status_id,
                "status": verified.status,
            }
            snapshot["closed"] = verified.closed
            session_repository.set_ticket_snapshot(s, job.session_id, snapshot)

        await self._database.run(write)

    async def _failed(self, job: outbox.OutboxJob, message: str, *, retryable: bool) -> None:
        message = redact(message)
        log.warning("outbox %s: %s", job.kind, message)
        if retryable:
            due = self._clock() + retry_delay(job.attempts)
            await self._database.run(
                lambda s: outbox.reschedule(s, job.id, error=message, due_at=due)
            )
        else:
            await self._database.run(lambda s: outbox.fail(s, job.id, error=message))


def _same_status_on(options: list[Any], target: StatusTarget, ticket_id: int, board: str) -> int:
    for option in options:
        if option.name.casefold() == target.status.casefold() and not option.inactive:
            return int(option.id)
    raise PsaRejectedError(
        f"Ticket #{ticket_id} is on the board “{board}”, which has no active status named "
        f"“{target.status}”. Move the status in ConnectWise, or choose a status that exists "
        "on every board in Settings, then Retry."
    )
