"""Everything a resolution note or an escalation package is written from, gathered in one
read so the note reflects the session's state at one state_version (the web version's bug:
previews kept calling an applied fix "proposed" because the outcome was not in the input).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowpilot_desktop.scrubbing import default_scrubber


@dataclass(frozen=True)
class FixInput:
    title: str
    description: str
    status: str  # proposed | applied_* | dismissed
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
    ticket: dict[str, Any] = field(default_factory=dict)
    facts: tuple[tuple[str, str], ...] = ()  # (text, source_type)
    checks: tuple[CheckInput, ...] = ()  # checks that have a result
    fix: FixInput | None = None
    scripts: tuple[ScriptRun, ...] = ()

    @property
    def problem(self) -> str:
        summary = str(self.ticket.get("summary") or "").strip() or self.title
        description = str(self.ticket.get("description") or "").strip()
        return f"{summary}. {description}".strip() if description else summary

    def redacted(self) -> NoteInputs:
        """The same inputs through the outbound scrubber (credential-shaped text and every
        known secret, with the session's placeholders): nothing secret reaches a note."""
        scrubber = default_scrubber()

        def redact(text: str) -> str:
            return scrubber.scrub(text, scope=self.session_id).text

        def clean(text: str | None) -> str | None:
            return redact(text) if text else text

        fix = self.fix
        return NoteInputs(
            session_id=self.session_id,
            state_version=self.state_version,
            title=redact(self.title),
            ticket={k: clean(v) if isinstance(v, str) else v for k, v in self.ticket.items()},
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
