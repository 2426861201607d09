"""The linked ticket: Resolve, Escalate, fetch (SPEC §9)."""

from __future__ import annotations

from flowpilot_desktop.conclusion import NoteKind
from ui.actions.registry import ActionSpec
from ui.conclusion.controller import ConclusionController
from ui.session_state import SessionState
from ui.time_entry_controller import TimeEntryController


def ticket_actions(
    conclusion: ConclusionController, time_entries: TimeEntryController, state: SessionState
) -> list[ActionSpec]:
    def has_ticket() -> bool:
        return bool(state.current and state.current.ticket_ref)

    return [
        ActionSpec(
            "ticket.resolve",
            "&Resolve…",
            "Triage",
            lambda: conclusion.start(NoteKind.RESOLUTION),
            ("Ctrl+Shift+D",),
            enabled_when=lambda: state.has_exchange and not state.concluded("resolved"),
            keywords=("close", "resolution note", "connectwise"),
        ),
        ActionSpec(
            "ticket.fetch",
            "&Fetch ticket from ConnectWise",
            "Triage",
            conclusion.fetch_ticket,
            enabled_when=has_ticket,
            keywords=("refresh", "ticket", "connectwise", "snapshot"),
        ),
        ActionSpec(
            "ticket.escalate",
            "&Escalate…",
            "Triage",
            lambda: conclusion.start(NoteKind.ESCALATION),
            ("Ctrl+Shift+E",),
            enabled_when=lambda: (
                state.has_exchange and not state.concluded("resolved", "escalated")
            ),
            keywords=("handoff", "connectwise"),
        ),
        ActionSpec(
            "ticket.log_time",
            "&Log time…",
            "Triage",
            time_entries.log_time,
            enabled_when=has_ticket,
            description="A ConnectWise time entry for the ticket, from the session's work time",
            keywords=("time entry", "hours", "billing", "connectwise", "timesheet"),
        ),
    ]
