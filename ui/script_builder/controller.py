"""The Script Builder tab of the session workspace (SPEC §10): when it is offered, which
builder it shows, and what its buttons do.

It owns the session's ``pilot_inline`` builder (got or created by the service), the fix the
script is for, and Submit. The tab is offered while the active fix needs a drafted script or
after the technician opened it (Apply on such a fix, NoTemplate's *Build a template*, Open in
Script Builder under a code block, Ctrl+Shift+B); it is rebuilt for a new fix, so a script
never lands on the wrong one, and hidden after Submit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from flowpilot_desktop.apply_route import ApplyRoute, apply_route
from flowpilot_desktop.scripts.builder import BuilderView, Submitted
from flowpilot_desktop.scripts.library import TemplateDraft
from flowpilot_desktop.services import AppServices
from flowpilot_desktop.sessions import SessionSummary
from flowpilot_desktop.task_lane_service import FixView, TaskLaneState
from ui.ops import TaskRunner, describe_error
from ui.script_builder.binding import BuilderBinding
from ui.script_builder.panel import AI_MODE, EDITOR_MODE, ScriptBuilderPanel
from ui.session_state import SessionState

TAB_TITLE = "Script Builder"


class Workspace(Protocol):
    """What the builder needs of the chat dock's workspace tabs (ui.chat_dock.ChatDock)."""

    def add_workspace_tab(self, page: QWidget, title: str) -> None: ...
    def offer_workspace_tab(self, page: QWidget, offered: bool) -> None: ...
    def set_workspace_tab_title(self, page: QWidget, title: str) -> None: ...
    def show_workspace_page(self, page: QWidget | None) -> None: ...
    def focus_composer(self) -> None: ...
    @property
    def showing_chat(self) -> bool: ...


