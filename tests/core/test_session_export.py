"""Exporting a session as Markdown (issue 19): every section, deleted messages left out, no
secret (a pasted password leaves as its placeholder), the posted notes with their ConnectWise
ids and times, and an all-or-nothing write."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.scrubbing import Scrubber
from flowpilot_desktop.session_export import SessionExportService, default_file_name
from psa.provider import NoteKind, TicketSnapshot
from storage.database import Database
from storage.models import FixStatus
from storage.repositories import facts, fixes, messages
from storage.repositories import sessions as session_repository

SECRET = "Hunter2!x"
POSTED_AT = datetime(2025, 3, 4, 15, 42, tzinfo=UTC)
NOTE = (
    "## Problem\nOutlook prompts for the password.\n\n## Resolution\n"
    "Cleared the cached token; confirmed working."
)


def _fill(s: Session) -> str:
    """A resolved session for ticket #5123 with one of everything."""
    session_id = session_repository.create_session(
        s, user_id="tech", title="Outlook prompts", ticket_ref="5123"
    ).id
    session_repository.set_ticket_snapshot(
        s,
        session_id,
        TicketSnapshot(
            ticket_id=5123,
            summary="Outlook keeps asking for the password",
            description="Since Monday, on the laptop only.",
            company="Contoso Ltd",
            contact="Dana Scully",
            board="Help Desk",
            status="In Progress",
        ).to_dict(),
    )
    messages.add_message(s, session_id, "user", content=f"It prompts. Password={SECRET}")
    messages.add_message(
        s,
        session_id,
        "assistant",
        content="## Likely cause\nA stale token in the credential manager.",
    )
    deleted = messages.add_message(s, session_id, "user", content="A message I took back")
    messages.set_message_deleted(s, session_id, deleted.id, True)
    facts.add_fact(s, session_id, "Webmail works for the user", "question")
    facts.add_fact(s, session_id, f"The old login was Password={SECRET}", "engineer_note")
    session_repository.set_task_lane(
        s,
        session_id,
        {
            "questions": [
                {"id": "q1", "text": "Does webmail work?", "answer": "Yes, it does"},
                {"id": "q2", "text": "Which Office version?"},
            ],
            "actions": [
                {
                    "id": "a1",
                    "label": "List stored credentials",
                    "command": "cmdkey /list",
                    "result": "Two MicrosoftOffice16 entries",
                    "done": True,
                }
            ],
        },
    )
    first = fixes.propose_fix(s, session_id, title="Repair the Office install", confidence=40)
    assert first is not None
    first.status = FixStatus.APPLIED_FAILED
    first.failure_reason = "Still prompts after the repair"
    fix = fixes.propose_fix(
        s,
        session_id,
        title="Clear the cached token",
        description="Remove the stale Office credentials.",
        confidence=85,
        ai_drafted_script="cmdkey /delete:MicrosoftOffice16",
        script_language="batch",
    )
    assert fix is not None
    fix.status = FixStatus.APPLIED_SUCCESS
    fix.applied_at = datetime(2025, 3, 4, 15, 30, tzinfo=UTC)
    fix.verified_at = datetime(2025, 3, 4, 15, 35, tzinfo=UTC)
    session_repository.conclude_session(
        s, session_id, status="resolved", note_kind="resolution", text=NOTE
    )
    session_repository.mark_note_posted(
        s, session_id, note_kind="resolution", external_id="88121", posted_at=POSTED_AT
    )
    return session_id


@pytest.fixture
def export(db: Database) -> SessionExportService:
    return SessionExportService(db, Scrubber(lambda: ()))


@pytest.fixture
def session_id(db: Database) -> str:
    return db.run_sync(_fill)


