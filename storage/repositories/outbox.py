"""The PSA outbox: work queued locally, claimed one job at a time, done at most once.

Each job has a unique idempotency key, so queueing the same work twice is a no-op that
returns the existing job. A job is ``pending`` until it is due, ``in_flight`` while it is
being sent (a job found in flight at start-up was interrupted and may have reached the PSA),
then ``done`` or ``failed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import PsaOutbox


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
    )


def find_job(session: Session, idempotency_key: str) -> OutboxJob | None:
    row = session.scalars(
        select(PsaOutbox).where(PsaOutbox.idempotency_key == idempotency_key)
    ).first()
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


def due_jobs(session: Session, now: datetime) -> list[OutboxJob]:
    rows = session.scalars(
        select(PsaOutbox)
        .where(PsaOutbox.state == "pending", PsaOutbox.next_attempt_at <= now)
        .order_by(PsaOutbox.next_attempt_at, PsaOutbox.created_at)
    )
    return [_job(row) for row in rows]


def next_due_at(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(PsaOutbox.next_attempt_at)).where(PsaOutbox.state == "pending")
    )


def recover_interrupted(session: Session, now: datetime) -> list[str]:
    """Jobs left in flight by a previous run go back to pending (their attempt counts, so
    the sender checks the PSA before writing again). Returns their session ids."""
    rows = list(session.scalars(select(PsaOutbox).where(PsaOutbox.state == "in_flight")))
    for row in rows:
        row.state = "pending"
        row.next_attempt_at = now
        row.last_error = "Interrupted while sending; checking the ticket before sending again."
    session.flush()
    return [row.session_id for row in rows]


def claim(session: Session, job_id: str) -> OutboxJob | None:
    """Mark a pending job in flight and count the attempt; None if another claim won."""
    claimed = session.execute(
        update(PsaOutbox)
        .where(PsaOutbox.id == job_id, PsaOutbox.state == "pending")
        .values(state="in_flight", attempts=PsaOutbox.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return None
    row = session.get(PsaOutbox, job_id)
    assert row is not None
    session.refresh(row)
    return _job(row)


def complete(
    session: Session, job_id: str, *, external_id: str | None, result: dict[str, Any]
) -> OutboxJob:
    row = _row(session, job_id)
    row.state = "done"
    row.external_id = external_id
    row.last_error = None
    row.next_attempt_at = None
    row.payload = {**(row.payload or {}), **result}
    session.flush()
    return _job(row)


def reschedule(session: Session, job_id: str, *, error: str, due_at: datetime) -> OutboxJob:
    row = _row(session, job_id)
    row.state = "pending"
    row.last_error = error
    row.next_attempt_at = due_at
    session.flush()
    return _job(row)


def fail(session: Session, job_id: str, *, error: str) -> OutboxJob:
    row = _row(session, job_id)
    row.state = "failed"
    row.last_error = error
    row.next_attempt_at = None
    session.flush()
    return _job(row)


def retry(session: Session, job_id: str, now: datetime) -> OutboxJob:
    """A failed (or waiting) job becomes due now; a done or in-flight job is left alone."""
    row = _row(session, job_id)
    if row.state in ("failed", "pending"):
        row.state = "pending"
        row.next_attempt_at = now
        session.flush()
    return _job(row)


def _row(session: Session, job_id: str) -> PsaOutbox:
    row = session.get(PsaOutbox, job_id)
    if row is None:
        raise LookupError(f"outbox job {job_id} not found")
    return row
