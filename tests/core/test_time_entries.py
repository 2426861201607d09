"""Time entries below the UI (issue 21): the work timer, the draft, the queue, and the outbox
worker posting each entry once through the real client to the ConnectWise emulator, reading
it back and failing loudly when ConnectWise holds something else (or nothing)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from flowpilot_desktop.conclusion.posting import SyncState
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.time_entries import (
    TIME_ENTRY_JOB_KIND,
    TimeEntryDraft,
    TimeEntryService,
    WorkTimer,
    format_duration,
)
from psa.provider import BillableOption, NoteKind
from storage.database import Database
from storage.repositories import outbox
from tests.connectwise_emulator import API_MEMBER, ConnectWiseEmulator, standard_setup
from tests.core.test_posting import NOTE, Rig, make_session

START = datetime(2026, 11, 25, 8, 15, tzinfo=UTC)


class TimeRig(Rig):
    def __init__(self, db: Database, cw: ConnectWiseEmulator, tmp_path: Path) -> None:
        super().__init__(db, cw, tmp_path)
        self.timer = WorkTimer(db, clock=self.clock)
        self.entries = TimeEntryService(
            db, self.timer, self.preferences, self.psa, self.worker.wake, self.clock
        )

    def work(self, sid: str, minutes: list[float], event: str = "typing") -> None:
        """Work events ``minutes`` apart, starting now."""
        self.run(self.timer.record(sid, event))
        for step in minutes:
            self.clock.advance(step * 60)
            self.run(self.timer.record(sid, event))

    def entry(self, sid: str, **changes: object) -> TimeEntryDraft:
        values: dict[str, object] = {
            "session_id": sid,
            "ticket_id": 5123,
            "time_start": START,
            "time_end": START + timedelta(minutes=40),
            "notes": "Cleared the cached token.",
            "work_type_id": 1,
            "work_role_id": 10,
            "billable": BillableOption.BILLABLE,
            **changes,
        }
        return TimeEntryDraft(**values)  # type: ignore[arg-type]

    def queue(self, sid: str, **changes: object) -> None:
        self.run(self.entries.queue(sid, self.entry(sid, **changes)))

    def time_views(self, sid: str) -> list:  # type: ignore[type-arg]
        return [view for view in self.views(sid) if view.kind is None]

    def job(self, sid: str) -> outbox.OutboxJob:
        (job,) = [
            j
            for j in self.db.run_sync(lambda s: outbox.session_jobs(s, sid))
            if j.kind == TIME_ENTRY_JOB_KIND
        ]
        return job

    def retry(self, sid: str) -> None:
        self.run(self.service.retry(sid, self.job(sid).id))
        self.send()


@pytest.fixture
def rig(db: Database, cw: ConnectWiseEmulator, tmp_path: Path) -> TimeRig:
    standard_setup(cw)
    return TimeRig(db, cw, tmp_path)


# ---- The work timer


def test_active_work_counts_short_gaps_and_leaves_idle_gaps_out(rig: TimeRig, db: Database) -> None:
    sid = make_session(db)
    rig.work(sid, [2, 3, 4, 20, 1])  # the 20-minute gap is a break
    worked = rig.run(rig.timer.work_time(sid))
    assert worked.active_seconds == (2 + 3 + 4 + 1) * 60
    assert worked.last_event_at == rig.clock.now


def test_the_timer_is_kept_across_a_restart(rig: TimeRig, db: Database) -> None:
    sid = make_session(db)
    rig.work(sid, [4, 4])
    restarted = WorkTimer(db, clock=rig.clock)  # a new process: only the database remains
    rig.clock.advance(60)
    assert rig.run(restarted.record(sid, "lane")).active_seconds == 9 * 60


def test_each_session_has_its_own_timer_and_unknown_events_are_refused(
    rig: TimeRig, db: Database
) -> None:
    first, second = make_session(db), make_session(db)
    rig.work(first, [3])
    assert rig.run(rig.timer.work_time(second)).active_seconds == 0
    with pytest.raises(ValueError, match="unknown work event"):
        rig.run(rig.timer.record(first, "idle"))


def test_the_timer_goes_with_its_session(rig: TimeRig, db: Database) -> None:
    from sqlalchemy import text

    sid = make_session(db)
    rig.work(sid, [3])
    db.run_sync(lambda s: s.execute(text("DELETE FROM ai_sessions WHERE id = :id"), {"id": sid}))
    assert rig.run(rig.timer.work_time(sid)).active_seconds == 0


def test_duration_is_shown_in_hours_and_minutes() -> None:
    assert [format_duration(s) for s in (0, 59, 60 * 45, 60 * 61, 3600 * 10)] == [
        "0:00",
        "0:00",
        "0:45",
        "1:01",
        "10:00",
    ]


# ---- Drafting and queueing


def test_the_draft_comes_from_the_timer_and_the_posted_note(rig: TimeRig, db: Database) -> None:
    from flowpilot_desktop.logging_setup import register_secret

    register_secret("Sup3rSecret-Passw0rd")
    sid = make_session(db)
    rig.clock.now = datetime(2026, 11, 25, 9, 0, 30, tzinfo=UTC)
    rig.work(sid, [4, 4, 30, 4.5])  # the 30-minute gap is a break
    rig.run(rig.service.conclude(sid, NoteKind.RESOLUTION, NOTE))
    from sqlalchemy import update

    from storage.models import AiSession

    # a credential in the stored note (typed before the scrubber knew it)
    db.run_sync(
        lambda s: s.execute(
            update(AiSession)
            .where(AiSession.id == sid)
            .values(resolution_note_markdown=NOTE + "\nReset the password to Sup3rSecret-Passw0rd")
        )
    )
    draft = rig.run(rig.entries.draft(sid, NoteKind.RESOLUTION))
    assert draft.ticket_id == 5123
    assert draft.time_end == datetime(2026, 11, 25, 9, 43, tzinfo=UTC)  # last event, to the minute
    assert draft.minutes == 13  # 12.5 active minutes, rounded up
    assert "Cleared the token" in draft.notes
    assert "Sup3rSecret" not in draft.notes and "[secret #1]" in draft.notes
    assert (draft.work_type_id, draft.work_role_id, draft.billable) == (None, None, None)


def test_a_draft_needs_a_ticket(rig: TimeRig, db: Database) -> None:
    sid = make_session(db, ticket=None)
    with pytest.raises(UserFacingError, match="Link a ticket"):
        rig.run(rig.entries.draft(sid))


def test_the_chosen_work_type_role_and_billing_become_the_defaults(
    rig: TimeRig, db: Database
) -> None:
    sid = make_session(db)
    rig.queue(sid, work_type_id=2, work_role_id=11, billable=BillableOption.NO_CHARGE)
    draft = rig.run(rig.entries.draft(sid))
    assert (draft.work_type_id, draft.work_role_id, draft.billable) == (
        2,
        11,
        BillableOption.NO_CHARGE,
    )


def test_queueing_the_same_entry_twice_is_one_job(rig: TimeRig, db: Database) -> None:
    sid = make_session(db)
    rig.queue(sid)
    rig.queue(sid, notes="pressed twice")
    job = rig.job(sid)
    assert job.payload["notes"] == "Cleared the cached token."
    assert job.idempotency_key == f"{sid}:time:{START.isoformat()}"
    (view,) = rig.time_views(sid)
    assert view.state is SyncState.QUEUED
    assert view.headline == "Time entry (40 min) queued for ticket #5123."


def test_a_secret_typed_into_the_entry_never_reaches_connectwise(
    rig: TimeRig, db: Database
) -> None:
    from flowpilot_desktop.logging_setup import register_secret

    register_secret("Sup3rSecret-Passw0rd")
    sid = make_session(db)
    rig.queue(sid, notes="Reset the password to Sup3rSecret-Passw0rd")
    rig.send()
    assert "Sup3rSecret" not in json.dumps([r.body for r in rig.cw.requests])


def test_an_entry_ending_before_it_starts_is_refused(rig: TimeRig, db: Database) -> None:
    sid = make_session(db)
    with pytest.raises(UserFacingError, match="ends before it starts"):
        rig.queue(sid, time_end=START)


def test_skipping_time_entries_is_a_team_preference(rig: TimeRig) -> None:
    assert rig.run(rig.entries.skipped()) is False
    rig.run(rig.entries.set_skipped(True))
    assert rig.run(rig.preferences.get_preferences())["skip_time_entries"] is True
    assert rig.run(rig.entries.skipped()) is True


def test_work_types_and_roles_come_from_connectwise(rig: TimeRig) -> None:
    options = rig.run(rig.entries.options())
    assert [t.name for t in options.work_types] == ["Admin", "Onsite", "Remote Support"]
    assert [r.name for r in options.work_roles] == ["Senior Engineer", "Technician"]


# ---- Posting: once, read back, verified


def test_the_worker_posts_once_reads_back_and_shows_it(rig: TimeRig, db: Database) -> None:
    sid = make_session(db)
    rig.queue(sid)
    rig.send()
    (entry,) = rig.cw.time.entries.values()
    assert entry["chargeToId"] == 5123 and entry["member"]["identifier"] == API_MEMBER
    assert (entry["timeStart"], entry["timeEnd"]) == (
        "2026-11-25T08:15:00Z",
        "2026-11-25T08:55:00Z",
    )
    assert entry["workType"]["id"] == 1 and entry["workRole"]["id"] == 10
    assert rig.cw.api_requests("GET", f"time/entries/{entry['id']}")  # read back
    job = rig.job(sid)
    assert (job.state, job.external_id) == ("done", str(entry["id"]))
    (view,) = rig.time_views(sid)
    assert view.state is SyncState.POSTED
    assert view.headline == (
        f"Time entry (40 min, Remote Support) logged on ticket #5123 as entry {entry['id']}, "
        "read back and verified."
    )
    rig.send()
    assert len(rig.cw.api_requests("POST", "time/entries")) == 1


def test_the_member_in_settings_is_the_one_charged(rig: TimeRig, db: Database) -> None:
    from dataclasses import replace

    rig.store.save(replace(rig.store.load(), cw_member_identifier="jdoe"))
    sid = make_session(db)
    rig.queue(sid)
    rig.send()
    (entry,) = rig.cw.time.entries.values()
    assert entry["member"]["identifier"] == "jdoe"


def test_an_entry_stored_without_an_answer_is_found_not_posted_again(
    rig: TimeRig, db: Database
) -> None:
    sid = make_session(db)
    rig.cw.time.drop_after_stored = 1
    rig.queue(sid)
    rig.send()
    (view,) = rig.time_views(sid)
    assert view.state is SyncState.RETRYING
    assert "may or may not have been stored" in view.headline
    rig.clock.advance(60)
    rig.send()
    assert len(rig.cw.time.entries) == 1
    assert len(rig.cw.api_requests("POST", "time/entries")) == 1
    assert rig.cw.api_requests("GET", "time/entries")[0].query["conditions"] == [
        "chargeToType='ServiceTicket' AND chargeToId=5123 "
        f'AND member/identifier="{API_MEMBER}" AND timeStart=[2026-11-25T08:15:00Z]'
    ]
    job = rig.job(sid)
    assert job.state == "done" and job.payload["found_existing"] is True


def test_an_entry_that_is_not_there_when_read_back_fails_loudly_then_retry_posts_it(
    rig: TimeRig, db: Database
) -> None:
    sid = make_session(db)
    rig.cw.time.vanish_next = 1
    rig.queue(sid)
    rig.send()
    (view,) = rig.time_views(sid)
    assert view.state is SyncState.FAILED and view.retry_job_id
    assert "reading it back finds no such entry: the time is not logged" in view.headline
    assert view.headline.startswith("Time entry (40 min) not logged on ticket #5123:")
    rig.retry(sid)
    assert len(rig.cw.time.entries) == 1
    assert rig.job(sid).state == "done"


def test_an_entry_changed_in_connectwise_is_a_specific_failure_and_never_posted_twice(
    rig: TimeRig, db: Database
) -> None:
    sid = make_session(db)
    rig.cw.time.after_store = lambda stored: stored.update(
        workType={"id": 2, "name": "Onsite"}, notes="something else"
    )
    rig.queue(sid)
    rig.send()
    (view,) = rig.time_views(sid)
    assert view.state is SyncState.FAILED
    assert "the work type is “Onsite”, not “type 1”" in view.headline
    assert "the notes differ" in view.headline
    rig.retry(sid)
    assert rig.job(sid).state == "failed"
    assert len(rig.cw.api_requests("POST", "time/entries")) == 1  # found, still different


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (lambda cw: cw.add_ticket(30, status="Closed", ticket_id=5123), "5123 is closed"),
        (lambda cw: setattr(cw.time, "add_allowed", False), "does not allow adding time entries"),
    ],
)
def test_connectwise_refusals_stop_the_job_with_its_words(
    rig: TimeRig, db: Database, setup, words: str
) -> None:
    sid = make_session(db)
    setup(rig.cw)
    rig.queue(sid)
    rig.send()
    (view,) = rig.time_views(sid)
    assert view.state is SyncState.FAILED and words in view.headline
    assert rig.cw.time.entries == {}
