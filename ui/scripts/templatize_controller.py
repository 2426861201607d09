"""Templatize (SPEC §9): the scripts a session drafted, offered one at a time after Resolve or
when the technician asks; how many wait for review (the Scripts badge)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from flowpilot_desktop.scripts.drafts import DraftRecord
from flowpilot_desktop.services import AppServices
from ui.ops import TaskRunner, describe_error
from ui.scripts.templatize_dialog import TemplatizeDialog


class TemplatizeController(QObject):
    sig_message = Signal(str)
    """A short confirmation for the status bar."""
    sig_pending_changed = Signal(int)
    """How many draft templates wait for review."""
    sig_template_added = Signal(str)
    """A draft became a team template (its id)."""

    def __init__(self, window: QWidget, services: AppServices, runner: TaskRunner) -> None:
        super().__init__(window)
        self._window = window
        self._services = services
        self._runner = runner
        self.pending_count = 0
        self.dialog: TemplatizeDialog | None = None

    def refresh_pending(self) -> None:
        self._runner.run(
            self._services.drafts.pending_count(),
            on_success=self._set_pending,
            title="Could not count the drafted scripts",
            owner=self,
        )

    def review(self, session_id: str | None = None) -> None:
        """Offer pending drafts (a session's, or all) in the Templatize dialog."""
        if self.dialog is not None:
            self.dialog.raise_()
            return
        self._offer_drafts(self._services.drafts.pending(session_id))

    def after_resolve(self, session_id: str) -> None:
        """After a successful Resolve: the session's drafts, unless the team said not to ask."""

        async def wanted() -> list[DraftRecord]:
            if not await self._services.drafts.prompt_enabled():
                return []
            return await self._services.drafts.pending(session_id)

        self._offer_drafts(wanted())

    # ---- Private: drafts and Templatize

    def _set_pending(self, count: int) -> None:
        self.pending_count = count
        self.sig_pending_changed.emit(count)

    def _offer_drafts(self, drafts: Awaitable[list[DraftRecord]]) -> None:
        """Templatize the drafts, if any, with the categories to file them under."""

        async def load() -> tuple[list[DraftRecord], list[tuple[str, str]]]:
            found = await drafts
            return found, (await self._services.templates.categories() if found else [])

        self._runner.run(
            load(),
            on_success=lambda loaded: self._open_templatize(*loaded),
            title="Could not load the drafted scripts",
            owner=self,
        )

    def _open_templatize(
        self, drafts: list[DraftRecord], categories: list[tuple[str, str]]
    ) -> None:
        if not drafts or self.dialog is not None:
            return
        dialog = TemplatizeDialog(drafts, [name for _id, name in categories], self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_accept.connect(
            lambda draft_id, edits: self._accept_draft(dialog, draft_id, edits)
        )
        dialog.sig_skip.connect(lambda draft_id: self._skip_draft(dialog, draft_id))
        dialog.sig_dont_ask.connect(self._set_prompt)
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def _accept_draft(self, dialog: TemplatizeDialog, draft_id: str, edits: Any) -> None:
        def done(template_id: str) -> None:
            self.refresh_pending()
            self.sig_template_added.emit(template_id)
            self.sig_message.emit(f"“{edits.name.strip()}” is now a team template.")
            if shiboken6.isValid(dialog):
                dialog.done_with_current()

        self._draft_write(dialog, self._services.drafts.accept(draft_id, edits), done)

    def _skip_draft(self, dialog: TemplatizeDialog, draft_id: str) -> None:
        def done(_none: None) -> None:
            self.refresh_pending()
            if shiboken6.isValid(dialog):
                dialog.done_with_current()

        self._draft_write(dialog, self._services.drafts.reject(draft_id), done)

    def _draft_write(self, dialog: TemplatizeDialog, coro: Any, done: Any) -> None:
        self._runner.run(
            coro,
            on_success=done,
            on_failure=lambda error: (
                shiboken6.isValid(dialog) and dialog.show_error(describe_error(error))
            ),
            owner=self,
        )

    def _set_prompt(self, dont_ask: bool) -> None:
        self._runner.run(
            self._services.drafts.set_prompt_enabled(not dont_ask),
            on_success=lambda _none: self.sig_message.emit(
                "FlowPilot won't offer scripts after Resolve any more (Settings turns it back on)."
                if dont_ask
                else "FlowPilot offers the session's scripts after Resolve again."
            ),
            title="Could not save the preference",
            owner=self,
        )
