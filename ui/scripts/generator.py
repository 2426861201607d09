"""The script generator for one template: its provenance, the typed parameter form, Generate
and Copy. The Template Match panel and the Scripts view both show it.

Generate only asks (``sig_generate``): the controller renders through the library, which
records the generation with sensitive values masked, and hands the script back with
``show_script``. The script in clear lives only in this widget and the clipboard. The script
check runs on each generated script; Copy asks first when it matches a dangerous pattern.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from flowpilot_desktop.scripts.library import TemplateRecord
from flowpilot_desktop.scripts.templates import parse_schema
from ui.code_editor import CodeEditor
from ui.ops import TaskRunner
from ui.safe_text import plain_label
from ui.scripts.parameter_form import ParameterForm
from ui.scripts.script_check_panel import ScriptCheckPanel, confirm_dangerous
from ui.widgets.editing import COPIED_FEEDBACK_MS
from ui.widgets.labels import meta_label
from ui.widgets.shortcuts import local_shortcut


def provenance_text(template: TemplateRecord) -> str:
    """The chip on a template promoted from a session: "from ticket #X · resolved by Y"."""
    parts = []
    if template.source_ticket_ref:
        parts.append(f"from ticket #{template.source_ticket_ref}")
    elif template.source_session_id:
        parts.append("from a triage session")
    if template.source_user_id:
        parts.append(f"resolved by {template.source_user_id}")
    if template.uses:
        parts.append(f"used {template.uses} time{'s' if template.uses != 1 else ''}")
    return " · ".join(parts)


class GeneratorPanel(QWidget):
    sig_generate = Signal(str, dict)
    """(template id, the checked values) to render."""

    def __init__(
        self,
        template: TemplateRecord,
        drafted: Mapping[str, object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("generatorPanel")
        self.template = template
        self._script = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # name, category, description, provenance: typed by people or drafted by the model
        title = plain_label(template.name, self, "generatorTitle")
        title.setProperty("role", "header-title")
        layout.addWidget(title)
        where = " · ".join(filter(None, [template.category or "Uncategorised", template.language]))
        layout.addWidget(meta_label(where, self, "generatorMeta"))
        self.provenance = plain_label(provenance_text(template), self, "provenanceChip")
        self.provenance.setWordWrap(False)
        self.provenance.setVisible(bool(self.provenance.text()))
        layout.addWidget(self.provenance, 0, Qt.AlignmentFlag.AlignLeft)
        if template.description:
            layout.addWidget(meta_label(template.description, self, "generatorDescription"))
        self.form = ParameterForm(parse_schema(template.parameters_schema), drafted, self)
        layout.addWidget(self.form)
        row = QHBoxLayout()
        self.generate_button = QPushButton("Generate", self)
        self.generate_button.setObjectName("generateScript")
        self.generate_button.setProperty("role", "primary")
        self.generate_button.setAccessibleName("Generate the script from these values")
        self.generate_button.setToolTip("Ctrl+Enter")
        self.generate_button.clicked.connect(self.generate)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setObjectName("copyScript")
        self.copy_button.setAccessibleName("Copy the generated script")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy)
        row.addWidget(self.generate_button)
        row.addWidget(self.copy_button)
        self.actions_row = row
        row.addStretch(1)
        layout.addLayout(row)
        self.output = CodeEditor(self)
        self.output.setObjectName("generatedScript")
        self.output.set_language(template.language)
        self.output.set_read_only(True)
        self.output.setMinimumHeight(120)
        self.output.hide()
        layout.addWidget(self.output, 10)
        self.check_panel = ScriptCheckPanel(self.output, self)
        self.check_panel.hide()
        layout.addWidget(self.check_panel)
        layout.addStretch(1)  # while there is no output, the form stays at the top
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            local_shortcut(keys, self, self.generate)
        self.form.sig_changed.connect(self._values_changed)

    @property
    def script(self) -> str:
        """The last generated script (in clear), or ""."""
        return self._script

    def set_check_runner(self, runner: TaskRunner) -> None:
        """Check generated scripts off the GUI thread (and with PSScriptAnalyzer if installed)."""
        self.check_panel.set_runner(runner)

    def generate(self) -> None:
        values = self.form.checked_values()
        if values is not None:
            self.generate_button.setEnabled(False)
            self.sig_generate.emit(self.template.id, values)

    def show_script(self, script: str) -> None:
        self._script = script
        self.generate_button.setEnabled(True)
        self.output.set_text(script)
        self.output.show()
        self.check_panel.show()
        self.check_panel.check_now()
        self.copy_button.setEnabled(True)
        self.copy_button.setFocus()

    def show_problem(self, message: str) -> None:
        self.generate_button.setEnabled(True)
        self.form.show_problems([message])

    def copy(self) -> None:
        """Copy, after a confirmation when the script matches a dangerous pattern."""
        if self._script:
            confirm_dangerous(self, self.check_panel.dangers(), "Copy", self._copy)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self._script)
        self.copy_button.setText("Copied")
        QTimer.singleShot(COPIED_FEEDBACK_MS, self, lambda: self.copy_button.setText("Copy"))

    def _values_changed(self) -> None:
        """A script generated from other values must not be copied by mistake."""
        if self._script:
            self._script = ""
            self.copy_button.setEnabled(False)
            self.output.set_text("")
            self.output.hide()
            self.check_panel.hide()
