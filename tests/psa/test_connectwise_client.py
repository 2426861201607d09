"""The ConnectWise client and provider through the real httpx2 stack against the emulator."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import psa.connectwise as connectwise
from psa.connectwise import ConnectWiseClient, ConnectWiseProvider, ConnectWiseSettings, RetryPolicy
from psa.connectwise_settings import WorkingSettings
from psa.errors import (
    PsaAmbiguousError,
    PsaAuthError,
    PsaConfigError,
    PsaNotFoundError,
    PsaRejectedError,
    PsaUnavailableError,
    StatusNotAppliedError,
)
from psa.provider import NoteKind
from tests.connectwise_emulator import (
    API_MEMBER,
    CLIENT_ID,
    COMPANY,
    PRIVATE_KEY,
    PUBLIC_KEY,
    ConnectWiseEmulator,
    standard_setup,
)


def settings(cw: ConnectWiseEmulator, **overrides: str) -> ConnectWiseSettings:
    values = {
        "site_url": cw.site,
        "company_id": COMPANY,
        "public_key": PUBLIC_KEY,
        "private_key": PRIVATE_KEY,
        "client_id": CLIENT_ID,
        "member_identifier": "",
        **overrides,
    }
    return ConnectWiseSettings(**values)


class Sleeps:
    """Records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def run(
    cw: ConnectWiseEmulator,
    body: Callable[[ConnectWiseProvider], Awaitable[Any]],
    sleeps: Sleeps | None = None,
    **overrides: str,
) -> Any:
    async def main() -> Any:
        client = ConnectWiseClient(settings(cw, **overrides), sleep=sleeps or Sleeps())
        provider = ConnectWiseProvider(client)
        try:
            return await body(provider)
        finally:
            await provider.aclose()

    return asyncio.run(main())


# ---- Setup, identity, headers


def test_test_connection_names_the_member_and_version(cw: ConnectWiseEmulator) -> None:
    said = run(cw, lambda p: p.test_connection())
    assert said == f"Connected to ConnectWise v2025.1.101234 as FlowPilot API ({API_MEMBER})."
    info = cw.requests[0]
    assert info.path == f"/login/companyinfo/{COMPANY}"
    assert "authorization" not in info.headers  # companyinfo needs no credentials
    call = cw.api_requests("GET", "system/info")[0]
    assert call.path == "/v2025_1/apis/3.0/system/info"
    assert call.headers["clientid"] == CLIENT_ID
    assert call.headers["accept"] == "application/vnd.connectwise.com+json; version=2025.8"
    token = call.headers["authorization"].removeprefix("Basic ")
    assert base64.b64decode(token).decode() == f"{COMPANY}+{PUBLIC_KEY}:{PRIVATE_KEY}"


def test_codebase_is_discovered_once(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)

    async def body(p: ConnectWiseProvider) -> None:
        await p.fetch_ticket(5123)
        await p.fetch_ticket(5123)

    run(cw, body)
    assert [r.path for r in cw.requests].count(f"/login/companyinfo/{COMPANY}") == 1


def test_unknown_company_is_said_plainly(cw: ConnectWiseEmulator) -> None:
    with pytest.raises(PsaConfigError, match="unknown company id"):
        run(cw, lambda p: p.test_connection(), company_id="nosuchco")


def test_missing_settings_are_listed() -> None:
    with pytest.raises(PsaConfigError, match="public key, private key"):
        ConnectWiseClient(ConnectWiseSettings("eu.myconnectwise.net", "acme", "", " ", "client"))


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"private_key": "wrong"}, "refused the credentials"),
        ({"client_id": "not-registered"}, "refused the credentials"),
    ],
)
def test_bad_credentials_are_not_retried(
    cw: ConnectWiseEmulator, override: dict[str, str], words: str
) -> None:
    with pytest.raises(PsaAuthError, match=words) as raised:
        run(cw, lambda p: p.test_connection(), **override)
    assert PRIVATE_KEY not in str(raised.value)
    assert len(cw.api_requests()) == 1


def test_unreachable_site_is_unavailable() -> None:
    sleeps = Sleeps()

    async def main() -> None:
        client = ConnectWiseClient(
            ConnectWiseSettings("http://127.0.0.1:9", COMPANY, PUBLIC_KEY, PRIVATE_KEY, CLIENT_ID),
            sleep=sleeps,
        )
        try:
            await client.codebase()
        finally:
            await client.aclose()

    with pytest.raises(PsaUnavailableError, match="Can't reach ConnectWise"):
        asyncio.run(main())
    assert len(sleeps.waits) == 2  # three attempts


