"""Time entries through the real client against the emulator (issue 21): the body ConnectWise
takes, lists of work types and roles, finding an entry after an ambiguous post, reading one
back, and the same plain errors as notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from psa.errors import PsaAmbiguousError, PsaAuthError, PsaRejectedError, PsaUnavailableError
from psa.provider import BillableOption, TimeEntryRequest
from tests.connectwise_emulator import API_MEMBER, ConnectWiseEmulator, standard_setup
from tests.psa.test_connectwise_client import run

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def request(**overrides: object) -> TimeEntryRequest:
    values: dict[str, object] = {
        "ticket_id": 5123,
        "member": "jdoe",
        "time_start": START,
        "time_end": START + timedelta(minutes=45),
        "work_type_id": 2,
        "work_role_id": 10,
        "billable": BillableOption.NO_CHARGE,
        "notes": "Cleared the cached token.\nConfirmed.",
        **overrides,
    }
    return TimeEntryRequest(**values)  # type: ignore[arg-type]


def test_post_time_entry_sends_what_connectwise_takes(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    posted = run(cw, lambda p: p.post_time_entry(request()))
    body = cw.api_requests("POST", "time/entries")[0].body
    assert body == {
        "chargeToId": 5123,
        "chargeToType": "ServiceTicket",
        "member": {"identifier": "jdoe"},
        "timeStart": "2026-11-25T09:00:00Z",
        "timeEnd": "2026-11-25T09:45:00Z",
        "notes": "Cleared the cached token.\nConfirmed.",
        "workType": {"id": 2},
        "workRole": {"id": 10},
        "billableOption": "NoCharge",
    }
    assert posted.entry_id in cw.time.entries
    assert (posted.ticket_id, posted.member, posted.actual_hours) == (5123, "jdoe", 0.75)
    assert (posted.time_start, posted.time_end) == (START, START + timedelta(minutes=45))
    assert (posted.work_type, posted.work_role, posted.billable) == (
        "Onsite",
        "Technician",
        "NoCharge",
    )


def test_times_are_sent_in_utc_with_z(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    local = START.astimezone(timezone(timedelta(hours=2)))
    run(
        cw,
        lambda p: p.post_time_entry(request(time_start=local, time_end=local + timedelta(hours=1))),
    )
    body = cw.api_requests("POST", "time/entries")[0].body
    assert (body["timeStart"], body["timeEnd"]) == ("2026-11-25T09:00:00Z", "2026-11-25T10:00:00Z")


def test_work_types_and_roles_are_the_active_ones_by_name(cw: ConnectWiseEmulator) -> None:
    types = run(cw, lambda p: p.work_types())
    assert [(t.name, t.billable) for t in types] == [
        ("Admin", "NoCharge"),
        ("Onsite", "Billable"),
        ("Remote Support", "Billable"),
    ]
    roles = run(cw, lambda p: p.work_roles())
    assert [r.name for r in roles] == ["Senior Engineer", "Technician"]
    assert cw.api_requests("GET", "time/workTypes")[0].query["conditions"] == ["inactiveFlag=False"]


def test_find_time_entries_by_ticket_member_and_start(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)

    async def body(p):  # type: ignore[no-untyped-def]
        first = await p.post_time_entry(request())
        await p.post_time_entry(request(member=API_MEMBER))
        await p.post_time_entry(
            request(time_start=START + timedelta(hours=1), time_end=START + timedelta(hours=2))
        )
        return first, await p.find_time_entries(5123, "jdoe", START)

    first, found = run(cw, body)
    assert [entry.entry_id for entry in found] == [first.entry_id]
    assert run(cw, lambda p: p.find_time_entries(5123, "jdoe", START - timedelta(hours=1))) == []


def test_get_time_entry_reads_back_and_none_when_gone(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    posted = run(cw, lambda p: p.post_time_entry(request()))
    cw.time.entries[posted.entry_id]["notes"] = "changed in ConnectWise"
    again = run(cw, lambda p: p.get_time_entry(posted.entry_id))
    assert again is not None and again.notes == "changed in ConnectWise"
    del cw.time.entries[posted.entry_id]
    assert run(cw, lambda p: p.get_time_entry(posted.entry_id)) is None


def test_member_identifier_is_the_settings_member_or_the_api_member(
    cw: ConnectWiseEmulator,
) -> None:
    assert run(cw, lambda p: p.member_identifier(), member_identifier="jdoe") == "jdoe"
    assert run(cw, lambda p: p.member_identifier()) == API_MEMBER


def test_a_closed_ticket_is_refused_in_connectwise_words(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    cw.add_ticket(30, status="Closed", ticket_id=6001)
    with pytest.raises(PsaRejectedError) as raised:
        run(cw, lambda p: p.post_time_entry(request(ticket_id=6001)))
    message = str(raised.value)
    assert message.startswith("ConnectWise refused the time entry for ticket #6001")
    assert "chargeToId: Ticket 6001 is closed" in message
    assert len(cw.api_requests("POST", "time/entries")) == 1  # a 400 is never repeated


def test_a_missing_permission_says_which_one(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    cw.time.add_allowed = False
    with pytest.raises(PsaAuthError) as raised:
        run(cw, lambda p: p.post_time_entry(request()))
    message = str(raised.value)
    assert "security role does not allow adding time entries" in message
    assert "You do not have security permission to perform this action." in message


def test_a_time_entry_post_is_not_repeated_after_a_server_error(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    cw.fail_next(500, path_contains="time/entries")
    with pytest.raises(PsaAmbiguousError, match="may or may not have been stored"):
        run(cw, lambda p: p.post_time_entry(request()))
    assert len(cw.api_requests("POST", "time/entries")) == 1


def test_stored_then_dropped_is_ambiguous_and_found(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    cw.time.drop_after_stored = 1
    with pytest.raises(PsaAmbiguousError, match="after the time entry was sent"):
        run(cw, lambda p: p.post_time_entry(request()))
    found = run(cw, lambda p: p.find_time_entries(5123, "jdoe", START))
    assert [entry.entry_id for entry in found] == list(cw.time.entries)


def test_a_time_entry_post_waits_out_a_rate_limit(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    cw.fail_next(429, retry_after=1, path_contains="time/entries")
    posted = run(cw, lambda p: p.post_time_entry(request()))
    assert posted.entry_id in cw.time.entries
    assert len(cw.api_requests("POST", "time/entries")) == 2


def test_reading_entries_when_connectwise_is_down_is_unavailable(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    cw.fail_next(503, times=3, path_contains="time/entries")
    with pytest.raises(PsaUnavailableError):
        run(cw, lambda p: p.find_time_entries(5123, "jdoe", START))
