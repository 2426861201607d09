"""Nothing secret leaves the machine without the technician's say-so, end to end through the
real anthropic and httpx2 clients against the local emulators: a pasted password reaches no
request body, no stored row and no posted note; "Send unmasked" is per message; a deleted
message is never sent again; the limits refuse with a message that names the problem."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from flowpilot_desktop.assistant.chat import Attachment, ChatService
from flowpilot_desktop.conclusion.outbox_worker import OutboxWorker
from flowpilot_desktop.conclusion.posting import ConclusionService
from flowpilot_desktop.conclusion.preview import PreviewService
from flowpilot_desktop.conclusion.targets import StatusChoices
from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.preferences import DatabasePreferences
from flowpilot_desktop.psa_access import PsaAccess
from flowpilot_desktop.scripts.library import TemplateDraft, TemplateLibrary
from flowpilot_desktop.scripts.templates import Parameter
from flowpilot_desktop.task_lane_service import TaskLaneService
from psa.provider import NoteKind
from storage.database import Database
from storage.repositories import facts, fixes
from storage.repositories.sessions import create_session, set_ticket_snapshot
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

KEY = "sk-ant-emulator-trust-key"
PASTED_LOG = (
    "2026-11-29 09:12:01 ERROR CRM sync failed\n"
    "Connection string: Server=sql01.contoso.local;Database=crm;User Id=sa;"
    "Password=Sup3r$ecretSA!;TrustServerCertificate=True\n"
    "Login failed for user 'sa'. Reason: Password did not match. [CLIENT: 10.0.4.21]"
)
PASSWORD = "Sup3r$ecretSA!"
TICKET_SECRET = "Winter2026!Ticket"
NOTE_SECRET = "Adm1n!Typed#Later"


def _block(name: str, payload: object) -> str:
    return f"[{name}]\n{json.dumps(payload)}\n[/{name}]"


class Rig:
    def __init__(
        self, db: Database, api: AnthropicEmulator, cw: ConnectWiseEmulator, tmp: Path
    ) -> None:
        self.db, self.api, self.cw, self.tmp = db, api, cw, tmp
        credentials = CredentialStore(MemoryKeyring())
        credentials.set(SecretName.ANTHROPIC_API_KEY, KEY)
        credentials.set(SecretName.CW_PUBLIC_KEY, PUBLIC_KEY)
        credentials.set(SecretName.CW_PRIVATE_KEY, PRIVATE_KEY)
        store = ConfigStore(tmp / "settings.json")
        store.save(
            AppConfig(
                anthropic_base_url=api.base_url,
                cw_site=cw.site,
                cw_company_id=COMPANY,
                cw_client_id=CLIENT_ID,
            )
        )
        preferences = DatabasePreferences(db)
        self.chat = ChatService(db, credentials, store, preferences, tmp / "attachments")
        self.lane = TaskLaneService(db, self.chat.synthesize)
        self.previews = PreviewService(db, self.chat.write_note)
        self.worker = OutboxWorker(db, PsaAccess(store, credentials))
        self.conclusion = ConclusionService(db, self.lane, preferences, lambda: None)
        board = 30
        asyncio.run(
            preferences.merge_preferences(
                StatusChoices(
                    board, "Help Desk", (cw.status_id(board, "Resolved"), "Resolved"), None
                ).to_preferences()
            )
        )

    def run(self, coroutine: Any) -> Any:
        return asyncio.run(coroutine)

    def outbound(self) -> str:
        """Every byte FlowPilot sent to Anthropic and ConnectWise in this test."""
        to_anthropic = [json.dumps(r.body, ensure_ascii=False) for r in self.api.requests]
        to_connectwise = [
            json.dumps(r.body, ensure_ascii=False) for r in self.cw.api_requests() if r.body
        ]
        return "\n".join(to_anthropic + to_connectwise)

    def stored(self) -> str:
        """Everything in the database file and the attachments folder, as text."""
        url = str(self.db.engine.url).removeprefix("sqlite:///")
        with sqlite3.connect(url) as connection:
            dump = "\n".join(connection.iterdump())
        files = [
            p.read_bytes().decode("utf-8", "replace")
            for p in (self.tmp / "attachments").rglob("*")
            if p.is_file()
        ]
        return dump + "\n".join(files)


@pytest.fixture
def rig(db: Database, api: AnthropicEmulator, cw: ConnectWiseEmulator, tmp_path: Path) -> Rig:
    standard_setup(cw)
    return Rig(db, api, cw, tmp_path)


@pytest.fixture
def session_id(db: Database) -> str:
    sid = db.run_sync(
        lambda s: create_session(s, user_id="tech", title="CRM sync fails", ticket_ref="5123").id
    )
    db.run_sync(
        lambda s: set_ticket_snapshot(
            s,
            sid,
            {
                "summary": "CRM sync fails",
                "description": f"User says: the service account password is {TICKET_SECRET} "
                f"(Password={TICKET_SECRET})",
                "company": "Contoso",
            },
        )
    )
    return sid


def test_a_pasted_password_reaches_no_request_no_row_and_no_posted_note(
    rig: Rig, session_id: str
) -> None:
    """The issue's trial, end to end: paste a log with a password, let the assistant promote
    a fact, add a note, resolve with the password typed into the preview, post."""
    rig.api.enqueue(
        "The app connects as sa and the login is refused.\n"
        + _block("PROMOTE", {"text": "The CRM app connects to sql01 as sa; the login fails."}),
        "Looks like the sa password changed.\n"
        + _block("SUGGEST_FIX", {"title": "Update the CRM connection string", "confidence": 70}),
    )
    first = rig.run(rig.chat.send(session_id, f"Here is the log:\n{PASTED_LOG}"))
    assert PASSWORD not in first.user_message.content
    assert "[password #1]" in first.user_message.content, "a typed placeholder the model can use"
    second = rig.run(rig.chat.send(session_id, f"They say it is still {PASSWORD}, right?"))
    assert "[password #1]" in second.user_message.content, "the same value, the same placeholder"

    rig.run(rig.lane.add_note(session_id, f"cmdkey /add:sql01 /user:sa /pass:{NOTE_SECRET}"))
    rig.api.enqueue(
        "## Problem\nCRM sync fails.\n\n## What we confirmed\n- x\n\n## Root cause\ny\n\n"
        "## Resolution\nz"
    )
    preview = rig.run(rig.previews.preview(NoteKind.RESOLUTION, session_id, refresh=True))
    assert NOTE_SECRET not in preview.text and TICKET_SECRET not in preview.text
    typed = preview.text + f"\n\nOld password was {PASSWORD}; new one is Password={NOTE_SECRET}"
    assert rig.run(rig.conclusion.masked_in_note(session_id, typed)) >= 1
    rig.run(rig.conclusion.conclude(session_id, NoteKind.RESOLUTION, typed))
    rig.run(rig.worker.send_due())

    (note,) = rig.cw.notes[5123]
    assert note["resolutionFlag"] is True
    outbound = rig.outbound()
    for secret in (PASSWORD, TICKET_SECRET, NOTE_SECRET, KEY):
        assert secret not in outbound, f"{secret!r} left the machine"
    assert "[password #1]" in note["text"], "the customer-visible note carries the placeholder"
    context = rig.api.message_requests[0].body["messages"][-1]["content"][0]["text"]
    assert "Contoso" in context and TICKET_SECRET not in context
    stored = rig.stored()
    assert PASSWORD not in stored, "the pasted password is stored masked, as it was sent"


def test_a_text_attachment_is_masked_before_it_is_stored_or_sent(rig: Rig, session_id: str) -> None:
    log = f"[settings]\ndb_host = sql01\ndb_password = {PASSWORD}\n".encode("utf-16")
    rig.api.enqueue("Noted.\n" + _block("PROMOTE", {"text": "The config names sql01."}))
    result = rig.run(rig.chat.send(session_id, "config attached", [Attachment("app.ini", log)]))
    (stored,) = result.user_message.attachments
    assert stored["kind"] == "text"
    assert PASSWORD not in Path(stored["path"]).read_text(encoding="utf-8")
    assert PASSWORD not in rig.outbound()
    _context, *blocks = rig.api.message_requests[0].body["messages"][0]["content"]
    assert "db_host = sql01" in blocks[0]["text"], "UTF-16 decoded, the rest intact"


def test_the_composer_preview_is_what_send_masks(rig: Rig, session_id: str) -> None:
    outgoing = rig.run(rig.chat.outgoing(session_id, PASTED_LOG))
    assert outgoing.masked_count == 1 and PASSWORD not in outgoing.text
    (masked,) = outgoing.masked_in_text
    assert outgoing.text[masked.start : masked.end] == "[password #1]"
    assert rig.api.requests == [], "checking sends nothing"


def test_send_unmasked_is_per_message_and_known_secrets_stay_masked(
    rig: Rig, session_id: str
) -> None:
    """A false positive goes out as written when the technician says so, in that message and
    in later requests; the app's own secrets (the API key) are masked all the same."""
    harmless = "The policy file says password=ChangeMeAtFirstLogon for new hires"
    rig.api.enqueue("Noted.", "Noted again.")
    result = rig.run(rig.chat.send(session_id, f"{harmless}. Key {KEY}", unmasked=True))
    assert "ChangeMeAtFirstLogon" in result.user_message.content
    assert result.user_message.sent_unmasked and KEY not in result.user_message.content
    rig.run(rig.chat.send(session_id, f"And the DB: {PASTED_LOG}"))
    later = json.dumps(rig.api.message_requests[-1].body["messages"])
    assert "ChangeMeAtFirstLogon" in later, "the unmasked message stays as the technician sent it"
    assert PASSWORD not in later, "the next message is masked again"