# ---- Tickets and statuses


def test_fetch_ticket_snapshot(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    snapshot = run(cw, lambda p: p.fetch_ticket(5123))
    assert snapshot.summary == "Outlook keeps asking for the password"
    assert snapshot.company == "Contoso Ltd"
    assert snapshot.contact == "Pat Smith"
    assert (snapshot.board_id, snapshot.board) == (30, "Help Desk")
    assert snapshot.status == "In Progress"
    assert snapshot.description.startswith("Since this morning")


def test_unknown_ticket_first_call_hints_at_the_setup(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    with pytest.raises(PsaNotFoundError, match="#999 was not found") as first:
        run(cw, lambda p: p.fetch_ticket(999))
    assert "site or the credentials may be wrong" in str(first.value)

    async def after_success(p: ConnectWiseProvider) -> None:
        await p.fetch_ticket(5123)
        await p.fetch_ticket(999)

    with pytest.raises(PsaNotFoundError) as later:
        run(cw, after_success)
    assert "credentials may be wrong" not in str(later.value)
    assert "Ticket with id 999 not found." in str(later.value)  # ConnectWise's own words
    assert len(cw.api_requests("GET", "tickets/999")) == 2  # one per run: 404 is not retried


def test_the_first_call_hint_needs_these_settings_never_to_have_worked_on_any_client(
    cw: ConnectWiseEmulator,
) -> None:
    """Clients are built per piece of work: what worked is remembered outside them, per
    settings, and without the keys themselves."""
    standard_setup(cw)
    worked = WorkingSettings()

    async def fetch_999(**overrides: str) -> str:
        """A new client, as for every piece of work; what the 404 for ticket #999 says."""
        client = ConnectWiseClient(settings(cw, **overrides), sleep=Sleeps(), worked=worked)
        try:
            with pytest.raises(PsaNotFoundError) as raised:
                await ConnectWiseProvider(client).fetch_ticket(999)
            return str(raised.value)
        finally:
            await client.aclose()

    async def test_connection() -> None:
        client = ConnectWiseClient(settings(cw), sleep=Sleeps(), worked=worked)
        try:
            await ConnectWiseProvider(client).test_connection()
        finally:
            await client.aclose()

    async def main() -> tuple[str, str, str]:
        first = await fetch_999()
        await test_connection()
        after_success = await fetch_999()
        cw.fail_next(404, path_contains="tickets/999")  # other keys would get a 401 here
        other_keys = await fetch_999(public_key="anotherPublicKey")
        return first, after_success, other_keys

    first, after_success, other_keys = asyncio.run(main())
    hint = "If this is the first call, the site or the credentials may be wrong"
    assert hint in first
    assert hint not in after_success and "Ticket #999 was not found" in after_success
    assert hint in other_keys, "these settings never worked"
    assert PRIVATE_KEY not in repr(vars(worked)) and PUBLIC_KEY not in repr(vars(worked))


def test_board_statuses_follow_the_link_header(
    cw: ConnectWiseEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    cw.add_board("Big", [f"Status {n:02d}" for n in range(23)], board_id=40)
    monkeypatch.setattr(connectwise, "PAGE_SIZE", 10)
    statuses = run(cw, lambda p: p.board_statuses(40))
    assert [s.name for s in statuses] == [f"Status {n:02d}" for n in range(23)]
    pages = cw.api_requests("GET", "boards/40/statuses")
    assert len(pages) == 3
    assert pages[0].query["orderby"] == ["sortOrder asc"]


def test_board_statuses_carry_closed_and_inactive(cw: ConnectWiseEmulator) -> None:
    cw.add_board("Help", ["New", ("Old", {"inactive": True}), "Closed"], board_id=41)
    statuses = run(cw, lambda p: p.board_statuses(41))
    assert [(s.name, s.closed, s.inactive) for s in statuses] == [
        ("New", False, False),
        ("Old", False, True),
        ("Closed", True, False),
    ]


# ---- Notes


@pytest.mark.parametrize(
    ("kind", "flags"),
    [
        (NoteKind.RESOLUTION, (False, False, True, True)),
        (NoteKind.ESCALATION, (False, True, False, False)),
    ],
)
def test_post_note_flags(cw: ConnectWiseEmulator, kind: NoteKind, flags: tuple[bool, ...]) -> None:
    standard_setup(cw)
    posted = run(
        cw, lambda p: p.post_note(5123, "## Problem\nOutlook.", kind), member_identifier="jdoe"
    )
    sent = cw.api_requests("POST", "notes")[0].body
    assert (
        sent["detailDescriptionFlag"],
        sent["internalAnalysisFlag"],
        sent["resolutionFlag"],
        sent["processNotifications"],
    ) == flags
    assert sent["member"] == {"identifier": "jdoe"}
    stored = cw.notes[5123][0]
    assert posted.note_id == stored["id"]
    assert stored["member"]["identifier"] == "jdoe"
    assert stored["createdBy"] == API_MEMBER
    assert cw.api_requests("POST", "notes")[0].answered == 201


def test_unknown_member_is_refused_with_connectwise_words(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    with pytest.raises(PsaRejectedError, match="member: Member ghost was not found"):
        run(cw, lambda p: p.post_note(5123, "x", NoteKind.RESOLUTION), member_identifier="ghost")


def test_note_post_is_not_repeated_after_a_server_error(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    cw.fail_next(500, method="POST")
    with pytest.raises(PsaAmbiguousError, match="may or may not"):
        run(cw, lambda p: p.post_note(5123, "text", NoteKind.RESOLUTION))
    assert len(cw.api_requests("POST", "notes")) == 1


def test_a_gateway_timeout_on_a_note_post_reads_as_separate_sentences(
    cw: ConnectWiseEmulator,
) -> None:
    """ConnectWise's words often end without a full stop; what follows them starts a sentence."""
    standard_setup(cw)
    gateway = json.dumps({"code": "", "message": "Gateway Timeout", "errors": None})
    cw.fail_next(504, method="POST", text=gateway)
    with pytest.raises(PsaAmbiguousError) as raised:
        run(cw, lambda p: p.post_note(5123, "text", NoteKind.RESOLUTION))
    assert str(raised.value) == (
        "ConnectWise timed out on its side; try again in a moment. "
        "ConnectWise said: Gateway Timeout. It may or may not have been stored."
    )


def test_a_404_without_a_full_stop_and_the_first_call_hint_are_two_sentences(
    cw: ConnectWiseEmulator,
) -> None:
    standard_setup(cw)
    cw.fail_next(404, path_contains="service/boards", text='{"code":"NotFound","message":"Gone"}')
    with pytest.raises(PsaNotFoundError) as raised:
        run(cw, lambda p: p.boards())
    assert "ConnectWise said: Gone. If this is the first call," in str(raised.value)


def test_note_stored_then_connection_dropped_is_ambiguous_and_found(
    cw: ConnectWiseEmulator,
) -> None:
    standard_setup(cw)
    cw.drop_after_note_stored = 1
    text = "## Problem\nOutlook prompts.\n\n## Resolution\nReset the profile."

    async def body(p: ConnectWiseProvider) -> Any:
        with pytest.raises(PsaAmbiguousError):
            await p.post_note(5123, text, NoteKind.RESOLUTION)
        return await p.find_note(5123, text)

    found = run(cw, body)
    assert found is not None and found.note_id == cw.notes[5123][0]["id"]
    assert len(cw.notes[5123]) == 1


def test_note_post_is_retried_after_429(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    cw.fail_next(429, retry_after=2, method="POST")
    sleeps = Sleeps()
    run(cw, lambda p: p.post_note(5123, "text", NoteKind.RESOLUTION), sleeps)
    assert sleeps.waits == [2.0]
    assert len(cw.notes[5123]) == 1


# ---- Retries


def test_retry_after_is_honoured_and_its_message_read(cw: ConnectWiseEmulator) -> None:
    cw.fail_next(429, times=3, retry_after=1.5)
    sleeps = Sleeps()
    with pytest.raises(PsaUnavailableError, match=r"rate limiting.*1\.5 s.*Too many requests"):
        run(cw, lambda p: p.test_connection(), sleeps)
    assert sleeps.waits == [1.5, 1.5]


def test_a_very_long_retry_after_is_not_waited_for(cw: ConnectWiseEmulator) -> None:
    cw.fail_next(429, retry_after=600)
    sleeps = Sleeps()
    with pytest.raises(PsaUnavailableError, match="600 s"):
        run(cw, lambda p: p.test_connection(), sleeps)
    assert sleeps.waits == []


@pytest.mark.parametrize("status", [500, 504, 503])
def test_server_timeouts_are_retried_with_backoff(cw: ConnectWiseEmulator, status: int) -> None:
    standard_setup(cw)
    cw.fail_next(status, times=2, path_contains="tickets")
    sleeps = Sleeps()
    snapshot = run(cw, lambda p: p.fetch_ticket(5123), sleeps)
    assert snapshot.ticket_id == 5123
    assert len(sleeps.waits) == 2
    assert all(0 <= wait <= RetryPolicy().max_delay_s for wait in sleeps.waits)


def test_server_timeout_message_after_the_last_attempt(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    cw.fail_next(500, times=3, path_contains="tickets")
    with pytest.raises(PsaUnavailableError, match="timed out on its side"):
        run(cw, lambda p: p.fetch_ticket(5123))


@pytest.mark.parametrize(("status", "kind"), [(400, PsaRejectedError), (403, PsaAuthError)])
def test_client_errors_are_not_retried(cw: ConnectWiseEmulator, status: int, kind: type) -> None:
    standard_setup(cw)
    cw.fail_next(status, path_contains="tickets")
    sleeps = Sleeps()
    with pytest.raises(kind):
        run(cw, lambda p: p.fetch_ticket(5123), sleeps)
    assert sleeps.waits == []


def test_slow_answer_times_out_then_retries(cw: ConnectWiseEmulator) -> None:
    import httpx2

    standard_setup(cw)
    cw.delay_s = 0.3

    async def main() -> Any:
        client = ConnectWiseClient(settings(cw), timeout=httpx2.Timeout(0.1), sleep=Sleeps())
        try:
            return await client.get_ticket(5123)
        finally:
            await client.aclose()

    with pytest.raises(PsaUnavailableError, match="did not answer in time"):
        asyncio.run(main())
    assert len(cw.api_requests("GET", "tickets/5123")) == 3


# ---- Status moves


def test_move_status_is_verified_and_closes(cw: ConnectWiseEmulator) -> None:
    board, ticket = standard_setup(cw)
    closed = cw.status_id(board, "Closed")
    verified = run(cw, lambda p: p.move_status(ticket, closed))
    assert (verified.status_id, verified.status, verified.closed) == (closed, "Closed", True)
    patch = cw.api_requests("PATCH")[0]
    assert patch.body == [{"op": "replace", "path": "status", "value": {"id": closed}}]
    verify = cw.api_requests("GET", f"tickets/{ticket}")[-1]
    assert verify.query["fields"] == ["id,status,board,closedFlag,_info"]
    assert cw.tickets[ticket]["closedFlag"] is True


def test_false_200_is_caught(cw: ConnectWiseEmulator) -> None:
    board, ticket = standard_setup(cw)
    cw.false_200 = True
    with pytest.raises(StatusNotAppliedError, match="still “In Progress”") as raised:
        run(cw, lambda p: p.move_status(ticket, cw.status_id(board, "Resolved")))
    assert raised.value.kept_status == "In Progress"


def test_workflow_rule_changing_the_status_after_save_is_caught(cw: ConnectWiseEmulator) -> None:
    board, ticket = standard_setup(cw)
    cw.workflow_reverts_to = cw.status_id(board, "Waiting on Customer")
    with pytest.raises(StatusNotAppliedError) as raised:
        run(cw, lambda p: p.move_status(ticket, cw.status_id(board, "Resolved")))
    assert raised.value.kept_status == "Waiting on Customer"


def test_status_of_another_board_refused(cw: ConnectWiseEmulator) -> None:
    _, ticket = standard_setup(cw)
    other = cw.status_id(31, "Closed")
    with pytest.raises(PsaRejectedError, match="status: The status is not valid for this board"):
        run(cw, lambda p: p.move_status(ticket, other))


def test_status_of_another_board_silently_ignored_is_caught(cw: ConnectWiseEmulator) -> None:
    _, ticket = standard_setup(cw)
    cw.invalid_status_mode = "noop"
    with pytest.raises(StatusNotAppliedError):
        run(cw, lambda p: p.move_status(ticket, cw.status_id(31, "Closed")))


def test_boards_are_listed_by_name(cw: ConnectWiseEmulator) -> None:
    standard_setup(cw)
    cw.boards[32] = {"id": 32, "name": "Archive", "inactiveFlag": True}
    boards = run(cw, lambda p: p.boards())
    assert [(b.id, b.name) for b in boards] == [(30, "Help Desk"), (31, "Projects")]
    assert cw.api_requests("GET", "service/boards")[0].query["fields"] == ["id,name"]


def test_ticket_web_url_uses_the_ui_host() -> None:
    url = connectwise.ticket_web_url("api-na.myconnectwise.net", "acme", 5123)
    assert url == (
        "https://na.myconnectwise.net/v4_6_release/services/system_io/Service/"
        "fv_sr100_request.rails?service_recid=5123&companyName=acme"
    )
