"""Sessions: create, rename, delete, move through the list, undo."""

from __future__ import annotations

from ui.actions.registry import ActionSpec
from ui.session_state import SessionState
from ui.sessions_dock.controller import SessionsController
from ui.sessions_dock.widgets import SessionsPanel
from ui.undo import UndoStack


def session_actions(
    sessions: SessionsController,
    panel: SessionsPanel,
    state: SessionState,
    undo_stack: UndoStack,
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
    ]