def test_a_drafted_secret_parameter_is_never_stored(rig: Rig, session_id: str) -> None:
    template_id = rig.run(
        TemplateLibrary(rig.db).save(
            TemplateDraft(
                "Set service password",
                "",
                "",
                "powershell",
                "sc.exe config {{service}} password= {{password}}",
                [Parameter("service"), Parameter("password", type="secret")],
            )
        )
    )
    drafted = "Dr4fted!Secret"
    fix = {
        "title": "Reset the service password",
        "confidence": 80,
        "template_id": template_id,
        "parameters": {"service": "CRMSync", "password": drafted},
    }
    rig.api.enqueue("Use the template.\n" + _block("SUGGEST_FIX", fix))
    rig.run(rig.chat.send(session_id, "what now?"))
    stored_fix = rig.db.run_sync(lambda s: fixes.active_fix(s, session_id))
    assert stored_fix.ai_drafted_parameters == {"service": "CRMSync"}
    assert drafted not in rig.stored()


def test_a_deleted_message_is_not_sent_again_and_undo_brings_it_back(
    rig: Rig, session_id: str
) -> None:
    rig.api.enqueue("First answer.", "Second answer.", "Third answer.")
    first = rig.run(rig.chat.send(session_id, "a huge paste that poisons everything"))
    rig.run(rig.chat.send(session_id, "second message"))
    change = rig.run(rig.chat.delete_message(session_id, first.user_message.id))
    assert change.session_id == session_id

    rig.run(rig.chat.send(session_id, "third message"))
    sent = rig.api.message_requests[-1].body["messages"]
    text = json.dumps(sent)
    assert "poisons" not in text and "second message" in text
    assert sent[0]["role"] == "user", "the API needs the technician first"
    history = rig.run(rig.chat.history(session_id))
    assert first.user_message.id not in [m.id for m in history]

    rig.run(rig.chat.delete_message(session_id, first.user_message.id, deleted=False))
    assert first.user_message.id in [m.id for m in rig.run(rig.chat.history(session_id))]
    with pytest.raises(UserFacingError, match="no longer"):
        rig.run(rig.chat.delete_message(session_id, "no-such-message"))


