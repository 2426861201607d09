"""Resolve and Escalate end to end below the UI: the session is marked at once, the post is
queued, and the outbox worker sends it through the real httpx2 client to the ConnectWise
emulator — once, under every fault — then moves the status and verifies it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.conclusion.outbox_worker import LEASE_S, OutboxWorker
from flowpilot_desktop.conclusion.posting import ConclusionService, SyncState, SyncView
from flowpilot_desktop.conclusion.targets import StatusChoices
from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.preferences import DatabasePreferences
from flowpilot_desktop.psa_access import PsaAccess
from flowpilot_desktop.task_lane_service import TaskLaneService
from psa.provider import NoteKind
from storage.database import Database
from storage.repositories import messages
from storage.repositories.sessions import create_session, get_conclusion
from tests.connectwise_emulator import (
    CLIENT_ID,
    COMPANY,
    PRIVATE_KEY,
    PUBLIC_KEY,
    ConnectWiseEmulator,
    standard_setup,
)
from tests.fakes_keyring import MemoryKeyring

NOTE = "## Problem\nOutlook prompts.\n\n## What we confirmed\n- OWA works\n\n## Root cause\nStale token.\n\n## Resolution\nCleared the token; confirmed working."


class Clock:
    """A settable UTC clock, so backoff can be stepped through without waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Rig:
    def __init__(self, db: Database, cw: ConnectWiseEmulator, tmp_path: Path) -> None:
        self.db, self.cw = db, cw
        self.clock = Clock()
        self.credentials = CredentialStore(MemoryKeyring())
        self.credentials.set(SecretName.CW_PUBLIC_KEY, PUBLIC_KEY)
        self.credentials.set(SecretName.CW_PRIVATE_KEY, PRIVATE_KEY)
        self.store = ConfigStore(tmp_path / "settings.json")
        self.store.save(AppConfig(cw_site=cw.site, cw_company_id=COMPANY, cw_client_id=CLIENT_ID))
        self.preferences = DatabasePreferences(db)
        self.lane = TaskLaneService(db, _no_synthesis)
        self.psa = PsaAccess(self.store, self.credentials)
        self.changed: list[str] = []
        self.worker = self.new_worker()
        self.service = ConclusionService(
            db, self.lane, self.preferences, self.worker.wake, self.clock
        )

    def new_worker(self) -> OutboxWorker:
        return OutboxWorker(self.db, self.psa, self.changed.append, self.clock)

    def run(self, coroutine: Any) -> Any:
        return asyncio.run(coroutine)

    def set_targets(
        self, resolved: str | None = "Resolved", escalated: str | None = "Escalated"
    ) -> None:
        board = 30

        def choice(name: str | None) -> tuple[int, str] | None:
            return (self.cw.status_id(board, name), name) if name else None

        self.run(
            self.preferences.merge_preferences(
                StatusChoices(
                    board, "Help Desk", choice(resolved), choice(escalated)
                ).to_preferences()
            )
        )

    def views(self, session_id: str) -> list[Any]:
        return self.run(self.service.sync_views(session_id))

    def send(self) -> None:
        self.run(self.worker.send_due())


async def _no_synthesis(_session_id: str, _item: dict[str, Any]) -> str | None:
    return None


@pytest.fixture
def rig(db: Database, cw: ConnectWiseEmulator, tmp_path: Path) -> Rig:
    standard_setup(cw)
    return Rig(db, cw, tmp_path)


def make_session(
    db: Database, ticket: str | None = "5123", fix_status: str | None = None, applied: bool = False
) -> str:
    sid = db.run_sync(
        lambda s: create_session(s, user_id="tech", title="Outlook prompts", ticket_ref=ticket).id
    )
    db.run_sync(
        lambda s: messages.add_message(s, sid, "user", content="Outlook asks for the password")
    )
    db.run_sync(lambda s: messages.add_message(s, sid, "assistant", content="Let's check."))
    reply = (
        "[SUGGEST_FIX]\n"
        + json.dumps({"title": "Clear the cached token", "script": "Remove-Item token"})
        + "\n[/SUGGEST_FIX]"
    )
    db.run_sync(lambda s: apply_reply(s, sid, parse_reply(reply)))
    return sid


def fix_of(rig: Rig, sid: str) -> Any:
    return rig.run(rig.lane.state(sid)).active_fix


# ---- Local-first


