"""Exactly once across processes: two outbox workers on one data folder never post a note
twice — racing over many jobs, after a crash, or when one of them hangs past its lease.

Each worker has its own ``Database`` (its own engine and connections) on the same SQLite
file, as two app instances would; one test runs them as two real processes. They talk
through the real httpx2 client to the ConnectWise emulator, some posts answered slowly, some
after the client gave up (the note is stored anyway), some dropped, refused or rate limited.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from flowpilot_desktop.conclusion.outbox_worker import OutboxWorker
from flowpilot_desktop.conclusion.posting import ConclusionService
from flowpilot_desktop.conclusion.targets import StatusChoices
from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.preferences import DatabasePreferences
from flowpilot_desktop.psa_access import ProviderFactory, PsaAccess
from flowpilot_desktop.task_lane_service import TaskLaneService
from psa.connectwise import ConnectWiseClient, ConnectWiseProvider, ConnectWiseSettings, RetryPolicy
from psa.provider import NoteKind, PostedNote, PsaProvider
from storage.database import Database
from storage.engine import create_database_engine
from storage.models import PsaOutbox
from storage.repositories import outbox
from storage.repositories.sessions import create_session
from tests.connectwise_emulator import (
    CLIENT_ID,
    COMPANY,
    PRIVATE_KEY,
    PUBLIC_KEY,
    ConnectWiseEmulator,
    standard_setup,
)
from tests.fakes_keyring import MemoryKeyring

BOARD = 30
CLIENT_TIMEOUT_S = 0.25  # the client gives up on a post after this...
LATE_S = 0.45  # ...which the emulator stores this long after it arrived
SLOW_S = 0.1  # slow, but answered in time
# Retries wait longer than a late note takes to be stored, as in the app (10 s vs seconds):
# the retry finds the note instead of posting it again.
RETRY_DELAYS_S = (0.7,)
LEASE_S, RENEW_EVERY_S = 2.0, 0.1


@dataclass
class SlowConnectWise(ConnectWiseEmulator):
    """The emulator, answering note posts late for chosen tickets (outside its lock, so
    other requests go on meanwhile)."""

    post_delays: dict[int, float] = field(default_factory=dict)
    delaying: threading.Event = field(default_factory=threading.Event)  # a slow post arrived

    def _handle_api(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, member: str
    ) -> tuple[int, Any, dict[str, str]]:
        parts = [p for p in path.partition("apis/3.0/")[2].split("/") if p]
        if method == "POST" and parts[-1:] == ["notes"] and parts[2].isdigit():
            delay = self.post_delays.get(int(parts[2]), 0.0)
            if delay:
                self.delaying.set()
                time.sleep(delay)
        return super()._handle_api(method, path, query, body, member)


def quick_provider(settings: ConnectWiseSettings) -> PsaProvider:
    """The real client with a short timeout and quick retries, so faults cost little time."""
    client = ConnectWiseClient(
        settings,
        timeout=httpx2.Timeout(CLIENT_TIMEOUT_S),
        retry=RetryPolicy(base_delay_s=0.01, max_delay_s=0.05),
    )
    return ConnectWiseProvider(client)


def credentials() -> CredentialStore:
    store = CredentialStore(MemoryKeyring())
    store.set(SecretName.CW_PUBLIC_KEY, PUBLIC_KEY)
    store.set(SecretName.CW_PRIVATE_KEY, PRIVATE_KEY)
    return store


class Clock:
    """A settable UTC clock shared by both workers: leases expire without waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Folder:
    """One data folder (database file, settings) that several "processes" open."""

    def __init__(self, database_file: Path, tmp_path: Path, cw: ConnectWiseEmulator) -> None:
        self.database_file, self.cw = database_file, cw
        self.config = ConfigStore(tmp_path / "settings.json")
        self.config.save(AppConfig(cw_site=cw.site, cw_company_id=COMPANY, cw_client_id=CLIENT_ID))
        self.credentials = credentials()
        self.databases: list[Database] = []

    def open(self) -> Database:
        database = Database(create_database_engine(f"sqlite:///{self.database_file}"))
        self.databases.append(database)
        return database

    def worker(
        self,
        owner: str,
        factory: ProviderFactory = quick_provider,
        clock: Any = None,
        **options: Any,
    ) -> OutboxWorker:
        options = {
            "lease_s": LEASE_S,
            "renew_every_s": RENEW_EVERY_S,
            "retry_delays_s": RETRY_DELAYS_S,
            **options,
        }
        extra = {"clock": clock} if clock is not None else {}
        return OutboxWorker(
            self.open(),
            PsaAccess(self.config, self.credentials, factory),
            owner=owner,
            **extra,
            **options,
        )

    def queue_notes(self, tickets: list[int], clock: Any = None) -> list[str]:
        """A session per ticket, resolved with a note queued (and the status to move)."""
        database = self.open()
        preferences = DatabasePreferences(database)
        service = ConclusionService(
            database,
            TaskLaneService(database, _no_synthesis),
            preferences,
            lambda: None,
            **({"clock": clock} if clock is not None else {}),
        )

        async def main() -> list[str]:
            resolved = (self.cw.status_id(BOARD, "Resolved"), "Resolved")
            await preferences.merge_preferences(
                StatusChoices(BOARD, "Help Desk", resolved, None).to_preferences()
            )
            ids = []
            for ticket in tickets:
                sid = await database.run(
                    lambda s, t=ticket: (
                        create_session(s, user_id="tech", title=f"Ticket {t}", ticket_ref=str(t)).id
                    )
                )
                await service.conclude(sid, NoteKind.RESOLUTION, note_text(ticket))
                ids.append(sid)
            return ids

        return asyncio.run(main())

    def jobs(self) -> list[outbox.OutboxJob]:
        """Every job in the file, oldest first."""

        def read(s: Any) -> list[outbox.OutboxJob]:
            ids = s.scalars(select(PsaOutbox.id).order_by(PsaOutbox.created_at)).all()
            return [job for job in (outbox.get_job(s, i) for i in ids) if job is not None]

        return (self.databases[0] if self.databases else self.open()).run_sync(read)

    def close(self) -> None:
        for database in self.databases:
            database.close()