# ---- Limits


def test_a_message_over_the_cap_is_refused_and_nothing_is_stored(rig: Rig, session_id: str) -> None:
    with pytest.raises(UserFacingError, match="text file"):
        rig.run(rig.chat.send(session_id, "x" * 150_000))
    assert rig.run(rig.chat.history(session_id)) == [] and rig.api.requests == []


@pytest.mark.parametrize(
    ("attachment", "named"),
    [
        (
            Attachment("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)) * 40),
            "setup.exe",
        ),
        (Attachment("photo.png", bytes(range(256)) * 8, "image/png"), "photo.png"),
    ],
)
def test_a_file_that_is_neither_text_nor_an_image_is_refused_by_name(
    rig: Rig, session_id: str, attachment: Attachment, named: str
) -> None:
    with pytest.raises(UserFacingError, match=named):
        rig.run(rig.chat.send(session_id, "see attached", [attachment]))
    assert rig.api.requests == []


def test_many_promotions_in_one_reply_are_capped_and_quick(rig: Rig, session_id: str) -> None:
    blocks = "\n".join(_block("PROMOTE", {"text": f"Fact number {n}."}) for n in range(3000))
    rig.api.enqueue("Lots.\n" + blocks)
    rig.run(rig.chat.send(session_id, "go"))
    assert len(rig.db.run_sync(lambda s: facts.live_facts(s, session_id))) == 20
