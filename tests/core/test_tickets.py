"""Linking a session to its ticket: the snapshot is fetched through the real client, stored,
bumps state_version and reaches the assistant's context; offline keeps the number."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from flowpilot_desktop.assistant.prompts import SessionContext, render_context
from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.psa_access import PsaAccess
from flowpilot_desktop.tickets import TicketService
from psa.errors import PsaConfigError, PsaNotFoundError
from storage.database import Database
from storage.repositories.sessions import create_session, get_session_summary
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
