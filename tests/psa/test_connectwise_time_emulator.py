"""The ConnectWise emulator's time API itself (issue 21): what the client tests rely on is
what ConnectWise does — entries charged to a service ticket, computed hours, references,
conditions, and the refusals for a closed ticket and a missing security permission."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from tests.connectwise_emulator import (
    API_MEMBER,
    CLIENT_ID,
    CODEBASE,
    COMPANY,
    PRIVATE_KEY,
    PUBLIC_KEY,
    ConnectWiseEmulator,
    standard_setup,
)
from tests.connectwise_time import SECURITY_MESSAGE


@pytest.fixture
def api(cw: ConnectWiseEmulator) -> Iterator[httpx2.Client]:
    standard_setup(cw)
    with httpx2.Client(
        base_url=f"{cw.site}/{CODEBASE}apis/3.0/",
        auth=httpx2.BasicAuth(f"{COMPANY}+{PUBLIC_KEY}", PRIVATE_KEY),
        headers={"clientId": CLIENT_ID},
    ) as client:
        yield client


def entry(**overrides: Any) -> dict[str, Any]:
    return {
        "chargeToId": 5123,
        "chargeToType": "ServiceTicket",
        "member": {"identifier": "jdoe"},
        "timeStart": "2026-11-25T09:00:00Z",
        "timeEnd": "2026-11-25T09:45:00Z",
        "workType": {"id": 1},
        "workRole": {"id": 11},
        "billableOption": "Billable",
        "notes": "Cleared the cached token.\nConfirmed Outlook connects.",
        **overrides,
    }


def test_a_time_entry_is_stored_with_computed_hours_and_references(api: httpx2.Client) -> None:
    answer = api.post("time/entries", json=entry())
    assert answer.status_code == 201
    body = answer.json()
    assert body["chargeToId"] == 5123 and body["chargeToType"] == "ServiceTicket"
    assert body["member"]["identifier"] == "jdoe"
    assert (body["timeStart"], body["timeEnd"]) == ("2026-11-25T09:00:00Z", "2026-11-25T09:45:00Z")
    assert body["actualHours"] == 0.75
    assert (body["workType"]["id"], body["workType"]["name"]) == (1, "Remote Support")
    assert (body["workRole"]["id"], body["workRole"]["name"]) == (11, "Senior Engineer")
    assert body["workType"]["_info"]["workType_href"].endswith("apis/3.0//time/workTypes/1")
    assert body["notes"] == "Cleared the cached token. Confirmed Outlook connects."
    read = api.get(f"time/entries/{body['id']}").json()
    assert read == body


def test_hours_deducted_and_end_from_actual_hours(api: httpx2.Client) -> None:
    deducted = api.post("time/entries", json=entry(hoursDeduct=0.25)).json()
    assert deducted["actualHours"] == 0.5
    by_hours = api.post("time/entries", json=entry(timeEnd=None, actualHours=1.5)).json()
    assert by_hours["timeEnd"] == "2026-11-25T10:30:00Z"


def test_defaults_when_left_out(api: httpx2.Client) -> None:
    """Only timeStart is required: member, work type, role and billing take defaults."""
    body = api.post("time/entries", json={"chargeToId": 5123, "timeStart": "2026-11-25T09:00:00Z"})
    assert body.status_code == 201
    stored = body.json()
    assert stored["member"]["identifier"] == API_MEMBER
    assert stored["chargeToType"] == "ServiceTicket"
    assert stored["workType"]["name"] == "Remote Support"
    assert stored["workRole"]["name"] == "Technician"
    assert stored["billableOption"] == "Billable"  # the work type's billTime
    assert stored["actualHours"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timeStart": None}, "timeStart"),
        ({"timeStart": "2026-11-25 09:00"}, "timeStart"),
        ({"timeEnd": "2026-11-25T08:00:00Z"}, "timeEnd"),
        ({"member": {"identifier": "nobody"}}, "member"),
        ({"workType": {"id": 99}}, "workType"),
        ({"workRole": {"name": "Old Role"}}, "workRole"),
        ({"billableOption": "Sometimes"}, "billableOption"),
        ({"chargeToId": 99999}, "chargeToId"),
    ],
)
def test_invalid_entries_are_refused_naming_the_field(
    api: httpx2.Client, cw: ConnectWiseEmulator, change: dict[str, Any], field: str
) -> None:
    answer = api.post("time/entries", json=entry(**change))
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "InvalidObject"
    assert field in [error["field"] for error in body["errors"]]
    assert cw.time.entries == {}


def test_a_closed_ticket_refuses_time(api: httpx2.Client, cw: ConnectWiseEmulator) -> None:
    closed = cw.add_ticket(30, status="Closed", ticket_id=6001)
    answer = api.post("time/entries", json=entry(chargeToId=closed))
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["field"] == "chargeToId" and "closed" in error["message"]
    assert cw.time.entries == {}


def test_a_status_that_allows_no_time_refuses_it(
    api: httpx2.Client, cw: ConnectWiseEmulator
) -> None:
    cw.statuses[cw.status_id(30, "Waiting on Customer")]["timeEntryNotAllowed"] = True
    ticket = cw.add_ticket(30, status="Waiting on Customer", ticket_id=6002)
    answer = api.post("time/entries", json=entry(chargeToId=ticket))
    assert answer.status_code == 400
    assert "Waiting on Customer" in answer.json()["errors"][0]["message"]


def test_missing_security_permission_is_the_security_error(
    api: httpx2.Client, cw: ConnectWiseEmulator
) -> None:
    cw.time.add_allowed = False
    answer = api.post("time/entries", json=entry())
    assert answer.status_code == 403
    assert answer.json() == {"code": "Security", "message": SECURITY_MESSAGE, "errors": None}
    cw.time.inquire_allowed = False
    assert api.get("time/entries").status_code == 403


def test_conditions_find_an_entry_by_ticket_member_and_start(api: httpx2.Client) -> None:
    api.post("time/entries", json=entry())
    api.post("time/entries", json=entry(timeStart="2026-11-25T10:00:00Z", timeEnd=None))
    api.post("time/entries", json=entry(member={"identifier": API_MEMBER}))
    conditions = (
        "chargeToId=5123 AND chargeToType='ServiceTicket' AND member/identifier=\"jdoe\" "
        "AND timeStart=[2026-11-25T09:00:00Z]"
    )
    found = api.get("time/entries", params={"conditions": conditions}).json()
    assert [(e["member"]["identifier"], e["timeStart"]) for e in found] == [
        ("jdoe", "2026-11-25T09:00:00Z")
    ]
    later = api.get(
        "time/entries", params={"conditions": "timeStart >= [2026-11-25T09:30:00Z]"}
    ).json()
    assert [e["timeStart"] for e in later] == ["2026-11-25T10:00:00Z"]
    count = api.get("time/entries/count", params={"conditions": "chargeToId=5123"}).json()
    assert count == {"count": 3}
    bad = api.get("time/entries", params={"conditions": "chargeToId=5123 OR (x"})
    assert bad.status_code == 400


def test_an_unknown_entry_is_404(api: httpx2.Client) -> None:
    answer = api.get("time/entries/424242")
    assert answer.status_code == 404
    assert answer.json()["code"] == "NotFound"


def test_work_types_and_roles_are_listed_under_time(api: httpx2.Client) -> None:
    types = api.get("time/workTypes", params={"conditions": "inactiveFlag=false"}).json()
    assert [t["name"] for t in types] == ["Admin", "Onsite", "Remote Support"]
    roles = api.get("time/workRoles").json()
    assert [r["name"] for r in roles] == ["Old Role", "Senior Engineer", "Technician"]
    assert api.get("system/workTypes").status_code == 404  # not where ConnectWise has them


def test_faults_drop_vanish_and_change_after_store(
    api: httpx2.Client, cw: ConnectWiseEmulator
) -> None:
    cw.time.vanish_next = 1
    vanished = api.post("time/entries", json=entry())
    assert vanished.status_code == 201 and cw.time.entries == {}
    cw.time.after_store = lambda stored: stored.update(workType={"id": 2, "name": "Onsite"})
    changed = api.post("time/entries", json=entry()).json()
    assert changed["workType"]["id"] == 1
    assert api.get(f"time/entries/{changed['id']}").json()["workType"]["id"] == 2
    cw.time.drop_after_stored = 1
    with pytest.raises(httpx2.TransportError):
        api.post("time/entries", json=entry(timeStart="2026-11-25T11:00:00Z", timeEnd=None))
    assert len(cw.time.entries) == 2