async def _no_synthesis(_session_id: str, _item: dict[str, Any]) -> str | None:
    return None


def note_text(ticket: int) -> str:
    return f"## Problem\nTicket {ticket}: Outlook prompts.\n\n## Resolution\nCleared the token."


def settled(s: Any) -> bool:
    """Every note posted and every status moved (or stopped): nothing left to send."""
    rows = s.execute(select(PsaOutbox.kind, PsaOutbox.state)).all()
    notes = sum(1 for kind, _ in rows if kind != "status_transition")
    statuses = sum(1 for kind, _ in rows if kind == "status_transition")
    return statuses == notes and all(state in ("done", "failed") for _, state in rows)


async def drive(worker: OutboxWorker, database: Database, deadline: float) -> None:
    """What the worker's task does, until everything is sent (or the deadline)."""
    await worker.recover()
    while time.monotonic() < deadline:
        await worker.send_due()
        if await database.run(settled):
            return
        await asyncio.sleep(0.02)


@pytest.fixture
def slow_cw() -> Iterator[SlowConnectWise]:
    with SlowConnectWise() as cw:
        standard_setup(cw)
        yield cw


@pytest.fixture
def folder(database_file: Path, tmp_path: Path, slow_cw: SlowConnectWise) -> Iterator[Folder]:
    shared = Folder(database_file, tmp_path, slow_cw)
    yield shared
    shared.close()


def add_tickets(cw: ConnectWiseEmulator, count: int, first: int = 7001) -> list[int]:
    return [cw.add_ticket(BOARD, status="In Progress", ticket_id=first + i) for i in range(count)]


def inject_faults(cw: SlowConnectWise, tickets: list[int]) -> None:
    for i, ticket in enumerate(tickets):
        if i % 8 == 3:
            cw.post_delays[ticket] = LATE_S  # stored after the client gave up
        elif i % 5 == 1:
            cw.post_delays[ticket] = SLOW_S
    cw.drop_after_note_stored = 2  # stored, then the connection closes unanswered
    cw.fail_next(500, times=2, method="POST", path_contains="/notes")  # refused: not stored
    cw.fail_next(429, retry_after=0, method="POST", path_contains="/notes")


def assert_exactly_once(folder: Folder, tickets: list[int]) -> dict[str, int]:
    cw = folder.cw
    doubled = {t: len(cw.notes[t]) for t in tickets if len(cw.notes[t]) != 1}
    assert doubled == {}, f"tickets without exactly one note: {doubled}"
    jobs = folder.jobs()
    assert len(jobs) == 2 * len(tickets)
    assert [(j.kind, j.state, j.lease_owner) for j in jobs if j.state != "done"] == []
    for job in jobs:
        if job.kind == "resolution_note":
            (note,) = cw.notes[int(job.payload["ticket_id"])]
            assert job.external_id == str(note["id"])
    assert all(cw.tickets[t]["status"]["name"] == "Resolved" for t in tickets)
    return {
        "jobs": len(tickets),
        "notes": sum(len(cw.notes[t]) for t in tickets),
        "posts": len(cw.api_requests("POST", "notes")),
        "found_on_retry": sum(1 for j in jobs if j.payload.get("found_existing")),
        "patches": len(cw.api_requests("PATCH")),
    }


