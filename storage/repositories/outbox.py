"""The PSA outbox: work queued locally, claimed by one worker at a time, done exactly once.

Each job has a unique idempotency key, so queueing the same work twice is a no-op that
returns the existing job. A job is ``pending`` until it is due, ``in_flight`` while a worker
sends it, then ``done`` or ``failed``.

Several processes may share one database (two app windows on one data folder today, a team
database later), so a job in flight is *leased*: ``lease_owner`` names the worker sending it
and ``lease_expires_at`` says until when. The owner renews the lease while it sends; a lease
that expires belongs to a worker that died, and only then may another worker take the job
back. Every state change a worker makes is a conditional ``UPDATE … WHERE`` checked through
its rowcount, so of two workers racing for one job exactly one wins, and a worker that lost
its job cannot complete, reschedule or fail it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import PsaOutbox

INTERRUPTED = "Interrupted while sending; checking the ticket before sending again."


@dataclass(frozen=True, slots=True)
class OutboxJob:
    id: str
    session_id: str
    kind: str
    payload: dict[str, Any]
    idempotency_key: str
    state: str
    attempts: int
    last_error: str | None
    external_id: str | None
    next_attempt_at: datetime | None
    updated_at: datetime
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None


def _job(row: PsaOutbox) -> OutboxJob:
    return OutboxJob(
        row.id,
        row.session_id,
        row.kind,
        dict(row.payload or {}),
        row.idempotency_key,
        row.state,
        row.attempts,
        row.last_error,
        row.external_id,
        row.next_attempt_at,
        row.updated_at,
        row.lease_owner,
        row.lease_expires_at,
    )


def find_job(session: Session, idempotency_key: str) -> OutboxJob | None:
    row = session.scalars(
        select(PsaOutbox).where(PsaOutbox.idempotency_key == idempotency_key)
    ).first()
    return _job(row) if row is not None else None


def get_job(session: Session, job_id: str) -> OutboxJob | None:
    row = _fresh(session, job_id)
    return _job(row) if row is not None else None


def enqueue(
    session: Session,
    *,
    session_id: str,
    kind: str,
    payload: dict[str, Any],
    idempotency_key: str,
    due_at: datetime,
) -> OutboxJob:
    """Queue a job; the existing job when one with this key was queued before."""
    existing = find_job(session, idempotency_key)
    if existing is not None:
        return existing
    row = PsaOutbox(
        session_id=session_id,
        kind=kind,
        payload=payload,
        idempotency_key=idempotency_key,
        state="pending",
        attempts=0,
        next_attempt_at=due_at,
    )
    session.add(row)
    session.flush()
    return _job(row)


def session_jobs(session: Session, session_id: str) -> list[OutboxJob]:
    rows = session.scalars(
        select(PsaOutbox)
        .where(PsaOutbox.session_id == session_id)
        .order_by(PsaOutbox.created_at, PsaOutbox.id)
    )
    return [_job(row) for row in rows]


# ---- Leases: who may send a job


def _due(now: datetime) -> ColumnElement[bool]:
    """Pending and due: queued work whose time has come."""
    return and_(
        PsaOutbox.state == "pending",
        or_(PsaOutbox.next_attempt_at.is_(None), PsaOutbox.next_attempt_at <= now),
    )


def _lease_expired(now: datetime) -> ColumnElement[bool]:
    """In flight under a lease nobody renewed in time: its owner died (or hung)."""
    return and_(
        PsaOutbox.state == "in_flight",
        PsaOutbox.lease_expires_at.is_not(None),
        PsaOutbox.lease_expires_at < now,
    )


def _held_by(owner: str) -> ColumnElement[bool]:
    return and_(PsaOutbox.state == "in_flight", PsaOutbox.lease_owner == owner)


_NO_LEASE: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None}


def _update(session: Session, job_id: str, where: ColumnElement[bool], **values: Any) -> bool:
    """One conditional UPDATE of one job; True when it matched (the condition held)."""
    # An UPDATE's result is a CursorResult (SQLAlchemy types Session.execute's as Result).
    result = cast(
        "CursorResult[Any]",
        session.execute(
            update(PsaOutbox)
            .where(PsaOutbox.id == job_id, where)
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    return bool(result.rowcount)


def _fresh(session: Session, job_id: str) -> PsaOutbox | None:
    """The row as the database has it now (after Core UPDATEs the ORM did not see)."""
    return session.scalars(
        select(PsaOutbox).where(PsaOutbox.id == job_id).execution_options(populate_existing=True)
    ).first()


def due_jobs(session: Session, now: datetime) -> list[OutboxJob]:
    """Jobs a worker may claim now: pending and due, or in flight under an expired lease."""
    rows = session.scalars(
        select(PsaOutbox)
        .where(or_(_due(now), _lease_expired(now)))
        .order_by(PsaOutbox.next_attempt_at, PsaOutbox.created_at)
    )
    return [_job(row) for row in rows]


def next_due_at(session: Session) -> datetime | None:
    """When the next job becomes claimable: a pending job's due time, or the moment a
    lease held by another worker runs out (if that worker died, its job is taken then)."""
    pending = session.scalar(
        select(func.min(PsaOutbox.next_attempt_at)).where(PsaOutbox.state == "pending")
    )
    leased = session.scalar(
        select(func.min(PsaOutbox.lease_expires_at)).where(PsaOutbox.state == "in_flight")
    )
    times = [t for t in (pending, leased) if t is not None]
    return min(times) if times else None


def claim(
    session: Session, job_id: str, *, owner: str, now: datetime, lease: timedelta
) -> OutboxJob | None:
    """Lease a job to ``owner`` and count the attempt; None if it is not claimable (another
    worker holds it, or it is not due).

    One conditional ``UPDATE … WHERE`` decides, and its rowcount says who won: portable
    (SQLite now, PostgreSQL in team mode, where a concurrent UPDATE of the row waits and
    re-checks the WHERE). ``SELECT … FOR UPDATE SKIP LOCKED`` would also do on PostgreSQL,
    but the conditional update is enough and simpler. Taking over an expired lease counts
    an attempt too, so the sender looks for the note before posting again.
    """
    claimed = _update(
        session,
        job_id,
        or_(_due(now), _lease_expired(now)),
        state="in_flight",
        attempts=PsaOutbox.attempts + 1,
        lease_owner=owner,
        lease_expires_at=now + lease,
    )
    if not claimed:
        return None
    row = _fresh(session, job_id)
    assert row is not None
    return _job(row)


def renew(session: Session, job_id: str, *, owner: str, now: datetime, lease: timedelta) -> bool:
    """Extend the owner's lease; False when the job is no longer theirs (taken over after
    the lease expired, taken back by recovery, or deleted)."""
    return _update(session, job_id, _held_by(owner), lease_expires_at=now + lease)


def recover_interrupted(session: Session, now: datetime) -> list[str]:
    """Take back jobs whose sender died: in flight under an expired lease, or with no lease
    at all (left by a version without leases). A live lease of another worker is never
    touched. They go back to pending and due now; the attempt they made still counts, so the
    sender checks the PSA for the note before writing again. Returns their session ids."""
    abandoned = or_(
        _lease_expired(now),
        and_(PsaOutbox.state == "in_flight", PsaOutbox.lease_expires_at.is_(None)),
    )
    candidates = session.execute(select(PsaOutbox.id, PsaOutbox.session_id).where(abandoned)).all()
    # each one re-checked in its UPDATE: a lease renewed since the SELECT stays
    return [
        session_id
        for job_id, session_id in candidates
        if _update(
            session,
            job_id,
            abandoned,
            state="pending",
            next_attempt_at=now,
            last_error=INTERRUPTED,
            **_NO_LEASE,
        )
    ]


def complete(
    session: Session,
    job_id: str,
    *,
    owner: str,
    external_id: str | None,
    result: dict[str, Any],
) -> OutboxJob | None:
    """Mark the owner's job done and release it; None (nothing changed) if it is not theirs."""
    row = _fresh(session, job_id)
    if row is None or row.state != "in_flight" or row.lease_owner != owner:
        return None
    done = _update(
        session,
        job_id,
        _held_by(owner),
        state="done",
        external_id=external_id,
        last_error=None,
        next_attempt_at=None,
        payload={**(row.payload or {}), **result},
        **_NO_LEASE,
    )
    return _released(session, job_id, done)


