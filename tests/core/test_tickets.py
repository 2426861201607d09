"""Linking a session to its ticket: the snapshot is fetched through the real client, stored,
bumps state_version and reaches the assistant's context; offline keeps the number."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from flowpilot_desktop.assistant.prompts import SessionContext, render_context
from flowpilot_desktop.assistant.turn import TurnResult
from flowpilot_desktop.changes import ChangeKind
from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.psa_access import PsaAccess
from flowpilot_desktop.tickets import TicketForChat, TicketService
from psa.errors import PsaConfigError, PsaNotFoundError
from storage.database import Database
from storage.repositories.sessions import create_session, get_session_summary
from tests.anthropic_emulator import AnthropicEmulator
from tests.connectwise_emulator import (
    CLIENT_ID,
    COMPANY,
    PRIVATE_KEY,
    PUBLIC_KEY,
    ConnectWiseEmulator,
    standard_setup,
)
from tests.fakes_keyring import MemoryKeyring


def _service(
    db: Database, cw: ConnectWiseEmulator, tmp_path: Path, *, keys: bool = True
) -> TicketService:
    credentials = CredentialStore(MemoryKeyring())
    if keys:
        credentials.set(SecretName.CW_PUBLIC_KEY, PUBLIC_KEY)
        credentials.set(SecretName.CW_PRIVATE_KEY, PRIVATE_KEY)
    store = ConfigStore(tmp_path / "settings.json")
    store.save(AppConfig(cw_site=cw.site, cw_company_id=COMPANY, cw_client_id=CLIENT_ID))
    return TicketService(db, PsaAccess(store, credentials))


def test_fetch_stores_the_snapshot_for_the_assistant(db, cw, tmp_path) -> None:
    standard_setup(cw)
    sid = db.run_sync(
        lambda s: create_session(s, user_id="t", title="Ticket #5123", ticket_ref="5123").id
    )
    before = db.run_sync(lambda s: get_session_summary(s, sid)).state_version
    tickets = _service(db, cw, tmp_path)
    change = asyncio.run(tickets.fetch(sid))
    assert change.state_version == before + 1
    snapshot = asyncio.run(tickets.snapshot(sid))
    assert snapshot is not None
    assert snapshot.summary == "Outlook keeps asking for the password"
    assert (snapshot.company, snapshot.contact, snapshot.board, snapshot.status) == (
        "Contoso Ltd",
        "Pat Smith",
        "Help Desk",
        "In Progress",
    )
    context = render_context(SessionContext("Ticket #5123", "5123", snapshot, (), None, None))
    assert "Ticket summary: Outlook keeps asking for the password" in context
    assert "Ticket company: Contoso Ltd" in context


def test_not_configured_or_unknown_keeps_the_number(db, cw, tmp_path) -> None:
    standard_setup(cw)
    sid = db.run_sync(lambda s: create_session(s, user_id="t", title="x", ticket_ref="999").id)
    with pytest.raises(PsaConfigError, match="public key, private key"):
        asyncio.run(_service(db, cw, tmp_path, keys=False).fetch(sid))
    with pytest.raises(PsaNotFoundError, match="#999 was not found"):
        asyncio.run(_service(db, cw, tmp_path).fetch(sid))
    summary = db.run_sync(lambda s: get_session_summary(s, sid))
    assert summary.ticket_ref == "999"
    assert asyncio.run(_service(db, cw, tmp_path).snapshot(sid)) is None


def _linked_session(db: Database, ticket_ref: str = "5123") -> str:
    return db.run_sync(
        lambda s: create_session(s, user_id="t", title="Linked", ticket_ref=ticket_ref).id
    )


def _context_of_last_request(api: AnthropicEmulator) -> str:
    return json.dumps(api.message_requests[-1].body["messages"][-1]["content"][0])


def test_the_first_message_waits_for_the_ticket_and_carries_it(
    db, cw, api, make_chat, tmp_path
) -> None:
    """Sent right after linking, while the card's fetch is still under way: the request waits
    for that same fetch (one GET, not two) and carries the ticket."""
    standard_setup(cw)
    sid = _linked_session(db)
    tickets = _service(db, cw, tmp_path / "psa")  # the chat's settings file is its own
    chat = make_chat(ticket_for_chat=tickets.ready_for_chat)
    api.enqueue("Warm-up.")
    asyncio.run(
        chat.send(db.run_sync(lambda s: create_session(s, user_id="t", title="w").id), "hi")
    )
    cw.delay_s = 0.6  # a slow ConnectWise
    api.enqueue("Let's look at the token.")
    statuses: list[str] = []

    async def link_then_send() -> TurnResult:
        card_fetch = asyncio.ensure_future(tickets.fetch(sid))  # the card, on showing it
        await asyncio.sleep(0)
        result = await chat.send(sid, "Outlook keeps prompting", on_status=statuses.append)
        await card_fetch
        return result

    result = asyncio.run(link_then_send())
    assert "Ticket summary: Outlook keeps asking for the password" in _context_of_last_request(api)
    assert result.notice is None
    assert result.change is not None and ChangeKind.TICKET in result.change.kinds
    assert len(cw.api_requests("GET", "tickets/5123")) == 1, "one fetch, shared"
    assert statuses == ["Reading ticket #5123 from ConnectWise…", "Thinking…"]


def test_a_ticket_that_does_not_come_in_time_is_left_out_and_said(
    db, cw, api, make_chat, tmp_path
) -> None:
    standard_setup(cw)
    cw.delay_s = 1.5
    sid = _linked_session(db)
    tickets = _service(db, cw, tmp_path / "psa")
    chat = make_chat(
        ticket_for_chat=lambda s, on_wait: tickets.ready_for_chat(s, on_wait, wait_s=0.2)
    )
    api.enqueue("Understood.")
    started = time.monotonic()
    result = asyncio.run(chat.send(sid, "Outlook keeps prompting"))
    assert time.monotonic() - started < 1.4, "the message did not wait for ConnectWise"
    assert result.reply is not None and result.reply.content == "Understood."
    assert result.notice == (
        "Sent without ticket #5123's details: ConnectWise did not answer within 0.2 s."
    )
    assert "Ticket summary" not in _context_of_last_request(api)


def test_no_wait_without_a_ticket_or_once_it_is_stored(db, cw, tmp_path) -> None:
    standard_setup(cw)
    tickets = _service(db, cw, tmp_path)
    plain = db.run_sync(lambda s: create_session(s, user_id="t", title="No ticket").id)
    assert asyncio.run(tickets.ready_for_chat(plain)) == TicketForChat()
    sid = _linked_session(db)
    first = asyncio.run(tickets.ready_for_chat(sid))
    assert first.change is not None and first.missing is None
    assert asyncio.run(tickets.ready_for_chat(sid)) == TicketForChat()
    assert len(cw.api_requests("GET", "tickets/5123")) == 1


def test_without_connectwise_the_message_goes_and_says_so(db, cw, tmp_path) -> None:
    sid = _linked_session(db, "777")
    tickets = _service(db, cw, tmp_path, keys=False)
    assert asyncio.run(tickets.ready_for_chat(sid)).missing == (
        "Sent without ticket #777's details: ConnectWise is not set up in Settings."
    )
    unknown = _linked_session(db, "999")
    standard_setup(cw)
    assert asyncio.run(_service(db, cw, tmp_path).ready_for_chat(unknown)).missing == (
        "Sent without ticket #999's details: it could not be fetched (the ticket card says why)."
    )
