"""A session as one Markdown document, and the notes it posted, read back (issue 19).

The export is for people outside FlowPilot (a colleague, a ticket attachment, an archive), so
every text in it passes the one scrubber with the session's scope: a credential typed, pasted
or fetched anywhere in the session leaves as its placeholder, and a placeholder stays one.
The database is only read here.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from flowpilot_desktop.assistant.task_lane import stored_task_lane
from flowpilot_desktop.conclusion.posting import note_key
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.fix_outcome import FixStatus
from flowpilot_desktop.scrubbing import Scrubber, default_scrubber
from flowpilot_desktop.tickets import kept_snapshot
from psa.provider import NoteKind, TicketSnapshot
from storage.database import Database
from storage.models import SessionSuggestedFix, utcnow
from storage.repositories import facts, fixes, messages, outbox
from storage.repositories import sessions as session_repository

NOTE_TITLES = {NoteKind.RESOLUTION: "Resolution note", NoteKind.ESCALATION: "Escalation package"}
SESSION_STATUS_WORDS = {
    "active": "Active",
    "paused": "Paused",
    "resolved": "Resolved",
    "escalated": "Escalated",
    "resolved_local": "Resolved (no ticket linked)",
    "escalated_local": "Escalated (no ticket linked)",
}
FIX_STATUS_WORDS = {
    FixStatus.PROPOSED: "Proposed",
    FixStatus.APPLIED_SUCCESS: "Worked",
    FixStatus.APPLIED_FAILED: "Didn't work",
    FixStatus.APPLIED_PARTIAL: "Partly applied",
    FixStatus.APPLIED_PENDING: "Still being checked",
    FixStatus.DISMISSED: "Dismissed",
}
FACT_SOURCE_WORDS = {
    "ai_promote": "the assistant",
    "engineer_note": "the technician's note",
    "question": "a question's answer",
    "diagnostic_check": "a diagnostic check",
}
ROLE_WORDS = {"user": "Technician", "assistant": "Assistant"}
FILE_NAME_MAX = 60  # characters of the title kept in the suggested file name


def when(moment: datetime | None) -> str:
    """A stored UTC time as the export and the posted-notes dialog write it."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else ""


@dataclass(frozen=True)
class PostedNote:
    """A note a concluded session ended with: what was (or is to be) posted to the ticket."""

    kind: NoteKind
    markdown: str  # scrubbed
    ticket_ref: str | None
    external_id: str | None  # the ConnectWise note id, once posted
    posted_at: datetime | None
    problem: str | None = None  # why it is not posted (the outbox's last error), scrubbed

    @property
    def title(self) -> str:
        return NOTE_TITLES[self.kind]

    @property
    def posted(self) -> bool:
        return self.posted_at is not None

    @property
    def where(self) -> str:
        """Where the note went, in one sentence."""
        if self.posted:
            note = f"note {self.external_id}" if self.external_id else "a note"
            return (
                f"Posted to ConnectWise ticket #{self.ticket_ref} as {note} "
                f"on {when(self.posted_at)}."
            )
        if self.ticket_ref is None:
            return "Not posted: no ticket was linked, so it is kept here only."
        if self.problem:
            return f"Not posted to ticket #{self.ticket_ref} yet: {self.problem}"
        return f"Not posted to ticket #{self.ticket_ref} yet: waiting to be sent."


