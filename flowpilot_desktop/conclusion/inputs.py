"""Everything a resolution note or an escalation package is written from, gathered in one
read so the note reflects the session's state at one state_version (the web version's bug:
previews kept calling an applied fix "proposed" because the outcome was not in the input).
"""

from __future__ import annotations

from dataclasses import dataclass

from flowpilot_desktop.errors import end_sentence
from flowpilot_desktop.fix_outcome import FixStatus
from flowpilot_desktop.scrubbing import default_scrubber
from psa.provider import TicketSnapshot


@dataclass(frozen=True)
class FixInput:
    title: str
    description: str
    status: FixStatus
    applied: bool
    decision: str | None = None
    partial_notes: str | None = None
    failure_reason: str | None = None
    pending_reason: str | None = None


@dataclass(frozen=True)
class CheckInput:
    label: str
    result: str


@dataclass(frozen=True)
class ScriptRun:
    """A script generated for the session, sensitive values already masked."""

    name: str
    script: str


@dataclass(frozen=True)
class NoteInputs:
    session_id: str
    state_version: int
    title: str
    ticket: TicketSnapshot | None = None  # as last fetched; None before the first fetch
    facts: tuple[tuple[str, str], ...] = ()  # (text, source_type)
    checks: tuple[CheckInput, ...] = ()  # checks that have a result
    fix: FixInput | None = None
    scripts: tuple[ScriptRun, ...] = ()

    @property
    def problem(self) -> str:
        ticket = self.ticket or TicketSnapshot()
        summary = ticket.summary.strip() or self.title
        description = ticket.description.strip()
        return f"{end_sentence(summary)} {description}" if description else summary

    def redacted(self) -> NoteInputs:
        """The same inputs through the outbound scrubber (credential-shaped text and every
        known secret, with the session's placeholders): nothing secret reaches a note."""
        scrubber = default_scrubber()

        def redact(text: str) -> str:
            return scrubber.scrub(text, scope=self.session_id).text

        def clean(text: str | None) -> str | None:
            return redact(text) if text else text

        def redact_text(text: str) -> str:
            return redact(text) if text else text

        fix = self.fix
        return NoteInputs(
            session_id=self.session_id,
            state_version=self.state_version,
            title=redact(self.title),
            ticket=None if self.ticket is None else self.ticket.map_text(redact_text),
            facts=tuple((redact(text), source) for text, source in self.facts),
            checks=tuple(CheckInput(redact(c.label), redact(c.result)) for c in self.checks),
            fix=None
            if fix is None
            else FixInput(
                redact(fix.title),
                redact(fix.description),
                fix.status,
                fix.applied,
                fix.decision,
                clean(fix.partial_notes),
                clean(fix.failure_reason),
                clean(fix.pending_reason),
            ),
            scripts=tuple(ScriptRun(redact(s.name), redact(s.script)) for s in self.scripts),
        )