def test_resolve_marks_the_session_at_once_and_posts_once(rig: Rig, db: Database) -> None:
    rig.set_targets()
    sid = make_session(db)
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    assert db.run_sync(lambda s: get_conclusion(s, sid)).status == "resolved"
    assert [v.state for v in rig.views(sid)] == [SyncState.QUEUED]

    rig.send()
    (view,) = rig.views(sid)
    assert view.state is SyncState.POSTED
    (note,) = rig.cw.notes[5123]
    assert view.note_id == str(note["id"]) and note["resolutionFlag"] is True
    assert "status moved to “Resolved” (verified)" in view.headline
    assert rig.cw.tickets[5123]["status"]["name"] == "Resolved"
    assert rig.cw.tickets[5123]["closedFlag"] is True
    from storage.repositories.sessions import get_ticket_snapshot

    snapshot = db.run_sync(lambda s: get_ticket_snapshot(s, sid))
    assert (snapshot["status"], snapshot["closed"]) == ("Resolved", True), "the card shows it"
    conclusion = db.run_sync(lambda s: get_conclusion(s, sid))
    assert conclusion.resolution_external_id == str(note["id"])
    assert conclusion.resolution_posted_at is not None
    assert sid in rig.changed

    rig.send()  # nothing left to do
    assert len(rig.cw.notes[5123]) == 1


def test_posting_again_is_refused(rig: Rig, db: Database) -> None:
    sid = make_session(db)
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    with pytest.raises(UserFacingError, match="does not post it twice"):
        rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    with pytest.raises(UserFacingError, match="already resolved"):
        rig.run(rig.service.prepare(sid, NoteKind.ESCALATION))


def test_escalation_is_internal_then_resolve_still_possible(rig: Rig, db: Database) -> None:
    rig.set_targets()
    sid = make_session(db)
    rig.run(rig.service.conclude(sid, NoteKind.ESCALATION, "## Problem\nx"))
    rig.send()
    (note,) = rig.cw.notes[5123]
    assert note["internalAnalysisFlag"] is True and note["resolutionFlag"] is False
    assert rig.cw.api_requests("POST", "notes")[0].body["processNotifications"] is False
    assert rig.cw.tickets[5123]["status"]["name"] == "Escalated"
    with pytest.raises(UserFacingError, match="already escalated"):
        rig.run(rig.service.conclude(sid, NoteKind.ESCALATION, "again"))
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))  # tier 2 solved it
    rig.send()
    assert len(rig.cw.notes[5123]) == 2


def test_no_ticket_concludes_locally(rig: Rig, db: Database) -> None:
    sid = make_session(db, ticket=None)
    rig.run(rig.service.conclude(sid, NoteKind.ESCALATION, "## Problem\nx"))
    assert db.run_sync(lambda s: get_conclusion(s, sid)).status == "escalated_local"
    (view,) = rig.views(sid)
    assert view.state is SyncState.LOCAL and "nothing was posted" in view.headline
    rig.send()
    assert rig.cw.api_requests() == []


def test_no_target_status_posts_without_a_transition_and_says_why(rig: Rig, db: Database) -> None:
    sid = make_session(db)
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    rig.send()
    (view,) = rig.views(sid)
    assert view.state is SyncState.POSTED
    assert "status not changed: no Resolve status is set in Settings" in view.headline
    assert rig.cw.api_requests("PATCH") == []
    assert rig.cw.tickets[5123]["status"]["name"] == "In Progress"


def test_an_empty_note_is_refused_and_nothing_changes(rig: Rig, db: Database) -> None:
    sid = make_session(db)
    with pytest.raises(UserFacingError, match="empty"):
        rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, "  \n"))
    assert db.run_sync(lambda s: get_conclusion(s, sid)).status == "active"


# ---- Faults: never twice


def test_offline_then_back_retries_with_backoff(rig: Rig, db: Database) -> None:
    sid = make_session(db)
    online = rig.store.load()
    rig.store.save(
        AppConfig(cw_site="http://127.0.0.1:9", cw_company_id=COMPANY, cw_client_id=CLIENT_ID)
    )
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    rig.send()
    (view,) = rig.views(sid)
    assert view.state is SyncState.RETRYING and "Can't reach ConnectWise" in view.error
    assert view.next_attempt_at == rig.clock.now + timedelta(seconds=10)
    rig.store.save(online)  # the network is back
    rig.send()  # not due yet
    assert rig.cw.api_requests("POST", "notes") == []
    rig.clock.advance(10)
    rig.send()
    assert rig.views(sid)[0].state is SyncState.POSTED
    assert len(rig.cw.notes[5123]) == 1


