"""Leases on outbox jobs: a job in flight belongs to one worker until its lease runs out.

Every change a worker makes is a conditional UPDATE, so these tests drive the repository the
way two processes would: separate transactions, and for the race, separate engines on one
SQLite file.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from storage.database import Database
from storage.engine import create_database_engine
from storage.models import PsaOutbox
from storage.repositories import outbox
from storage.repositories.sessions import create_session

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def queue(db: Database, n: int = 1, due: datetime = T0) -> list[str]:
    """``n`` pending resolution-note jobs, due at ``due``; their ids."""

    def write(s: Any) -> list[str]:
        ids = []
        for i in range(n):
            sid = create_session(s, user_id="tech", title=f"Ticket {i}", ticket_ref=str(i)).id
            job = outbox.enqueue(
                s,
                session_id=sid,
                kind="resolution_note",
                payload={"ticket_id": i, "note_kind": "resolution", "text": "Fixed."},
                idempotency_key=f"{sid}:resolution:note",
                due_at=due,
            )
            ids.append(job.id)
        return ids

    return db.run_sync(write)


def job_of(db: Database, job_id: str) -> outbox.OutboxJob:
    job = db.run_sync(lambda s: outbox.get_job(s, job_id))
    assert job is not None
    return job


def claim(db: Database, job_id: str, owner: str, now: datetime) -> outbox.OutboxJob | None:
    return db.run_sync(lambda s: outbox.claim(s, job_id, owner=owner, now=now, lease=LEASE))


def test_claim_sets_the_owner_and_the_expiry_and_counts_the_attempt(db: Database) -> None:
    (job_id,) = queue(db)
    job = claim(db, job_id, "worker-a", at(5))
    assert job is not None
    assert (job.state, job.lease_owner, job.attempts) == ("in_flight", "worker-a", 1)
    assert job.lease_expires_at == at(65)
    assert job_of(db, job_id) == job


def test_a_job_not_yet_due_is_not_claimed(db: Database) -> None:
    (job_id,) = queue(db, due=at(30))
    assert claim(db, job_id, "worker-a", at(29)) is None
    assert claim(db, job_id, "worker-a", at(30)) is not None


def test_a_live_lease_keeps_other_workers_out_until_it_expires(db: Database) -> None:
    (job_id,) = queue(db)
    claim(db, job_id, "worker-a", T0)
    assert claim(db, job_id, "worker-b", at(30)) is None
    assert claim(db, job_id, "worker-b", at(60)) is None, "expiring now is not expired"
    assert job_of(db, job_id).lease_owner == "worker-a"
    taken = claim(db, job_id, "worker-b", at(61))
    assert taken is not None
    assert (taken.lease_owner, taken.attempts, taken.lease_expires_at) == ("worker-b", 2, at(121))


def test_renewal_extends_only_the_owners_lease(db: Database) -> None:
    (job_id,) = queue(db)
    claim(db, job_id, "worker-a", T0)

    def renew(owner: str, now: datetime) -> bool:
        return db.run_sync(lambda s: outbox.renew(s, job_id, owner=owner, now=now, lease=LEASE))

    assert renew("worker-a", at(20))
    assert job_of(db, job_id).lease_expires_at == at(80)
    assert not renew("worker-b", at(40))
    assert job_of(db, job_id).lease_expires_at == at(80)
    assert claim(db, job_id, "worker-b", at(70)) is None, "renewed: still live"
    assert claim(db, job_id, "worker-b", at(81)) is not None  # worker-a hung: taken over
    assert not renew("worker-a", at(82)), "the old owner learns it lost the job"


@pytest.mark.parametrize("action", ["complete", "reschedule", "fail", "release"])
def test_a_non_owner_changes_nothing(db: Database, action: str) -> None:
    (job_id,) = queue(db)
    claim(db, job_id, "worker-a", T0)
    before = job_of(db, job_id)
    outcome = db.run_sync(lambda s: finish(s, action, job_id, "worker-b"))
    assert outcome in (None, False)
    assert job_of(db, job_id) == before


@pytest.mark.parametrize(
    ("action", "state"),
    [("complete", "done"), ("reschedule", "pending"), ("fail", "failed"), ("release", "pending")],
)
def test_the_owner_finishes_and_the_lease_is_cleared(db: Database, action: str, state: str) -> None:
    (job_id,) = queue(db)
    claim(db, job_id, "worker-a", T0)
    assert db.run_sync(lambda s: finish(s, action, job_id, "worker-a"))
    job = job_of(db, job_id)
    assert (job.state, job.lease_owner, job.lease_expires_at, job.attempts) == (
        state,
        None,
        None,
        1,
    )
    assert not db.run_sync(lambda s: finish(s, action, job_id, "worker-a")), "only once"
    assert job_of(db, job_id) == job


def test_completing_merges_the_result_into_the_payload(db: Database) -> None:
    (job_id,) = queue(db)
    claim(db, job_id, "worker-a", T0)
    done = db.run_sync(
        lambda s: outbox.complete(
            s, job_id, owner="worker-a", external_id="77", result={"found_existing": True}
        )
    )
    assert done is not None and done.external_id == "77"
    assert done.payload["found_existing"] is True and done.payload["text"] == "Fixed."


def test_a_worker_that_lost_its_job_cannot_finish_it(db: Database) -> None:
    (job_id,) = queue(db)
    claim(db, job_id, "worker-a", T0)
    claim(db, job_id, "worker-b", at(61))  # worker-a hung past its lease
    for action in ("complete", "reschedule", "fail", "release"):
        assert not db.run_sync(lambda s, action=action: finish(s, action, job_id, "worker-a"))
    assert job_of(db, job_id).lease_owner == "worker-b"


def test_recovery_takes_back_only_what_a_dead_sender_left(db: Database) -> None:
    live, expired, legacy, pending = queue(db, 4)
    claim(db, live, "worker-b", at(30))  # another FlowPilot is sending it right now
    claim(db, expired, "worker-dead", T0)
    claim(db, legacy, "worker-old", T0)
    db.run_sync(  # written by a version without leases
        lambda s: s.execute(
            update(PsaOutbox)
            .where(PsaOutbox.id == legacy)
            .values(lease_owner=None, lease_expires_at=None)
        )
    )
    sessions = {j: job_of(db, j).session_id for j in (live, expired, legacy, pending)}
    recovered = db.run_sync(lambda s: outbox.recover_interrupted(s, at(70)))
    assert sorted(recovered) == sorted([sessions[expired], sessions[legacy]])
    assert job_of(db, live).state == "in_flight" and job_of(db, live).lease_owner == "worker-b"
    for job_id in (expired, legacy):
        job = job_of(db, job_id)
        assert (job.state, job.lease_owner, job.next_attempt_at) == ("pending", None, at(70))
        assert job.attempts == 1, "the interrupted attempt counts: the sender looks first"
        assert job.last_error == outbox.INTERRUPTED
    assert job_of(db, pending).state == "pending" and job_of(db, pending).attempts == 0
    taken = claim(db, expired, "worker-c", at(70))
    assert taken is not None and taken.attempts == 2


def test_due_jobs_include_expired_leases_and_next_due_waits_for_live_ones(db: Database) -> None:
    live, waiting = queue(db, 2)
    db.run_sync(
        lambda s: s.execute(
            update(PsaOutbox).where(PsaOutbox.id == waiting).values(next_attempt_at=at(300))
        )
    )
    claim(db, live, "worker-a", T0)
    assert db.run_sync(lambda s: outbox.due_jobs(s, at(30))) == []
    assert db.run_sync(outbox.next_due_at) == at(60), "wake when the lease could run out"
    assert [j.id for j in db.run_sync(lambda s: outbox.due_jobs(s, at(61)))] == [live]


def test_retry_leaves_a_job_in_flight_alone(db: Database) -> None:
    (job_id,) = queue(db)
    claim(db, job_id, "worker-a", T0)
    job = db.run_sync(lambda s: outbox.retry(s, job_id, at(5)))
    assert (job.state, job.lease_owner) == ("in_flight", "worker-a")
    db.run_sync(lambda s: outbox.fail(s, job_id, owner="worker-a", error="refused"))
    job = db.run_sync(lambda s: outbox.retry(s, job_id, at(5)))
    assert (job.state, job.next_attempt_at) == ("pending", at(5))


def test_racing_claims_from_separate_engines_have_one_winner(database_file: Path) -> None:
    """Eight "processes" (own engine, own connection) claim the same 20 jobs at once."""
    setup = Database(create_database_engine(f"sqlite:///{database_file}"))
    job_ids = queue(setup, 20)
    setup.close()
    workers = [Database(create_database_engine(f"sqlite:///{database_file}")) for _ in range(8)]
    start = threading.Barrier(len(workers))
    won: dict[str, list[str]] = {job_id: [] for job_id in job_ids}
    errors: list[BaseException] = []

    def run(index: int, database: Database) -> None:
        try:
            start.wait()
            for job_id in job_ids:
                if claim(database, job_id, f"worker-{index}", at(1)) is not None:
                    won[job_id].append(f"worker-{index}")
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i, d)) for i, d in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for database in workers:
        database.close()
    assert errors == []
    assert all(len(owners) == 1 for owners in won.values()), won
    check = Database(create_database_engine(f"sqlite:///{database_file}"))
    try:
        for job_id, (owner,) in won.items():
            job = job_of(check, job_id)
            assert (job.lease_owner, job.attempts) == (owner, 1)
    finally:
        check.close()


def finish(s: Any, action: str, job_id: str, owner: str) -> Any:
    if action == "complete":
        return outbox.complete(s, job_id, owner=owner, external_id="1", result={})
    if action == "reschedule":
        return outbox.reschedule(s, job_id, owner=owner, error="busy", due_at=at(100))
    if action == "fail":
        return outbox.fail(s, job_id, owner=owner, error="refused")
    return outbox.release(s, job_id, owner=owner, now=at(100))