def reschedule(
    session: Session, job_id: str, *, owner: str, error: str, due_at: datetime
) -> OutboxJob | None:
    """Put the owner's job back in the queue for ``due_at``; None if it is not theirs."""
    queued = _update(
        session,
        job_id,
        _held_by(owner),
        state="pending",
        last_error=error,
        next_attempt_at=due_at,
        **_NO_LEASE,
    )
    return _released(session, job_id, queued)


def fail(session: Session, job_id: str, *, owner: str, error: str) -> OutboxJob | None:
    """Stop the owner's job until Retry; None if it is not theirs."""
    failed = _update(
        session,
        job_id,
        _held_by(owner),
        state="failed",
        last_error=error,
        next_attempt_at=None,
        **_NO_LEASE,
    )
    return _released(session, job_id, failed)


def release(session: Session, job_id: str, *, owner: str, now: datetime) -> bool:
    """The owner gives a job back unfinished (the app is quitting mid-send): pending and due
    now, so the next worker need not wait for the lease to run out. The attempt still
    counts, so that worker checks the PSA for the note first. False if it is not theirs."""
    return _update(
        session,
        job_id,
        _held_by(owner),
        state="pending",
        next_attempt_at=now,
        last_error=INTERRUPTED,
        **_NO_LEASE,
    )


def _released(session: Session, job_id: str, changed: bool) -> OutboxJob | None:
    if not changed:
        return None
    row = _fresh(session, job_id)
    return _job(row) if row is not None else None


def retry(session: Session, job_id: str, now: datetime) -> OutboxJob:
    """A failed (or waiting) job becomes due now; a done or in-flight job is left alone."""
    _update(
        session,
        job_id,
        PsaOutbox.state.in_(("failed", "pending")),
        state="pending",
        next_attempt_at=now,
    )
    row = _fresh(session, job_id)
    if row is None:
        raise LookupError(f"outbox job {job_id} not found")
    return _job(row)