def test_timeout_after_the_note_was_stored_does_not_duplicate(rig: Rig, db: Database) -> None:
    rig.set_targets()
    sid = make_session(db)
    rig.cw.drop_after_note_stored = 1
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    rig.send()
    (view,) = rig.views(sid)
    assert view.state is SyncState.RETRYING and "may or may not" in view.error
    rig.clock.advance(60)
    rig.send()
    assert len(rig.cw.notes[5123]) == 1, "the note was found on the ticket, not posted again"
    assert len(rig.cw.api_requests("POST", "notes")) == 1
    (view,) = rig.views(sid)
    assert view.state is SyncState.POSTED and view.note_id == str(rig.cw.notes[5123][0]["id"])
    assert rig.cw.tickets[5123]["status"]["name"] == "Resolved"


@pytest.mark.parametrize("fault", [429, 500, 503, 504, "drop"])
def test_no_duplicate_note_under_any_fault(rig: Rig, db: Database, fault: Any) -> None:
    sid = make_session(db)
    if fault == "drop":
        rig.cw.drop_after_note_stored = 1
    else:
        rig.cw.fail_next(fault, retry_after=0 if fault == 429 else None, method="POST")
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    for _ in range(4):
        rig.send()
        rig.clock.advance(600)
    assert len(rig.cw.notes[5123]) == 1
    assert rig.views(sid)[0].state is SyncState.POSTED


def test_restart_resumes_a_queued_post(rig: Rig, db: Database) -> None:
    sid = make_session(db)
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))  # queued; the app quits
    restarted = rig.new_worker()
    rig.run(restarted.recover())
    rig.run(restarted.send_due())
    assert len(rig.cw.notes[5123]) == 1


def test_restart_after_a_crash_mid_send_checks_before_posting(rig: Rig, db: Database) -> None:
    from storage.repositories import outbox

    sid = make_session(db)
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    job = db.run_sync(lambda s: outbox.session_jobs(s, sid))[0]
    lease = timedelta(seconds=LEASE_S)
    db.run_sync(  # in flight when the app died...
        lambda s: outbox.claim(s, job.id, owner="dead-run", now=rig.clock.now, lease=lease)
    )
    rig.run(rig.psa.test_connection())
    rig.cw.notes[5123].append(
        {"id": 77, "ticketId": 5123, "text": NOTE.replace("\n", " ")}
    )  # ...after it landed
    restarted = rig.new_worker()
    rig.run(restarted.recover())  # within the lease: it may be another live FlowPilot's
    rig.run(restarted.send_due())
    assert db.run_sync(lambda s: outbox.session_jobs(s, sid))[0].state == "in_flight"
    rig.clock.advance(LEASE_S + 1)  # nobody renewed it: its sender is gone
    rig.run(restarted.recover())
    rig.run(restarted.send_due())
    assert rig.cw.api_requests("POST", "notes") == []
    assert rig.views(sid)[0].note_id == "77"


def test_a_job_left_in_flight_by_a_version_without_leases_is_recovered(
    rig: Rig, db: Database
) -> None:
    from sqlalchemy import update

    from storage.models import PsaOutbox

    sid = make_session(db)
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    db.run_sync(lambda s: s.execute(update(PsaOutbox).values(state="in_flight", attempts=1)))
    restarted = rig.new_worker()
    rig.run(restarted.recover())
    rig.run(restarted.send_due())
    assert len(rig.cw.notes[5123]) == 1
    assert len(rig.cw.api_requests("GET", "/notes")) == 1, "it looked before posting"
    assert rig.views(sid)[0].state is SyncState.POSTED


def test_stopping_mid_send_gives_the_job_back_for_the_next_start(rig: Rig, db: Database) -> None:
    from storage.repositories import outbox

    sid = make_session(db)
    rig.cw.delay_s = 0.5

    async def main() -> None:
        worker = rig.new_worker()
        await rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE)
        worker.start()
        for _ in range(200):
            if rig.cw.api_requests("POST", "notes"):
                break
            await asyncio.sleep(0.01)
        await worker.stop()  # the app quits while the note is on its way

    rig.run(main())
    (job,) = db.run_sync(lambda s: outbox.session_jobs(s, sid))
    assert (job.state, job.lease_owner, job.attempts) == ("pending", None, 1)
    rig.cw.delay_s = 0
    time.sleep(0.6)  # the emulator stores the note the client gave up on
    restarted = rig.new_worker()  # no need to wait for the lease to run out
    rig.run(restarted.recover())
    rig.run(restarted.send_due())
    assert len(rig.cw.notes[5123]) == 1, "the next start found it on the ticket"
    assert rig.views(sid)[0].state is SyncState.POSTED


# ---- A session deleted while its note was queued


