"""The fix's script path and the team's library, whichever surface asked (SPEC §7, §9).

Apply routes: a fix naming a template → the Template Match panel (Script generator dock);
a drafted script without one → the NoTemplate dialog; no script → the template editor in the
Scripts view, as the Script Builder until that issue builds it. Apply itself records nothing.
The Scripts view's queries and writes, the pending-draft badge, and Templatize after a
Resolve live here too. Every write goes through a service; refusals come back as messages
in the surface that asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QInputDialog, QMainWindow, QMessageBox

from flowpilot_desktop.apply_route import ApplyRoute, apply_route
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.scripts.fix_script import Decided, ProposedDraft
from flowpilot_desktop.scripts.library import Rendered, TemplateDraft, TemplateRecord
from flowpilot_desktop.scripts.templates import TemplateError
from flowpilot_desktop.services import AppServices
from flowpilot_desktop.sessions import SessionSummary
from flowpilot_desktop.task_lane_service import FixView, TaskLaneState
from ui.ops import TaskRunner, describe_error
from ui.scripts.generator import GeneratorPanel
from ui.scripts.no_template_dialog import NoTemplateDialog
from ui.scripts.scripts_view import EDIT_TAB, GENERATE_TAB, ScriptsDock, ScriptsView
from ui.scripts.template_match import ScriptGeneratorDock
from ui.scripts.templatize_controller import TemplatizeController
from ui.scripts.templatize_dialog import TemplatizeDialog
from ui.session_state import SessionState

RAN_MESSAGE = "Marked as run. Did it work? Say so in the banner above the composer."
# a deleted session's drafts stop counting until Undo brings the session back
_BADGE_KINDS = frozenset({ChangeKind.SESSION_DELETED, ChangeKind.SESSION_RESTORED})


class ScriptsController(QObject):
    sig_message = Signal(str)
    """A short confirmation for the status bar."""
    sig_failed = Signal(str, str)
    """(title, message) of a failure that has no dialog of its own to show it."""
    sig_build_script = Signal(object, str)
    """(fix, script): the fix's script is to be written in the Script Builder."""
    sig_pending_changed = Signal(int)
    """How many draft templates wait for review."""

    def __init__(
        self,
        window: QMainWindow,
        services: AppServices,
        runner: TaskRunner,
        state: SessionState,
        make_room: Callable[[QDockWidget], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._services = services
        self._runner = runner
        self._state = state
        self._make_room = make_room  # the window lays out its docks
        self.generator_dock = ScriptGeneratorDock(window)
        self.scripts_dock = ScriptsDock(window)
        self.no_template_dialog: NoTemplateDialog | None = None
        self.templatize = TemplatizeController(window, services, runner)
        self.templatize.sig_message.connect(self.sig_message)
        self.templatize.sig_pending_changed.connect(self._pending_changed)
        self.templatize.sig_template_added.connect(self.reload_library)
        self._categories: list[tuple[str, str]] = []  # as the library last loaded them

        panel = self.generator_dock.panel
        panel.sig_ran.connect(self.ran)
        panel.sig_use_draft.connect(self.open_no_template)
        self.scripts_dock.sig_view_built.connect(self._wire_view)
        state.sig_current_session_changed.connect(self._show_session_title)
        state.sig_session_changed.connect(self._session_changed)
        state.sig_lane_changed.connect(self.fix_state)
        # the library loads when it is first looked at, not at start-up
        self.scripts_dock.visibilityChanged.connect(lambda shown: shown and self.reload_library())

    def _wire_view(self, view: ScriptsView) -> None:
        """The library's view, built when first needed (the dock says when)."""
        view.sig_query.connect(self.reload_library)
        view.sig_generate.connect(
            lambda template_id, values: self._generate(view.generator, template_id, values)
        )
        view.sig_review_drafts.connect(self.review_drafts)
        view.new_button.clicked.connect(lambda: self.new_template())
        view.editor.set_check_runner(self._runner)
        view.editor.sig_save.connect(self._save_template)
        view.editor.sig_delete.connect(self._confirm_delete)
        view.editor.sig_new_category.connect(self._ask_category)
        self._show_session_title(self._state.current)

    def _show_session_title(self, summary: SessionSummary | None) -> None:
        if self.scripts_dock.view_built:
            self.scripts_dock.view.set_session_title(summary.title if summary else None)

    # ---- Public: the fix's script path

    def start(self) -> None:
        """The badge once the window runs (one count; the library waits to be shown)."""
        self.refresh_pending()

    def apply(self, fix: FixView) -> None:
        """Apply on the fix (SPEC §7): route, record nothing."""
        route = apply_route(fix.template_id, fix.script)
        if route is ApplyRoute.TEMPLATE_MATCH:
            self.open_generator(fix)
        elif route is ApplyRoute.NO_TEMPLATE:
            self.open_no_template(fix)
        else:
            self.sig_build_script.emit(fix, "")
            self.sig_message.emit(
                "This fix has no drafted script yet: ask the Script Builder for one, or write "
                "it yourself (✎)."
            )

    def toggle_generator(self, fix: FixView | None) -> None:
        """Ctrl+G: show or hide the Script generator of the active fix."""
        dock = self.generator_dock
        if dock.isVisible():
            dock.hide()
            return
        if fix is None:
            dock.panel.show_empty("This session has no suggested fix yet.")
            self._show_dock(dock)
        elif fix.template_id:
            self.open_generator(fix)
        else:
            self.apply(fix)

    def open_generator(self, fix: FixView) -> None:
        dock = self.generator_dock
        if not dock.isVisible():
            self._show_dock(dock)
            self._make_room(dock)
        panel = dock.panel
        if panel.fix is not None and panel.fix.id == fix.id and panel.generator is not None:
            panel.set_fix(fix)
            panel.focus_first()
            return

        def show(template: TemplateRecord | None) -> None:
            if template is None:
                panel.show_missing(fix)
                return
            panel.show_match(fix, template)
            panel.generator.sig_generate.connect(
                lambda template_id, values: self._generate(
                    panel.generator, template_id, values, fix.session_id
                )
            )
            panel.focus_first()

        self._runner.run(
            self._services.templates.get(fix.template_id or ""),
            on_success=show,
            title="Could not load the template",
            owner=self,
        )

    def open_no_template(self, fix: FixView) -> None:
        if self.no_template_dialog is not None:
            self.no_template_dialog.raise_()
            return
        dialog = NoTemplateDialog(fix, self._window, runner=self._runner)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_decided.connect(lambda decision, script: self._decide(dialog, decision, script))
        dialog.finished.connect(lambda _r: setattr(self, "no_template_dialog", None))
        self.no_template_dialog = dialog
        dialog.open()

    def ran(self, fix: FixView) -> None:
        self._runner.run(
            self._services.task_lane.record_run(fix.session_id, fix.id),
            on_success=lambda change: self._ran(change),
            on_failure=lambda error: self.sig_failed.emit("The fix", describe_error(error)),
            owner=self,
        )

    def fix_state(self, state: TaskLaneState | None) -> None:
        """The lane reloaded: keep the generator on the active fix, or empty it."""
        panel = self.generator_dock.panel
        fix = state.active_fix if state is not None else None
        if panel.fix is None:
            return
        if fix is not None and fix.id == panel.fix.id:
            panel.set_fix(fix)
        elif fix is not None and fix.template_id and self.generator_dock.isVisible():
            self.open_generator(fix)
        else:
            panel.show_empty()

    # ---- Public: the library

    def show_library(self) -> None:
        if self.scripts_dock.isVisible():
            self.reload_library()  # otherwise showing it loads it
        self._show_dock(self.scripts_dock)
        self.scripts_dock.view.focus_search()

    def new_template(self, draft: TemplateDraft | None = None) -> None:
        view = self.scripts_dock.view
        self._show_dock(self.scripts_dock)
        view.list.clearSelection()
        view.editor.load(None, [name for _id, name in self._categories], draft)
        view.tabs.setCurrentIndex(EDIT_TAB)
        view.editor.name_edit.setFocus()

    def reload_library(self, select_id: str | None = None) -> None:
        async def load() -> tuple[list[tuple[str, str]], list[TemplateRecord]]:
            view = self.scripts_dock.view
            categories = await self._services.templates.categories()
            search, category = view.search_edit.text(), view.category_filter.currentData()
            return categories, await self._services.templates.templates(search, category)

        def show(result: tuple[list[tuple[str, str]], list[TemplateRecord]]) -> None:
            self._categories, records = result
            view = self.scripts_dock.view
            view.set_categories(self._categories)
            view.set_templates(records, select_id)

        self._runner.run(
            load(), on_success=show, title="Could not load the team's templates", owner=self
        )

    def refresh_pending(self) -> None:
        self.templatize.refresh_pending()

    def review_drafts(self, session_id: str | None = None) -> None:
        """Offer pending drafts (a session's, or all) in the Templatize dialog."""
        self.templatize.review(session_id)

    def after_resolve(self, session_id: str) -> None:
        """After a successful Resolve: the session's drafts, unless the team said not to ask."""
        self.templatize.after_resolve(session_id)

    @property
    def pending_count(self) -> int:
        return self.templatize.pending_count

    @property
    def templatize_dialog(self) -> TemplatizeDialog | None:
        return self.templatize.dialog

    # ---- Private: the fix's script path

    def _generate(
        self,
        generator: GeneratorPanel | None,
        template_id: str,
        values: dict[str, str],
        session_id: str | None = None,
    ) -> None:
        if session_id is None and self._state.current is not None:
            session_id = self._state.current.id

        def done(rendered: Rendered) -> None:
            if generator is not None and shiboken6.isValid(generator):
                generator.set_check_runner(self._runner)
                generator.show_script(rendered.script)
            self.sig_message.emit("Script generated. Copy it, run it, then say whether it worked.")

        def failed(error: Exception) -> None:
            if generator is not None and shiboken6.isValid(generator):
                generator.show_problem(describe_error(error))

        self._runner.run(
            self._services.templates.render(template_id, values, session_id),
            on_success=done,
            on_failure=failed,
            owner=self,
        )

    def _ran(self, _change: SessionChange) -> None:
        self.sig_message.emit(RAN_MESSAGE)

    def _decide(self, dialog: NoTemplateDialog, decision: str, script: str) -> None:
        fix = dialog.fix

        def done(decided: Decided) -> None:
            if shiboken6.isValid(dialog):
                dialog.accept()
            if decision == "build_template":
                self.sig_build_script.emit(fix, decided.script)
                return
            QGuiApplication.clipboard().setText(decided.script)
            self.sig_message.emit(f"The script is on the clipboard. {RAN_MESSAGE}")
            if decision == "draft_template":
                self._propose_draft(fix)

        self._runner.run(
            self._services.fix_scripts.decide(fix.session_id, fix.id, decision, script),
            on_success=done,
            on_failure=lambda error: (
                shiboken6.isValid(dialog) and dialog.show_error(describe_error(error))
            ),
            owner=self,
        )

    def _propose_draft(self, fix: FixView) -> None:
        def done(proposed: ProposedDraft) -> None:
            self.refresh_pending()
            extraction = proposed.extraction
            self.sig_message.emit(
                "A template draft of the script is ready; FlowPilot offers it after Resolve."
                if not extraction.fell_back
                else "The script is kept for templatizing as it ran (no parameters: "
                f"{extraction.reason})."
            )

        self._runner.run(
            self._services.fix_scripts.propose_draft(fix.session_id, fix.id),
            on_success=done,
            title="Could not draft a template from the script",
            owner=self,
        )

    # ---- Private: the library

    def _save_template(self, draft: TemplateDraft, template_id: str | None) -> None:
        editor = self.scripts_dock.view.editor

        def saved(saved_id: str) -> None:
            self.reload_library(saved_id)
            self.scripts_dock.view.tabs.setCurrentIndex(GENERATE_TAB)
            self.sig_message.emit(f"Template “{draft.name.strip()}” saved.")

        def failed(error: Exception) -> None:
            problems = error.problems if isinstance(error, TemplateError) else None
            editor.show_problems(problems or [describe_error(error)])

        self._runner.run(
            self._services.templates.save(draft, template_id),
            on_success=saved,
            on_failure=failed,
            owner=self,
        )

    def _confirm_delete(self, template_id: str) -> None:
        record = self.scripts_dock.view.records.get(template_id)
        name = record.name if record else "this template"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete template",
            f"Delete “{name}” from the team's scripts? Fixes that name it fall back to their "
            "drafted script.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self._window,
        )
        box.setObjectName("confirmDeleteTemplate")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.button(QMessageBox.StandardButton.Yes).setText("Delete")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: int) -> None:
            if button == QMessageBox.StandardButton.Yes:
                self._runner.run(
                    self._services.templates.delete(template_id),
                    on_success=lambda _none: self._deleted(name),
                    title="Could not delete the template",
                    owner=self,
                )

        box.finished.connect(answered)
        box.open()

    def _deleted(self, name: str) -> None:
        self.reload_library()
        self.sig_message.emit(f"Template “{name}” deleted.")

    def _ask_category(self) -> None:
        dialog = QInputDialog(self._window)
        dialog.setObjectName("newCategoryDialog")
        dialog.setWindowTitle("New category")
        dialog.setLabelText("Name of the category:")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.textValueSelected.connect(self._add_category)
        dialog.open()

    def _add_category(self, name: str) -> None:
        editor = self.scripts_dock.view.editor
        library = self._services.templates

        async def add() -> list[tuple[str, str]]:
            await library.add_category(name)
            return await library.categories()

        def show(categories: list[tuple[str, str]]) -> None:
            self._categories = categories
            self.scripts_dock.view.set_categories(categories)
            editor.set_categories([n for _id, n in categories], " ".join(name.split()))

        self._runner.run(
            add(),
            on_success=show,
            on_failure=lambda error: editor.show_problems([describe_error(error)]),
            owner=self,
        )

    # ---- Private: shared

    def _pending_changed(self, count: int) -> None:
        self.scripts_dock.set_pending_drafts(count)
        self.sig_pending_changed.emit(count)

    def _session_changed(self, change: SessionChange) -> None:
        if change.kinds & _BADGE_KINDS:
            self.refresh_pending()

    def _show_dock(self, dock: Any) -> None:
        dock.show()
        dock.raise_()
