"""What a Script Builder panel's conversation does, wherever the panel sits (the session's tab,
or the standalone window): ask and stream the answer into it, Stop, and keep what is typed in
its editor."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from flowpilot_desktop.assistant.chat import TurnControl
from flowpilot_desktop.scripts.builder import BuilderTurn, BuilderView, ScriptBuilderService
from ui.ops import TaskRunner, describe_error
from ui.script_builder.panel import ScriptBuilderPanel


class BuilderBinding(QObject):
    sig_changed = Signal(object)
    """The shown builder after an answer or an edit (BuilderView): for the tab's dot."""

    def __init__(
        self, panel: ScriptBuilderPanel, service: ScriptBuilderService, runner: TaskRunner
    ) -> None:
        super().__init__(panel)
        self._panel = panel
        self._service = service
        self._runner = runner
        self._control: TurnControl | None = None
        self._parameters: dict[str, dict[str, str]] = {}  # builder id -> the answer's values
        panel.check_panel.set_runner(runner)  # the check runs off the GUI thread
        panel.sig_send.connect(self.ask)
        panel.sig_stop.connect(self.stop)
        panel.sig_script_edited.connect(self._save)

    def parameters(self, builder_id: str) -> dict[str, str] | None:
        """The parameter values of the builder's latest script answer (None: none came)."""
        return self._parameters.get(builder_id)

    def ask(self, text: str) -> None:
        panel = self._panel
        builder = panel.builder
        if builder is None or self._control is not None:
            return
        control = TurnControl()
        self._control = control
        panel.begin_answer(text)

        def shown_here() -> bool:  # another builder may be shown by the time it answers
            return panel.builder is not None and panel.builder.id == builder.id

        def on_text(chunk: str) -> None:
            if shown_here():
                panel.append_answer(chunk)

        def done(turn: BuilderTurn) -> None:
            self._control = None
            if turn.draft is not None and turn.failure is None:
                self._parameters[builder.id] = turn.draft.parameters
            if shown_here():
                panel.finish_answer(turn.view, turn.draft is not None, turn.failure)
                self.sig_changed.emit(turn.view)

        def failed(error: Exception) -> None:
            self._control = None
            panel.finish_answer(None, False, describe_error(error))

        self._runner.run(
            self._service.ask(builder.id, text, on_text=on_text, control=control),
            on_success=done,
            on_failure=failed,
            owner=self,
        )

    def stop(self) -> None:
        if self._control is not None:
            self._control.stop()

    def _save(self, script: str, language: str) -> None:
        builder = self._panel.builder
        if builder is None:
            return
        self._runner.run(
            self._service.save_script(builder.id, script, language),
            title="Could not keep the script",
            owner=self,
            quiet=True,  # saved while typing: not worth "Working…"
        )
        self.sig_changed.emit(
            BuilderView(
                builder.id,
                builder.origin,
                builder.session_id,
                builder.title,
                builder.messages,
                script,
                language,
                builder.submitted,
            )
        )