@pytest.mark.parametrize("deletion", ["soft", "hard"])
def test_a_note_for_a_deleted_session_is_finished_not_failed(
    rig: Rig, db: Database, caplog: pytest.LogCaptureFixture, deletion: str
) -> None:
    from sqlalchemy import text

    from storage.repositories import outbox
    from storage.repositories.sessions import restore_session, soft_delete_session

    rig.set_targets()
    sid = make_session(db)
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    if deletion == "soft":
        db.run_sync(lambda s: soft_delete_session(s, sid))
    else:  # the session row is gone, the outbox rows stay (no cascade)
        with db.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            connection.execute(text("DELETE FROM ai_sessions WHERE id = :id"), {"id": sid})
            connection.commit()
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
    with caplog.at_level("WARNING"):
        rig.send()
    (note,) = rig.cw.notes[5123]
    jobs = db.run_sync(lambda s: outbox.session_jobs(s, sid))
    assert (jobs[0].kind, jobs[0].state, jobs[0].last_error) == ("resolution_note", "done", None)
    assert jobs[0].external_id == str(note["id"])
    if deletion == "soft":  # it can be restored: the ticket is resolved as asked
        assert [(j.kind, j.state, j.last_error) for j in jobs[1:]] == [
            ("status_transition", "done", None)
        ]
        assert rig.cw.tickets[5123]["status"]["name"] == "Resolved"
    else:  # gone for good: no status job can reference it
        assert len(jobs) == 1
    assert "SessionNotFoundError" not in caplog.text
    rig.send()
    assert len(rig.cw.notes[5123]) == 1
    if deletion == "soft":  # restored, it shows the post as done
        db.run_sync(lambda s: restore_session(s, sid))
        (view,) = rig.views(sid)
        assert view.state is SyncState.POSTED and view.error is None
        assert view.note_id == str(note["id"])


def test_worker_task_sends_when_woken(rig: Rig, db: Database) -> None:
    sid = make_session(db)

    async def main() -> None:
        worker = rig.new_worker()
        service = ConclusionService(db, rig.lane, rig.preferences, worker.wake, rig.clock)
        worker.start()
        try:
            await service.conclude(sid, NoteKind.RESOLUTION, NOTE)
            for _ in range(200):
                if rig.cw.notes[5123]:
                    break
                await asyncio.sleep(0.02)
        finally:
            await worker.stop()

    rig.run(main())
    assert len(rig.cw.notes[5123]) == 1


# ---- Status verification


def test_false_200_is_a_loud_failure_with_retry(rig: Rig, db: Database) -> None:
    rig.set_targets()
    sid = make_session(db)
    rig.cw.false_200 = True
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    rig.send()
    (view,) = rig.views(sid)
    assert view.state is SyncState.FAILED
    assert "still “In Progress”" in view.error and "not applied" in view.error
    assert view.note_id is not None and "posted as note" in view.headline
    assert len(rig.cw.notes[5123]) == 1

    rig.cw.false_200 = False
    rig.run(rig.service.retry(sid, view.retry_job_id))
    rig.send()
    (view,) = rig.views(sid)
    assert view.state is SyncState.POSTED and "(verified)" in view.headline
    assert len(rig.cw.notes[5123]) == 1, "Retry moves the status only"


def test_status_matched_by_name_on_the_tickets_board(rig: Rig, db: Database) -> None:
    rig.set_targets()
    project_ticket = rig.cw.add_ticket(31, status="Open", ticket_id=6001)
    sid = make_session(db, ticket=str(project_ticket))
    rig.run(rig.service.conclude(sid, NoteKind.ESCALATION, "## Problem\nx"))
    rig.send()
    (view,) = rig.views(sid)
    assert view.state is SyncState.FAILED
    assert "board “Projects”, which has no active status named “Escalated”" in view.error


def test_not_configured_fails_plainly_until_set_up(rig: Rig, db: Database) -> None:
    rig.credentials.delete(SecretName.CW_PRIVATE_KEY)
    sid = make_session(db)
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    rig.send()
    (view,) = rig.views(sid)
    assert view.state is SyncState.FAILED and "add the private key in Settings" in view.error
    rig.credentials.set(SecretName.CW_PRIVATE_KEY, PRIVATE_KEY)
    rig.run(rig.service.retry(sid, view.retry_job_id))
    rig.send()
    assert rig.views(sid)[0].state is SyncState.POSTED


def test_secrets_never_reach_the_stored_error(rig: Rig, db: Database) -> None:
    from storage.repositories import outbox

    rig.credentials.set(SecretName.CW_PRIVATE_KEY, "wrong-" + PRIVATE_KEY)
    sid = make_session(db)
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    rig.send()
    job = db.run_sync(lambda s: outbox.session_jobs(s, sid))[0]
    assert job.state == "failed" and "refused the credentials" in job.last_error
    assert PRIVATE_KEY not in json.dumps([job.last_error, job.payload])