def default_file_name(title: str, ticket_ref: str | None) -> str:
    """``ticket-5123-outlook-prompts.md``: the ticket and the title, safe on every system."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:FILE_NAME_MAX].strip("-")
    ticket = re.sub(r"[^0-9A-Za-z]+", "", ticket_ref or "")
    parts = [f"ticket-{ticket}" if ticket else "", slug]
    if ticket and (slug == ticket or slug.startswith(f"{ticket}-")):
        parts[1] = slug.removeprefix(ticket).strip("-")  # "#5123 Outlook" names it once
    name = "-".join(part for part in parts if part)
    return f"{name}.md" if name else "session.md"


class SessionExportService:
    """Reads a session in one unit of work and writes it out as Markdown, scrubbed."""

    def __init__(self, database: Database, scrubber: Scrubber | None = None) -> None:
        self._database = database
        self._scrubber = scrubber or default_scrubber()

    async def markdown(self, session_id: str) -> str:
        """The whole session as one Markdown document (deleted messages left out)."""
        record = await self._database.run(lambda s: _read(s, session_id))
        return await asyncio.to_thread(self._compose, record)

    async def posted_notes(self, session_id: str) -> list[PostedNote]:
        """The resolution note and escalation package the session ended with, scrubbed."""
        record = await self._database.run(lambda s: _read_notes(s, session_id))
        scrub = self._scrub_for(session_id)
        return await asyncio.to_thread(lambda: [_scrubbed_note(note, scrub) for note in record])

    async def export_to(self, session_id: str, path: Path) -> Path:
        """Write the session's Markdown to ``path`` (UTF-8), all or nothing: a full disk or a
        folder without write access leaves any earlier file as it was and says so."""
        text = await self.markdown(session_id)
        await asyncio.to_thread(write_atomically, path, text)
        return path

    # ---- Private

    def _scrub_for(self, session_id: str) -> Callable[[str], str]:
        return lambda text: self._scrubber.scrub(text, scope=session_id).text if text else ""

    def _compose(self, record: _SessionRecord) -> str:
        # Numbering continues after the placeholders the stored texts already hold, as the
        # chat's does, so a new value never takes a number that meant another.
        self._scrubber.seed(record.session_id, record.all_message_texts)
        return _compose_markdown(record, self._scrub_for(record.session_id))


def write_atomically(path: Path, text: str) -> None:
    """``text`` into ``path`` through a temporary file beside it and one rename."""
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
        )
    except OSError as error:
        raise _write_error(target, error) from error
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise _write_error(target, error) from error


def _write_error(path: Path, error: OSError) -> UserFacingError:
    reason = error.strerror or str(error)
    return UserFacingError(f"Could not save the export as {path}: {reason}.")


# ---- Reading (one unit of work: the session at one state_version)


@dataclass(frozen=True)
class _MessageRecord:
    role: str
    content: str
    created_at: datetime
    stopped: bool
    error: str | None
    attachment_names: tuple[str, ...]


@dataclass(frozen=True)
class _FixRecord:
    title: str
    description: str
    confidence: int
    script: str | None
    language: str | None
    status: FixStatus
    decision: str | None
    applied_at: datetime | None
    verified_at: datetime | None
    partial_notes: str | None
    failure_reason: str | None
    pending_reason: str | None
    superseded_at: datetime | None


@dataclass(frozen=True)
class _SessionRecord:
    session_id: str
    title: str
    ticket_ref: str | None
    status: str
    ticket: TicketSnapshot | None
    conversation: tuple[_MessageRecord, ...]
    all_message_texts: tuple[str, ...]
    facts: tuple[tuple[str, str], ...]  # (text, source type)
    questions: tuple[dict[str, Any], ...]
    checks: tuple[dict[str, Any], ...]
    fixes: tuple[_FixRecord, ...]  # newest first; the active one (if any) leads
    notes: tuple[PostedNote, ...]


def _read(s: Session, session_id: str) -> _SessionRecord:
    summary = session_repository.get_session_summary(s, session_id)
    lane = stored_task_lane(session_repository.get_task_lane(s, session_id)) or {}
    return _SessionRecord(
        session_id=session_id,
        title=summary.title,
        ticket_ref=summary.ticket_ref,
        status=summary.status,
        ticket=kept_snapshot(session_repository.get_ticket_snapshot(s, session_id)),
        conversation=tuple(
            _MessageRecord(
                m.role,
                m.content,
                m.created_at,
                m.stopped,
                m.error,
                tuple(str(a.get("name") or "attachment") for a in m.attachments or ()),
            )
            for m in messages.list_messages(s, session_id)
        ),
        all_message_texts=tuple(messages.message_texts(s, session_id)),
        facts=tuple((f.text, f.source_type) for f in facts.live_facts(s, session_id)),
        questions=tuple(dict(q) for q in lane.get("questions") or ()),
        checks=tuple(dict(c) for c in lane.get("actions") or ()),
        fixes=tuple(
            _fix_record(f)
            for f in sorted(
                fixes.fix_history(s, session_id), key=lambda f: f.superseded_at is not None
            )
        ),
        notes=tuple(_read_notes(s, session_id)),
    )


def _fix_record(fix: SessionSuggestedFix) -> _FixRecord:
    return _FixRecord(
        fix.title,
        fix.description,
        fix.confidence,
        fix.edited_script or fix.ai_drafted_script,
        fix.script_language,
        fix.status,
        fix.user_decision,
        fix.applied_at,
        fix.verified_at,
        fix.partial_notes,
        fix.failure_reason,
        fix.pending_reason,
        fix.superseded_at,
    )


def _read_notes(s: Session, session_id: str) -> list[PostedNote]:
    conclusion = session_repository.get_conclusion(s, session_id)
    jobs = {job.idempotency_key: job for job in outbox.session_jobs(s, session_id)}
    notes = []
    # in the order they happen: a session escalated first may be resolved later
    for kind, text, posted_at, external_id in (
        (
            NoteKind.ESCALATION,
            conclusion.escalation_package,
            conclusion.escalation_posted_at,
            conclusion.escalation_external_id,
        ),
        (
            NoteKind.RESOLUTION,
            conclusion.resolution_note,
            conclusion.resolution_posted_at,
            conclusion.resolution_external_id,
        ),
    ):
        if text is None:
            continue
        job = jobs.get(note_key(session_id, kind))
        problem = job.last_error if job is not None and job.state != "done" else None
        notes.append(PostedNote(kind, text, conclusion.ticket_ref, external_id, posted_at, problem))
    return notes


def _scrubbed_note(note: PostedNote, scrub: Callable[[str], str]) -> PostedNote:
    return PostedNote(
        note.kind,
        scrub(note.markdown),
        note.ticket_ref,
        note.external_id,
        note.posted_at,
        scrub(note.problem) if note.problem else None,
    )


# ---- Composing


def _compose_markdown(record: _SessionRecord, scrub: Callable[[str], str]) -> str:
    """The document; ``scrub`` is applied to every text that came from outside FlowPilot."""
    sections = [
        _header(record, scrub),
        _ticket_section(record.ticket, scrub),
        _conversation_section(record.conversation, scrub),
        _facts_section(record.facts, scrub),
        _questions_section(record.questions, scrub),
        _checks_section(record.checks, scrub),
        _fixes_section(record.fixes, scrub),
        _notes_section([_scrubbed_note(note, scrub) for note in record.notes]),
    ]
    return "\n\n".join(section for section in sections if section).rstrip() + "\n"


def _header(record: _SessionRecord, scrub: Callable[[str], str]) -> str:
    ticket = f"Ticket #{record.ticket_ref} · " if record.ticket_ref else ""
    status = SESSION_STATUS_WORDS.get(record.status, record.status)
    return (
        f"# {_one_line(scrub(record.title))}\n\n"
        f"{ticket}{status} · exported from FlowPilot Desktop on {when(utcnow())}"
    )


def _ticket_section(ticket: TicketSnapshot | None, scrub: Callable[[str], str]) -> str:
    if ticket is None:
        return ""
    rows = [
        ("Ticket", f"#{ticket.ticket_id}" if ticket.ticket_id is not None else ""),
        ("Summary", ticket.summary),
        ("Company", ticket.company),
        ("Contact", ticket.contact),
        ("Board", ticket.board),
        ("Status", ticket.status + (" (closed)" if ticket.closed else "")),
    ]
    lines = [f"- **{name}:** {_one_line(scrub(value))}" for name, value in rows if value.strip()]
    if ticket.fetched_at:
        lines.append(f"- **Fetched:** {ticket.fetched_at}")
    description = scrub(ticket.description.strip())
    if description:
        lines += ["", "### Description", "", nested_headings(description, 3)]
    return "## Ticket\n\n" + "\n".join(lines)


def _conversation_section(
    conversation: tuple[_MessageRecord, ...], scrub: Callable[[str], str]
) -> str:
    if not conversation:
        return "## Conversation\n\nNo messages."
    parts = ["## Conversation"]
    for message in conversation:
        who = ROLE_WORDS.get(message.role, message.role.title())
        parts.append(f"### {who} · {when(message.created_at)}")
        text = scrub(message.content.strip())
        if text:
            parts.append(nested_headings(text, 3))
        if message.attachment_names:
            names = ", ".join(_one_line(scrub(name)) for name in message.attachment_names)
            parts.append(f"*Attached: {names}*")
        if message.stopped:
            parts.append("*(Stopped before the end.)*")
        if message.error:
            parts.append(f"*(This reply failed: {_one_line(scrub(message.error))})*")
    return "\n\n".join(parts)


def _facts_section(known: tuple[tuple[str, str], ...], scrub: Callable[[str], str]) -> str:
    if not known:
        return "## What we know\n\nNothing confirmed yet."
    lines = [
        f"- {_one_line(scrub(text))} *(from {FACT_SOURCE_WORDS.get(source, source)})*"
        for text, source in known
    ]
    return "## What we know\n\n" + "\n".join(lines)


def _questions_section(questions: tuple[dict[str, Any], ...], scrub: Callable[[str], str]) -> str:
    if not questions:
        return ""
    items = []
    for question in questions:
        lines = [f"- **{_one_line(scrub(str(question.get('text') or '')))}**"]
        answer = str(question.get("answer") or "").strip()
        lines.append(_indented(f"Answer: {scrub(answer)}" if answer else "Not answered."))
        items.append("\n".join(lines))
    return "## Questions\n\n" + "\n".join(items)


def _checks_section(checks: tuple[dict[str, Any], ...], scrub: Callable[[str], str]) -> str:
    if not checks:
        return ""
    items = []
    for check in checks:
        lines = [f"- **{_one_line(scrub(str(check.get('label') or '')))}**"]
        command = str(check.get("command") or "").strip()
        if command:
            lines.append(_indented(_fenced(scrub(command), None)))
        result = str(check.get("result") or "").strip()
        lines.append(_indented(f"Result: {scrub(result)}" if result else "Not run yet."))
        items.append("\n".join(lines))
    return "## Diagnostic checks\n\n" + "\n".join(items)


def _fixes_section(all_fixes: tuple[_FixRecord, ...], scrub: Callable[[str], str]) -> str:
    if not all_fixes:
        return "## Suggested fix\n\nNo fix was suggested."
    parts = ["## Suggested fix" if len(all_fixes) == 1 else "## Suggested fixes"]
    for fix in all_fixes:
        earlier = " (earlier suggestion)" if fix.superseded_at is not None else ""
        parts.append(f"### {_one_line(scrub(fix.title))}{earlier}")
        parts.append(_outcome_lines(fix, scrub))
        description = scrub(fix.description.strip())
        if description:
            parts.append(nested_headings(description, 3))
        if fix.script:
            parts.append(_fenced(scrub(fix.script), fix.language))
    return "\n\n".join(parts)


def _outcome_lines(fix: _FixRecord, scrub: Callable[[str], str]) -> str:
    status = FIX_STATUS_WORDS.get(fix.status, str(fix.status))
    if fix.status is FixStatus.PROPOSED and fix.applied_at is not None:
        status = "Applied, outcome not recorded"
    lines = [f"- **Outcome:** {status}", f"- **Confidence:** {fix.confidence}%"]
    if fix.applied_at is not None:
        lines.append(f"- **Applied:** {when(fix.applied_at)}")
    if fix.verified_at is not None:
        lines.append(f"- **Verified:** {when(fix.verified_at)}")
    for name, value in (
        ("Partly applied", fix.partial_notes),
        ("Why it failed", fix.failure_reason),
        ("Waiting for", fix.pending_reason),
    ):
        if value and value.strip():
            lines.append(f"- **{name}:** {_one_line(scrub(value.strip()))}")
    if fix.superseded_at is not None:
        lines.append(f"- **Replaced:** {when(fix.superseded_at)}")
    return "\n".join(lines)


def _notes_section(notes: list[PostedNote]) -> str:
    if not notes:
        return ""
    parts = ["## Posted notes"]
    for note in notes:
        parts += [f"### {note.title}", f"*{note.where}*", nested_headings(note.markdown.strip(), 3)]
    return "\n\n".join(parts)


# ---- Markdown helpers

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")


def nested_headings(markdown: str, levels: int) -> str:
    """Outside text's headings moved ``levels`` down (at most ######), so a note's
    "## Problem" sits under the export's own heading instead of breaking its outline.
    Lines inside fenced code are left as written."""
    lines = []
    fence = ""
    for line in markdown.splitlines():
        opening = _FENCE_OPEN.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
        elif opening:
            fence = opening.group(1)
        else:
            line = _HEADING.sub(
                lambda m: m.group(1) + "#" * min(6, len(m.group(2)) + levels), line, count=1
            )
        lines.append(line)
    return "\n".join(lines)


def _fenced(code: str, language: str | None) -> str:
    """``code`` in a fence longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language or ''}\n{code.rstrip()}\n{fence}"


def _indented(text: str) -> str:
    """``text`` as the continuation of a list item."""
    return "\n".join(f"  {line}" if line.strip() else "" for line in text.splitlines())


def _one_line(text: str) -> str:
    return " ".join(text.split())
