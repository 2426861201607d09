"""The Template Match panel (SPEC §7), in the Script generator dock: the active fix names one
of the team's templates. The generator is pre-filled with the values the assistant drafted
from the session; Generate and Copy record no run — only "✓ I ran this" stamps applied_at.

A template that no longer exists is said plainly, and the fix's drafted script (if any) is
offered instead through the NoTemplate choice.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop import fix_outcome
from flowpilot_desktop.scripts.dangers import danger_findings
from flowpilot_desktop.scripts.library import TemplateRecord
from flowpilot_desktop.task_lane_service import FixView
from ui.safe_text import plain_label
from ui.scripts.generator import GeneratorPanel
from ui.scripts.script_check_panel import confirm_dangerous
from ui.widgets.editing import retire
from ui.widgets.labels import meta_label

EMPTY_TEXT = (
    "No team template matches the suggested fix of this session. Apply the fix (or press "
    "Ctrl+G) when it names one."
)


class TemplateMatchPanel(QWidget):
    sig_ran = Signal(object)
    """The technician ran the generated script (a FixView): stamp applied_at."""
    sig_use_draft = Signal(object)
    """The template is gone: open the fix's drafted script instead (a FixView)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("templateMatchPanel")
        self.setAccessibleName("Script generator for the suggested fix")
        self.fix: FixView | None = None
        self.generator: GeneratorPanel | None = None
        self.ran_button: QPushButton | None = None
        self._layout = QVBoxLayout(self)
        self._body: QWidget | None = None
        self.show_empty()

    def show_empty(self, text: str = EMPTY_TEXT) -> None:
        self.fix = None
        body = self._replace_body()
        label = plain_label(text, body, "templateMatchEmpty")
        label.setProperty("role", "empty-state")
        body.layout().addWidget(label)
        body.layout().addStretch(1)

    def show_match(self, fix: FixView, template: TemplateRecord) -> None:
        self.fix = fix
        body = self._replace_body()
        layout = body.layout()
        layout.addWidget(
            meta_label(
                f"For the suggested fix “{fix.title}”. Values tagged “from session” were "
                "drafted by the assistant; check them before generating.",
                body,
                "templateMatchIntro",
            )
        )
        self.generator = GeneratorPanel(template, fix.parameters, body)
        layout.addWidget(self.generator, 1)
        self.ran_button = QPushButton("✓ I ran this", body)
        self.ran_button.setObjectName("templateRan")
        self.ran_button.setAccessibleName("I ran the generated script")
        self.ran_button.clicked.connect(lambda: self._confirm_ran(fix))
        self.generator.actions_row.insertWidget(2, self.ran_button)
        self.set_fix(fix)

    def show_missing(self, fix: FixView) -> None:
        """The fix names a template that is no longer in the library."""
        self.fix = fix
        body = self._replace_body()
        layout = body.layout()
        has_script = bool((fix.script or "").strip())
        message = plain_label(
            "The team template this fix names no longer exists (it was deleted). "
            + (
                "The assistant's drafted script is still here: use it instead."
                if has_script
                else "The fix has no drafted script either: ask the assistant to draft one."
            ),
            body,
            "templateMissing",
        )
        message.setProperty("role", "warning")
        layout.addWidget(message)
        if has_script:
            use = QPushButton("Use the drafted script…", body)
            use.setObjectName("useDraftedScript")
            use.clicked.connect(lambda: self.sig_use_draft.emit(fix))
            row = QHBoxLayout()
            row.addWidget(use)
            row.addStretch(1)
            layout.addLayout(row)
            use.setFocus()
        layout.addStretch(1)

    def set_fix(self, fix: FixView) -> None:
        """The same fix, fresher (e.g. after "I ran this"): only the run button follows."""
        self.fix = fix
        if self.ran_button is None:
            return
        ran = fix.applied_at is not None
        final = fix.status in fix_outcome.TERMINAL
        self.ran_button.setText("✓ Marked as run" if ran else "✓ I ran this")
        self.ran_button.setEnabled(not ran and not final and fix.superseded_at is None)

    def focus_first(self) -> None:
        if self.generator is not None:
            self.generator.form.focus_first()
            if not self.generator.form.fields:
                self.generator.generate_button.setFocus()

    def _confirm_ran(self, fix: FixView) -> None:
        """Ask first when the generated script (or the template, before Generate) matches a
        dangerous pattern; it warns, never blocks."""
        generator = self.generator
        if generator is None:
            return
        dangers = danger_findings(generator.script or generator.template.body)
        confirm_dangerous(self, dangers, "Mark as run", lambda: self.sig_ran.emit(fix))

    def _replace_body(self) -> QWidget:
        if self._body is not None:
            retire(self._body)
        self.generator = None
        self.ran_button = None
        self._body = QWidget(self)
        QVBoxLayout(self._body).setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self._body, 1)
        return self._body


class ScriptGeneratorDock(QDockWidget):
    """Hidden until the fix's Apply (or Ctrl+G) opens it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Script generator", parent)
        self.setObjectName("scriptGeneratorDock")
        self.setAccessibleName("Script generator")
        self.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        self.panel = TemplateMatchPanel(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.panel)
        self.setWidget(scroll)