# ---- Implicit outcomes (SPEC §8) and the Escalate intercept


def test_resolve_while_verifying_records_success_first(rig: Rig, db: Database) -> None:
    sid = make_session(db)
    fix = fix_of(rig, sid)
    rig.run(rig.lane.record_run(sid, fix.id))
    prepared = rig.run(rig.service.prepare(sid, NoteKind.RESOLUTION))
    assert prepared.recorded == "applied_success" and not prepared.intercept
    assert fix_of(rig, sid).status == "applied_success"


def test_resolve_while_pending_records_success_first(rig: Rig, db: Database) -> None:
    sid = make_session(db)
    fix = fix_of(rig, sid)
    rig.run(rig.lane.record_outcome(sid, fix.id, "applied_pending", "waiting for the user"))
    rig.run(rig.service.prepare(sid, NoteKind.RESOLUTION))
    assert fix_of(rig, sid).status == "applied_success"


def test_resolve_with_a_proposed_fix_changes_nothing(rig: Rig, db: Database) -> None:
    sid = make_session(db)
    prepared = rig.run(rig.service.prepare(sid, NoteKind.RESOLUTION))
    assert prepared.recorded is None and fix_of(rig, sid).status == "proposed"


@pytest.mark.parametrize(
    ("setup", "choices"),
    [
        (
            lambda r, sid, fix: r.lane.record_run(sid, fix.id),
            ("applied_success", "applied_failed", "dismissed", "applied_partial"),
        ),
        (
            lambda r, sid, fix: r.lane.record_outcome(sid, fix.id, "applied_partial", "half"),
            ("applied_success", "applied_failed", "dismissed", "applied_partial"),
        ),
        (
            lambda r, sid, fix: r.lane.record_outcome(sid, fix.id, "applied_pending", "wait"),
            ("applied_success", "applied_failed", "dismissed"),
        ),
    ],
)
def test_escalate_intercept_offers_only_valid_choices(
    rig: Rig, db: Database, setup: Callable[..., Any], choices: tuple[str, ...]
) -> None:
    sid = make_session(db)
    rig.run(setup(rig, sid, fix_of(rig, sid)))
    prepared = rig.run(rig.service.prepare(sid, NoteKind.ESCALATION))
    assert prepared.intercept == choices


def test_escalate_without_applying_needs_no_intercept(rig: Rig, db: Database) -> None:
    sid = make_session(db)
    assert rig.run(rig.service.prepare(sid, NoteKind.ESCALATION)).intercept == ()


def test_resolve_needs_an_exchange(rig: Rig, db: Database) -> None:
    sid = db.run_sync(lambda s: create_session(s, user_id="tech", title="New").id)
    with pytest.raises(UserFacingError, match="at least one exchange"):
        rig.run(rig.service.prepare(sid, NoteKind.RESOLUTION))


def test_a_secret_typed_into_the_note_never_reaches_connectwise(rig: Rig, db: Database) -> None:
    from flowpilot_desktop.logging_setup import register_secret

    register_secret("Sup3rSecret-Passw0rd")
    sid = make_session(db)
    rig.run(
        rig.service.conclude(
            sid, NoteKind.RESOLUTION, NOTE + "\nReset the password to Sup3rSecret-Passw0rd"
        )
    )
    rig.send()
    (note,) = rig.cw.notes[5123]
    assert "Sup3rSecret-Passw0rd" not in note["text"] and "[secret #1]" in note["text"]
    assert "Sup3rSecret" not in json.dumps([r.body for r in rig.cw.requests])


@pytest.mark.parametrize(
    ("state", "note_id", "headline"),
    [
        (
            SyncState.RETRYING,
            None,
            "Resolution note not posted yet: ConnectWise said: Gateway Timeout. "
            "FlowPilot will try again.",
        ),
        (
            SyncState.RETRYING,
            "77",
            "Resolution note posted to ticket #5123 as note 77, but the status is not moved "
            "yet: ConnectWise said: Gateway Timeout. FlowPilot will try again.",
        ),
        (
            SyncState.FAILED,
            "77",
            "Resolution note for ticket #5123: ConnectWise said: Gateway Timeout. "
            "It was posted as note 77.",
        ),
    ],
)
def test_a_reason_without_a_full_stop_still_reads_as_its_own_sentence(
    state: SyncState, note_id: str | None, headline: str
) -> None:
    view = SyncView(
        NoteKind.RESOLUTION, state, "5123", note_id, error="ConnectWise said: Gateway Timeout"
    )
    assert view.headline == headline