# ---- Racing


def test_two_workers_race_over_many_jobs_without_a_double_post(folder: Folder) -> None:
    tickets = add_tickets(folder.cw, 40)
    folder.queue_notes(tickets)
    inject_faults(folder.cw, tickets)
    claimed: dict[str, set[str]] = {"a": set(), "b": set()}
    workers = {
        name: folder.worker(f"worker-{name}", on_change=claimed[name].add) for name in claimed
    }
    errors: list[BaseException] = []
    deadline = time.monotonic() + 20

    def run(worker: OutboxWorker, wait_for: threading.Event | None) -> None:
        try:
            if wait_for is not None:
                assert wait_for.wait(10)
            asyncio.run(drive(worker, folder.open(), deadline))
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)

    began = time.monotonic()
    # B starts (and recovers) while A waits on a slow post: the moment the bug struck
    threads = [
        threading.Thread(target=run, args=(workers["a"], None)),
        threading.Thread(target=run, args=(workers["b"], folder.cw.delaying)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    figures = assert_exactly_once(folder, tickets)
    assert figures["posts"] == 40 + 2 + 1, "one per note, plus the two refused and the 429"
    assert figures["found_on_retry"] >= 2, "the dropped answers were found, not re-posted"
    assert claimed["a"] and claimed["b"], "both workers sent some of the jobs"
    print(f"race (threads): {figures}, {time.monotonic() - began:.1f} s")


def test_two_processes_race_without_a_double_post(folder: Folder, tmp_path: Path) -> None:
    tickets = add_tickets(folder.cw, 20)
    folder.queue_notes(tickets)
    inject_faults(folder.cw, tickets)
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.core.test_outbox_race",
                str(folder.database_file),
                str(folder.config.path),
                f"process-{n}",
                str(tmp_path / f"ready-{n}"),
                str(go),
            ],
            cwd=Path(__file__).resolve().parents[2],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    began = time.monotonic()
    try:
        while not all((tmp_path / f"ready-{n}").exists() for n in (1, 2)):
            assert all(child.poll() is None for child in children), "a child died at start"
            assert time.monotonic() - began < 15, "the children did not start"
            time.sleep(0.01)
        go.touch()  # both start sending at once
        outputs = [child.communicate(timeout=30) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
    claims = [json.loads(out)["claimed"] for out, _ in outputs]
    figures = assert_exactly_once(folder, tickets)
    assert figures["posts"] == 20 + 2 + 1
    assert all(claims), f"both processes sent some of the jobs: {claims}"
    print(f"race (processes): {figures}, claims {claims}, {time.monotonic() - began:.1f} s")


def test_senders_killed_at_random_points_never_double_post(folder: Folder, tmp_path: Path) -> None:
    """The kill drill: 20 sender processes, each SIGKILLed at a random moment of its work
    (mid-claim, mid-post, mid-renewal, mid-completion), one after the other on one database;
    then a last one finishes. Every ticket has exactly one note; the database is intact."""
    if not hasattr(os, "fork"):
        pytest.skip("the drill forks a process per kill")
    tickets = add_tickets(folder.cw, 24)
    folder.queue_notes(tickets)
    for i, ticket in enumerate(tickets):
        folder.cw.post_delays[ticket] = (SLOW_S, LATE_S, 0.0)[i % 3]
    drill = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.core.test_outbox_race",
            "drill",
            str(folder.database_file),
            str(folder.config.path),
            "20",
        ],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert drill.returncode == 0, drill.stderr
    assert json.loads(drill.stdout.splitlines()[-1])["killed"] == 20
    with sqlite3.connect(folder.database_file) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    figures = assert_exactly_once(folder, tickets)
    print(f"kill drill (20 kills): {figures}")


# ---- A sender that dies or hangs


class ProcessDied(BaseException):
    """The app was killed: nothing after this point runs (no completion, no renewal)."""


class DiesAfterPosting(ConnectWiseProvider):
    async def post_note(self, ticket_id: int, text: str, kind: NoteKind) -> PostedNote:
        await super().post_note(ticket_id, text, kind)
        raise ProcessDied


@pytest.mark.parametrize("takeover", ["running", "restarted"])
def test_a_crashed_senders_job_waits_for_its_lease_then_is_checked_not_reposted(
    folder: Folder, takeover: str
) -> None:
    clock = Clock()
    folder.queue_notes([5123], clock)
    worker_a = folder.worker(
        "worker-a", lambda st: DiesAfterPosting(ConnectWiseClient(st)), clock, lease_s=60
    )
    with pytest.raises(ProcessDied):
        asyncio.run(worker_a.send_due())
    (job,) = folder.jobs()
    assert (job.state, job.lease_owner, job.attempts) == ("in_flight", "worker-a", 1)
    assert job.lease_expires_at == clock.now + timedelta(seconds=60)
    (note,) = folder.cw.notes[5123]
    requests = len(folder.cw.requests)

    worker_b = folder.worker("worker-b", clock=clock, lease_s=60)
    clock.advance(30)  # B starts while A's lease is live: A may be alive and sending
    asyncio.run(worker_b.recover())
    assert asyncio.run(worker_b.send_due()) == job.lease_expires_at, "B wakes when it expires"
    assert folder.jobs() == [job] and len(folder.cw.requests) == requests, "B left it alone"

    clock.advance(31)  # nobody renewed it: A is dead
    if takeover == "restarted":
        worker_b = folder.worker("worker-b2", clock=clock, lease_s=60)
        asyncio.run(worker_b.recover())
    asyncio.run(worker_b.send_due())
    assert len(folder.cw.api_requests("POST", "notes")) == 1, "found on the ticket, not re-sent"
    assert folder.cw.notes[5123] == [note]
    job, status = folder.jobs()
    assert (job.state, job.attempts, job.lease_owner) == ("done", 2, None)
    assert job.external_id == str(note["id"]) and job.payload["found_existing"] is True
    assert status.state == "done" and folder.cw.tickets[5123]["status"]["name"] == "Resolved"


class HangsAfterPosting(ConnectWiseProvider):
    """Posts, then stalls (a laptop put to sleep) until ``resume`` is set."""

    def __init__(self, client: ConnectWiseClient, posted: asyncio.Event, resume: asyncio.Event):
        super().__init__(client)
        self.posted, self.resume = posted, resume

    async def post_note(self, ticket_id: int, text: str, kind: NoteKind) -> PostedNote:
        note = await super().post_note(ticket_id, text, kind)
        self.posted.set()
        await self.resume.wait()
        return note


def test_a_hung_sender_taken_over_does_not_complete_afterwards(
    folder: Folder, caplog: pytest.LogCaptureFixture
) -> None:
    """A stalls after posting, long enough for its lease to run out (no renewals: the whole
    process was asleep); B takes over, finds the note and finishes. When A wakes, its
    completion is refused and it does nothing more: no second status move."""
    clock = Clock()
    folder.queue_notes([5123], clock)

    async def main() -> None:
        posted, resume = asyncio.Event(), asyncio.Event()
        worker_a = folder.worker(
            "worker-a",
            lambda st: HangsAfterPosting(ConnectWiseClient(st), posted, resume),
            clock,
            lease_s=60,
            renew_every_s=3600,
        )
        worker_b = folder.worker("worker-b", clock=clock, lease_s=60)
        sending = asyncio.create_task(worker_a.send_due())
        await posted.wait()
        clock.advance(61)
        await worker_b.send_due()
        resume.set()
        await sending

    with caplog.at_level(logging.WARNING):
        asyncio.run(main())
    assert len(folder.cw.notes[5123]) == 1 and len(folder.cw.api_requests("PATCH")) == 1
    note_job, status_job = folder.jobs()
    assert (note_job.state, note_job.attempts, note_job.payload["found_existing"]) == (
        "done",
        2,
        True,
    )
    assert status_job.state == "done"
    assert "no longer held by this FlowPilot" in caplog.text


def test_a_renewal_that_fails_stops_the_sender_before_it_writes(
    folder: Folder, caplog: pytest.LogCaptureFixture
) -> None:
    """A renews while it waits on ConnectWise; once another worker holds the job (taken
    over while A was stalled), the renewal fails and A neither completes nor fails it."""
    clock = Clock()
    folder.queue_notes([5123], clock)
    database = folder.open()

    async def main() -> None:
        posted, resume = asyncio.Event(), asyncio.Event()
        worker_a = folder.worker(
            "worker-a",
            lambda st: HangsAfterPosting(ConnectWiseClient(st), posted, resume),
            clock,
            lease_s=60,
            renew_every_s=0.02,
        )
        sending = asyncio.create_task(worker_a.send_due())
        await posted.wait()
        (job,) = await database.run(lambda s: outbox.due_jobs(s, clock.now + timedelta(days=1)))
        taken = await database.run(
            lambda s: outbox.claim(
                s, job.id, owner="worker-b", now=clock.now + timedelta(days=1), lease=timedelta(0)
            )
        )
        assert taken is not None
        await asyncio.sleep(0.1)  # a few renewal periods
        resume.set()
        await sending

    with caplog.at_level(logging.WARNING):
        asyncio.run(main())
    (job,) = folder.jobs()
    assert (job.state, job.lease_owner, job.attempts) == ("in_flight", "worker-b", 2)
    assert job.external_id is None, "A did not complete it"
    assert caplog.text.count("no longer held by this FlowPilot") == 1


def test_renewal_keeps_a_slow_send_from_being_taken(folder: Folder) -> None:
    """The post takes over three leases; A's renewals keep B out the whole time."""
    folder.cw.post_delays[5123] = 1.0
    folder.queue_notes([5123])
    claims: list[str] = []

    async def main() -> int:
        claimed = asyncio.Event()
        worker_a = folder.worker(
            "worker-a",
            lambda st: ConnectWiseProvider(ConnectWiseClient(st)),
            lease_s=0.3,
            renew_every_s=0.05,
            on_change=lambda _sid: claimed.set(),
        )
        worker_b = folder.worker(
            "worker-b", lease_s=0.3, renew_every_s=0.05, on_change=claims.append
        )
        sending = asyncio.create_task(worker_a.send_due())
        await claimed.wait()
        await worker_b.recover()  # B starts while A sends: A's live lease is left alone
        polls = 0
        while not folder.cw.notes[5123]:  # A's post is on its way
            await worker_b.send_due()
            polls += 1
            await asyncio.sleep(0.05)
        await sending
        return polls

    polls = asyncio.run(main())
    assert polls >= 10 and claims == [], "B tried all along and never got it"
    assert len(folder.cw.notes[5123]) == 1
    note_job = folder.jobs()[0]
    assert (note_job.state, note_job.attempts) == ("done", 1)


# ---- One of the two processes of test_two_processes_race_without_a_double_post


def _child(database_file: str, config_file: str, owner: str, ready: str, go: str) -> None:
    store = ConfigStore(Path(config_file))
    database = Database(create_database_engine(f"sqlite:///{database_file}"))
    claimed: set[str] = set()
    worker = OutboxWorker(
        database,
        PsaAccess(store, credentials(), quick_provider),
        claimed.add,
        owner=owner,
        lease_s=LEASE_S,
        renew_every_s=RENEW_EVERY_S,
        retry_delays_s=RETRY_DELAYS_S,
    )
    Path(ready).touch()
    deadline = time.monotonic() + 15
    while not Path(go).exists():
        if time.monotonic() > deadline:
            raise SystemExit("never told to go")
        time.sleep(0.005)
    asyncio.run(drive(worker, database, deadline + 10))
    database.close()
    print(json.dumps({"owner": owner, "claimed": len(claimed)}))


def _drill(database_file: str, config_file: str, kills: str) -> None:
    """Fork a sender, SIGKILL it at a random moment, again and again; then one that finishes.
    Imports happen once, here; each sender opens its own database (as a new process would)."""
    rng = random.Random(20261129)
    drill_lease = 0.4

    def sender(deadline: float) -> None:
        database = Database(create_database_engine(f"sqlite:///{database_file}"))
        worker = OutboxWorker(
            database,
            PsaAccess(ConfigStore(Path(config_file)), credentials(), quick_provider),
            lease_s=drill_lease,
            renew_every_s=0.1,
            retry_delays_s=RETRY_DELAYS_S,
        )
        asyncio.run(drive(worker, database, deadline))
        database.close()

    for _ in range(int(kills)):
        pid = os.fork()
        if pid == 0:
            try:
                sender(time.monotonic() + 30)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.05, 0.6))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    time.sleep(drill_lease)  # the last victim's lease runs out
    sender(time.monotonic() + 60)
    print(json.dumps({"killed": int(kills)}))


if __name__ == "__main__":
    if sys.argv[1] == "drill":
        _drill(*sys.argv[2:5])
    else:
        _child(*sys.argv[1:6])