class ScriptBuilderController(QObject):
    sig_message = Signal(str)
    """A short confirmation for the status bar."""

    def __init__(
        self,
        parent: QWidget,
        services: AppServices,
        runner: TaskRunner,
        state: SessionState,
        workspace: Workspace,
        save_as_template: Callable[[TemplateDraft], None],
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._state = state
        self._workspace = workspace
        self._save_as_template = save_as_template
        self._parent = parent
        # built when first offered: its code editor loads Scintilla (~70 ms), not start-up work
        self._panel: ScriptBuilderPanel | None = None
        self._session_id: str | None = None  # whose builder the panel shows
        self._fix: FixView | None = None  # the fix Submit writes to
        self._opened: set[str] = set()  # sessions whose builder the technician opened
        self._binding: BuilderBinding | None = None

        state.sig_current_session_changed.connect(self._session_shown)
        state.sig_lane_changed.connect(self._lane_changed)

    # ---- Public

    @property
    def panel(self) -> ScriptBuilderPanel:
        """The tab's page, built on first use."""
        if self._panel is None:
            panel = ScriptBuilderPanel(self._parent)
            self._workspace.add_workspace_tab(panel, TAB_TITLE)
            self._binding = BuilderBinding(panel, self._services.script_builder, self._runner)
            self._binding.sig_changed.connect(self._show_dot)
            panel.sig_submit.connect(self.submit)
            panel.sig_save_template.connect(self._template)
            self._panel = panel
        return self._panel

    @property
    def offered(self) -> bool:
        return (
            self._session_id is not None
            and self._panel is not None
            and self._panel.builder is not None
        )

    def open_for_fix(
        self, fix: FixView | None, script: str = "", language: str | None = None
    ) -> None:
        """Open the builder for the current session's fix (Apply, Build a template, a code
        block); ``script`` goes into the editor."""
        session = self._state.current
        if session is None:
            self.sig_message.emit("Open a session first: the builder writes its fix's script.")
            return
        self._opened.add(session.id)
        self._fix = fix if fix is not None else self._state.active_fix

        def shown(builder: BuilderView) -> None:
            if script.strip():
                self.panel.set_script(
                    script, language or (self._fix.language if self._fix else None)
                )
                self.panel.set_mode(EDITOR_MODE)
            else:
                self.panel.set_mode(
                    EDITOR_MODE if builder.script and not builder.messages else AI_MODE
                )
            self._workspace.show_workspace_page(self.panel)
            self.panel.focus_current()

        self._load(session.id, then=shown)

    def open_code(self, code: str, language: str) -> None:
        """Open in Script Builder, under a chat code block."""
        self.open_for_fix(self._state.active_fix, code, language or None)

    def toggle(self) -> None:
        """Ctrl+Shift+B: between the chat and the builder (opening it when not offered)."""
        if not self._workspace.showing_chat:
            self._workspace.focus_composer()
            return
        session = self._state.current
        if (
            session is not None
            and self._session_id == session.id
            and self.panel.builder is not None
        ):
            self._workspace.show_workspace_page(self.panel)
            self.panel.focus_current()
            return
        self.open_for_fix(self._state.active_fix)

    def stop(self) -> None:
        if self._binding is not None:
            self._binding.stop()

    def submit(self, script: str, language: str) -> None:
        builder, fix = self.panel.builder, self._fix
        if builder is None:
            return
        if fix is None:
            self.panel.show_status(
                "This session has no suggested fix yet, so there is nothing to attach the "
                "script to. Save it as a template, or ask the assistant for a fix first.",
                error=True,
            )
            return
        session_id = builder.session_id

        def done(submitted: Submitted) -> None:
            if session_id is not None:
                self._opened.discard(session_id)
            self._workspace.offer_workspace_tab(self.panel, False)
            self._workspace.focus_composer()
            self.sig_message.emit(
                f"The script is on the fix “{fix.title}”. Apply offers it to run (nothing ran yet)."
            )

        self._runner.run(
            self._services.script_builder.submit(
                builder.id,
                fix.id,
                script,
                language,
                self._binding.parameters(builder.id) if self._binding else None,
            ),
            on_success=done,
            on_failure=lambda error: self.panel.show_status(describe_error(error), error=True),
            owner=self,
        )

    # ---- Private

    def _needs_builder(self, lane: TaskLaneState | None) -> bool:
        fix = lane.active_fix if lane is not None else None
        return (
            fix is not None
            and fix.status == "proposed"
            and apply_route(fix.template_id, fix.script) is ApplyRoute.SCRIPT_BUILDER
        )

    def _session_shown(self, summary: SessionSummary | None) -> None:
        self.stop()
        self._session_id = None
        self._fix = None
        if self._panel is not None:
            self._panel.builder = None
            self._workspace.offer_workspace_tab(self._panel, False)
        if summary is not None:
            self._lane_changed(self._state.lane)

    def _lane_changed(self, lane: TaskLaneState | None) -> None:
        session = self._state.current
        if session is None or lane is None or lane.session_id != session.id:
            return
        fix = lane.active_fix
        wanted = self._needs_builder(lane) or session.id in self._opened
        if not wanted:
            if self._panel is not None:
                if self._session_id == session.id:
                    self._workspace.offer_workspace_tab(self._panel, False)
                self._panel.builder = None
            self._session_id = None
            return
        fix_changed = (self._fix.id if self._fix else None) != (fix.id if fix else None)
        self._fix = fix
        if self._session_id != session.id or self.panel.builder is None or fix_changed:
            self._load(session.id)  # rebuilt for the new fix
        else:
            self.panel.set_target(self._target())

    def _load(self, session_id: str, then: Callable[[BuilderView], None] | None = None) -> None:
        def shown(builder: BuilderView) -> None:
            current = self._state.current
            if current is None or current.id != session_id:
                return
            self._session_id = session_id
            shown_already = self.panel.builder is not None and self.panel.builder.id == builder.id
            if shown_already:  # what is in the editor may be newer than the row: keep it
                self.panel.builder = builder
                self.panel.set_target(self._target())
            else:
                self.panel.show_builder(builder, self._target())
            self._workspace.offer_workspace_tab(self.panel, True)
            self._show_dot(builder)
            if then is not None:
                then(builder)

        self._runner.run(
            self._services.script_builder.inline(session_id),
            on_success=shown,
            title="Could not open the Script Builder",
            owner=self,
        )

    def _target(self) -> str:
        fix = self._fix
        if fix is None:
            return "No suggested fix yet: the script can be saved as a template."
        return f"Script for the fix: {fix.title}"

    def _show_dot(self, builder: BuilderView) -> None:
        """The dot on the tab: a draft in progress (something asked or written)."""
        busy = bool(builder.messages or builder.script.strip())
        self._workspace.set_workspace_tab_title(self.panel, TAB_TITLE + (" ●" if busy else ""))

    def _template(self, script: str, language: str) -> None:
        fix, session = self._fix, self._state.current
        self._save_as_template(
            TemplateDraft(
                name=fix.title if fix else "New script",
                category="",
                description=(fix.description if fix else "")[:300],
                language=language,
                body=script,
                parameters=[],
                source_session_id=session.id if session else None,
                source_ticket_ref=session.ticket_ref if session else None,
            )
        )
