"""Creating, renaming, deleting (with undo) and selecting triage sessions, from whichever
surface asked (the menu, the palette, the keys)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.sessions import SessionService, SessionSummary
from ui.ops import TaskRunner, describe_error
from ui.session_state import SessionState
from ui.sessions_dock.dialogs import SessionFormDialog
from ui.sessions_dock.widgets import SessionsPanel
from ui.undo import UndoStack


class SessionsController(QObject):
    sig_message = Signal(str)
    """A short confirmation for the status bar."""
    sig_loaded = Signal(int)
    """The session list finished loading (number of sessions)."""

    def __init__(
        self,
        window: QWidget,
        service: SessionService,
        runner: TaskRunner,
        state: SessionState,
        panel: SessionsPanel,
        undo_stack: UndoStack,
        undo_keys: Callable[[], str],
        focus_composer: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._service = service
        self._runner = runner
        self._state = state
        self._panel = panel
        self._undo_stack = undo_stack
        self._undo_keys = undo_keys  # how Undo is reached now (the shortcut may be rebound)
        self._focus_composer = focus_composer
        panel.sig_selection_changed.connect(state.select)
        panel.sig_search_requested.connect(self.search)
        state.sig_session_changed.connect(self._apply_change)

    # ---- Searching

    def search(self, text: str) -> None:
        """Full-text search, off the GUI thread; only the answer to the latest words counts."""
        self._runner.run(
            self._service.search(text),
            on_success=lambda hits: self._panel.show_search_hits(text, hits),
            title="Could not search the sessions",
            owner=self,
            latest="session-search",
            quiet=True,
        )

    # ---- Loading and selecting

    def load(self, remembered_id: str) -> None:
        """Fill the list (off the GUI thread), then select the session last worked on."""

        def loaded(sessions: list[SessionSummary]) -> None:
            self._panel.set_sessions(sessions)
            if not (remembered_id and self._panel.select_session(remembered_id)):
                self._panel.select_first()
            self.sig_loaded.emit(len(sessions))

        self._runner.run(
            self._service.list_sessions(),
            on_success=loaded,
            title="Could not load the sessions",
            owner=self,
        )

    # ---- Writes

    def new_session(self, *, ticket_first: bool = False) -> None:
        title = "New session for a ticket" if ticket_first else "New triage session"
        dialog = SessionFormDialog(self._window, window_title=title, submit_text="Create")
        self._open_form(dialog, self._service.create, compose_next=True)
        if ticket_first:
            dialog.ticket_edit.setFocus()

    def rename_session(self) -> None:
        current = self._state.current
        if current is None:
            return
        dialog = SessionFormDialog(
            self._window,
            window_title="Rename session",
            title=current.title,
            with_ticket=False,
            submit_text="Rename",
        )
        self._open_form(dialog, lambda title, _ticket: self._service.rename(current.id, title))

    def delete_session(self) -> None:
        current = self._state.current
        if current is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete session",
            f"Delete “{current.title}”?\n\nYou can bring it back with Undo "
            f"({self._undo_keys()}) until FlowPilot closes.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self._window,
        )
        box.setObjectName("confirmDeleteBox")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        yes = box.button(QMessageBox.StandardButton.Yes)
        yes.setText("Delete")
        yes.setObjectName("confirmDeleteYes")
        yes.setAccessibleName("Delete session")
        box.button(QMessageBox.StandardButton.Cancel).setObjectName("confirmDeleteCancel")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: int) -> None:
            if button != QMessageBox.StandardButton.Yes:
                return
            row = self._panel.current_row()
            self._runner.run(
                self._service.delete(current.id),
                on_success=lambda change: self._deleted(change, row),
                title="Could not delete the session",
                owner=self,
            )

        box.finished.connect(answered)
        box.open()

    # ---- Private

    def _open_form(
        self,
        dialog: SessionFormDialog,
        write: Callable[[str, str], Coroutine[Any, Any, SessionChange]],
        *,
        compose_next: bool = False,
    ) -> None:
        """Open the form; each submit runs ``write``; the form closes only once it succeeded.
        ``compose_next``: a new session is made to be talked through, so the composer gets the
        focus; after a rename the list keeps it."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def submitted(title: str, ticket: str) -> None:
            self._runner.run(
                write(title, ticket),
                on_success=lambda change: self._written(dialog, change, compose_next=compose_next),
                on_failure=lambda error: dialog.show_error(describe_error(error)),
                owner=dialog,
            )

        dialog.sig_submitted.connect(submitted)
        dialog.open()

    def _written(
        self, dialog: SessionFormDialog | None, change: SessionChange, *, compose_next: bool = False
    ) -> None:
        if dialog is not None:
            dialog.accept()
        self._panel.select_session(change.session_id)
        if compose_next:
            self._focus_composer()
        else:
            self._panel.focus_list()

    def _deleted(self, change: SessionChange, row: int) -> None:
        title = change.summary.title if change.summary else "Session"
        self._undo_stack.push(f"delete of “{title}”", lambda: self._restore(change.session_id))
        if not self._panel.select_row(max(row, 0)):
            self._state.select(None)
        self.sig_message.emit(f"Deleted “{title}”. Undo: {self._undo_keys()}")

    def _restore(self, session_id: str) -> None:
        self._runner.run(
            self._service.restore(session_id),
            on_success=lambda change: self._written(None, change),
            title="Could not restore the session",
            owner=self,
        )

    def _apply_change(self, change: SessionChange) -> None:
        """Every write to a session keeps its row in the list up to date."""
        if change.summary is None:
            return
        if ChangeKind.SESSION_DELETED in change.kinds:
            self._panel.model.remove(change.session_id)
        else:
            self._panel.model.upsert(change.summary)