def _section(markdown: str, heading: str) -> str:
    """The text under ``heading`` (a level-2 heading) up to the next level-2 heading."""
    start = markdown.index(f"\n{heading}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else None]


def test_export_has_every_section(export: SessionExportService, session_id: str) -> None:
    """Title and ticket, the conversation with who and when, facts with source, questions and
    checks with answers and results, the fixes with script and outcome, the posted note."""
    markdown = asyncio.run(export.markdown(session_id))

    assert markdown.startswith("# Outlook prompts\n\nTicket #5123 · Resolved")
    ticket = _section(markdown, "## Ticket")
    for value in (
        "Outlook keeps asking for the password",
        "Contoso Ltd",
        "Dana Scully",
        "Help Desk",
        "In Progress",
    ):
        assert value in ticket
    conversation = _section(markdown, "## Conversation")
    assert "### Technician · " in conversation and "### Assistant · " in conversation
    assert "##### Likely cause" in conversation  # the reply's heading sits under its message
    facts_text = _section(markdown, "## What we know")
    assert "- Webmail works for the user *(from a question's answer)*" in facts_text
    questions = _section(markdown, "## Questions")
    assert "**Does webmail work?**\n  Answer: Yes, it does" in questions
    assert "**Which Office version?**\n  Not answered." in questions
    checks = _section(markdown, "## Diagnostic checks")
    assert "cmdkey /list" in checks and "Result: Two MicrosoftOffice16 entries" in checks
    fix_text = _section(markdown, "## Suggested fixes")
    assert fix_text.index("### Clear the cached token") < fix_text.index(
        "### Repair the Office install (earlier suggestion)"
    )
    assert "```batch\ncmdkey /delete:MicrosoftOffice16\n```" in fix_text
    assert "- **Outcome:** Worked" in fix_text
    assert "- **Verified:** 2025-03-04 15:35 UTC" in fix_text
    assert "- **Why it failed:** Still prompts after the repair" in fix_text
    notes = _section(markdown, "## Posted notes")
    assert "### Resolution note" in notes
    assert "ConnectWise ticket #5123 as note 88121 on 2025-03-04 15:42 UTC" in notes
    assert "##### Problem" in notes and "Cleared the cached token" in notes


def test_export_leaves_deleted_messages_and_secrets_out(
    export: SessionExportService, session_id: str
) -> None:
    markdown = asyncio.run(export.markdown(session_id))

    assert "A message I took back" not in markdown
    assert SECRET not in markdown
    assert "Password=[password #1]" in _section(markdown, "## Conversation")
    assert "The old login was Password=[password #1]" in _section(markdown, "## What we know")


def test_posted_notes_read_back_with_id_and_time(
    export: SessionExportService, session_id: str, db: Database
) -> None:
    notes = asyncio.run(export.posted_notes(session_id))

    assert len(notes) == 1
    note = notes[0]
    assert (note.kind, note.external_id, note.posted_at) == (
        NoteKind.RESOLUTION,
        "88121",
        POSTED_AT,
    )
    assert note.markdown == NOTE
    assert note.where == "Posted to ConnectWise ticket #5123 as note 88121 on 2025-03-04 15:42 UTC."


def test_a_session_without_conclusion_has_no_posted_notes(
    export: SessionExportService, db: Database
) -> None:
    session_id = db.run_sync(
        lambda s: session_repository.create_session(s, user_id="tech", title="Printer").id
    )
    assert asyncio.run(export.posted_notes(session_id)) == []
    markdown = asyncio.run(export.markdown(session_id))
    assert "## Posted notes" not in markdown
    assert "No messages." in markdown and "No fix was suggested." in markdown


def test_export_writes_utf8_atomically(
    export: SessionExportService, session_id: str, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "ticket-5123-outlook-prompts.md"
    target.write_text("an earlier export", encoding="utf-8")

    asyncio.run(export.export_to(session_id, target))

    written = target.read_bytes().decode("utf-8")
    fresh = asyncio.run(export.markdown(session_id))
    # the same document, but for the export time in its third line
    assert written.splitlines()[3:] == fresh.splitlines()[3:]
    assert written.startswith("# Outlook prompts\n\nTicket #5123 · Resolved")
    assert [path.name for path in folder.iterdir()] == [target.name]  # no temp left


def test_a_failed_write_keeps_the_earlier_file_and_says_why(
    export: SessionExportService,
    session_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full disk fails the write before the rename: the old file stays, no temp is left."""
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "export.md"
    target.write_text("an earlier export", encoding="utf-8")

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(UserFacingError, match="No space left on device"):
        asyncio.run(export.export_to(session_id, target))

    assert target.read_text(encoding="utf-8") == "an earlier export"
    assert [path.name for path in folder.iterdir()] == ["export.md"]


def test_a_folder_that_does_not_exist_is_said_plainly(
    export: SessionExportService, session_id: str, tmp_path: Path
) -> None:
    with pytest.raises(UserFacingError, match=r"Could not save the export as .*missing"):
        asyncio.run(export.export_to(session_id, tmp_path / "missing" / "export.md"))


@pytest.mark.parametrize(
    ("title", "ticket", "expected"),
    [
        ("Outlook prompts", "5123", "ticket-5123-outlook-prompts.md"),
        ("#5123 Outlook prompts", "5123", "ticket-5123-outlook-prompts.md"),
        ("Printer: \\\\srv\\queue offline?", None, "printer-srv-queue-offline.md"),
        ("???", None, "session.md"),
    ],
)
def test_default_file_name(title: str, ticket: str | None, expected: str) -> None:
    assert default_file_name(title, ticket) == expected
