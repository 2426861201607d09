"""Sessions: create, rename, delete, move through the list, undo, export."""

from __future__ import annotations

from ui.actions.registry import ActionSpec
from ui.export_controller import ExportController
from ui.session_state import SessionState
from ui.sessions_dock.controller import SessionsController
from ui.sessions_dock.widgets import SessionsPanel
from ui.undo import UndoStack


def session_actions(
    sessions: SessionsController,
    panel: SessionsPanel,
    state: SessionState,
    undo_stack: UndoStack,
    exports: ExportController,
) -> list[ActionSpec]:
    def has_session() -> bool:
        return state.current is not None

    return [
        ActionSpec(
            "session.new",
            "&New session…",
            "Sessions",
            sessions.new_session,
            ("Ctrl+N",),
            description="Start a triage session, optionally for a ticket",
            keywords=("ticket", "create", "start"),
        ),
        ActionSpec(
            "session.new_for_ticket",
            "New session for a &ticket…",
            "Sessions",
            lambda: sessions.new_session(ticket_first=True),
            ("Ctrl+Shift+T",),
            description="Type a ConnectWise ticket number; its summary is fetched",
            keywords=("connectwise", "link", "fetch"),
        ),
        ActionSpec(
            "session.rename",
            "&Rename session…",
            "Sessions",
            sessions.rename_session,
            ("F2",),
            enabled_when=has_session,
        ),
        ActionSpec(
            "session.delete",
            "&Delete session…",
            "Sessions",
            sessions.delete_session,
            ("Del",),
            enabled_when=has_session,
            keywords=("remove",),
        ),
        ActionSpec(
            "edit.undo",
            "&Undo",
            "Edit",
            undo_stack.undo,
            ("Ctrl+Z",),
            enabled_when=lambda: undo_stack.can_undo,
            description=(
                "Bring back the last deleted session, fact or message, or take back the last "
                "fix outcome or dismissal"
            ),
            keywords=("restore", "undo", "outcome", "dismiss"),
        ),
        ActionSpec(
            "session.next",
            "Ne&xt session",
            "Sessions",
            lambda: panel.select_relative(1),
            ("Ctrl+PgDown",),
        ),
        ActionSpec(
            "session.previous",
            "&Previous session",
            "Sessions",
            lambda: panel.select_relative(-1),
            ("Ctrl+PgUp",),
        ),
        ActionSpec(
            "session.export",
            "&Export session as Markdown…",
            "Sessions",
            exports.export_markdown,
            ("Ctrl+Shift+S",),
            enabled_when=has_session,
            description=(
                "Save the conversation, facts, checks, fix and posted notes as a Markdown file "
                "(secrets masked)"
            ),
            keywords=("save", "markdown", "file", "archive"),
        ),
        ActionSpec(
            "session.copy_markdown",
            "&Copy session as Markdown",
            "Sessions",
            exports.copy_markdown,
            enabled_when=has_session,
            description="Copy the whole session as Markdown (secrets masked)",
            keywords=("clipboard", "export", "markdown"),
        ),
        ActionSpec(
            "session.posted_notes",
            "P&osted notes…",
            "Sessions",
            exports.show_posted_notes,
            enabled_when=lambda: state.concluded("resolved", "escalated"),
            description="Read and copy the resolution note or escalation package of this session",
            keywords=("resolution", "escalation", "connectwise", "note", "read back"),
        ),
    ]
