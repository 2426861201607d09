"""Create or edit one team template: name, category, description, language, the body in the
code editor, and the parameter schema as a table (one row per ``{{param}}``).

Saving only asks (``sig_save``); the library validates and the problems come back through
``show_problems`` with the form untouched, so nothing typed is lost.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.scripts.library import TemplateDraft, TemplateRecord
from flowpilot_desktop.scripts.templates import (
    LANGUAGES,
    PARAM_TYPES,
    Parameter,
    parse_schema,
    placeholders,
)
from ui.code_editor import CodeEditor
from ui.ops import TaskRunner
from ui.scripts.script_check_panel import ScriptCheckPanel
from ui.widgets.labels import error_label, meta_label
from ui.widgets.shortcuts import local_shortcut

COLUMNS = ("Name", "Type", "Label", "Required", "Default", "Choices", "Sensitive", "Description")
_NAME, _TYPE, _LABEL, _REQUIRED, _DEFAULT, _CHOICES, _SENSITIVE, _DESCRIPTION = range(8)
UNCATEGORISED = "Uncategorised"


class TemplateEditor(QWidget):
    sig_save = Signal(object, object)
    """(TemplateDraft, template id or None for a new template)."""
    sig_delete = Signal(str)
    """Delete this template (the id); the controller confirms first."""
    sig_new_category = Signal()
    """The technician wants to add a category."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("templateEditor")
        self.template_id: str | None = None
        self._provenance: tuple[str | None, str | None, str | None] = (None, None, None)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # the fields scroll on a small screen; the problems and Save stay in view
        content = QWidget(self)
        content.setObjectName("templateEditorContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setObjectName("templateEditorScroll")
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its fields are the Tab stops
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer.addWidget(scroll, 1)
        self.heading = meta_label("", self, "templateEditorHeading")
        layout.addWidget(self.heading)
        form = QFormLayout()
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("templateName")
        self.name_edit.setAccessibleName("Template name")
        form.addRow("&Name", self.name_edit)
        category_row = QHBoxLayout()
        self.category_combo = QComboBox(self)
        self.category_combo.setObjectName("templateCategory")
        self.category_combo.setAccessibleName("Category")
        self.new_category_button = QPushButton("New category…", self)
        self.new_category_button.setObjectName("newCategory")
        self.new_category_button.setAccessibleName("Add a category")
        self.new_category_button.clicked.connect(self.sig_new_category)
        category_row.addWidget(self.category_combo, 1)
        category_row.addWidget(self.new_category_button)
        category_label = QLabel("&Category", self)
        category_label.setBuddy(self.category_combo)
        form.addRow(category_label, category_row)
        self.description_edit = QLineEdit(self)
        self.description_edit.setObjectName("templateDescription")
        self.description_edit.setAccessibleName("Description")
        form.addRow("&Description", self.description_edit)
        self.language_combo = QComboBox(self)
        self.language_combo.setObjectName("templateLanguage")
        self.language_combo.setAccessibleName("Script language")
        self.language_combo.addItems(list(LANGUAGES))
        self.language_combo.currentTextChanged.connect(self._language_changed)
        form.addRow("&Language", self.language_combo)
        layout.addLayout(form)
        layout.addWidget(
            meta_label("Script — write {{name}} where a value changes from ticket to ticket:", self)
        )
        self.body = CodeEditor(self)
        self.body.setObjectName("templateBody")
        self.body.setMinimumHeight(160)
        layout.addWidget(self.body, 2)
        self.check_panel = ScriptCheckPanel(self.body, self)
        layout.addWidget(self.check_panel)

        layout.addWidget(meta_label("Parameters", self))
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("parameterTable")
        self.table.setAccessibleName("Parameters")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setMinimumHeight(110)
        layout.addWidget(self.table, 1)
        params_row = QHBoxLayout()
        self.detect_button = QPushButton("From placeholders", self)
        self.detect_button.setObjectName("detectParameters")
        self.detect_button.setAccessibleName("Add a parameter for every undeclared placeholder")
        self.detect_button.setToolTip("One row for every {{name}} in the script not yet declared")
        self.detect_button.clicked.connect(self.add_from_placeholders)
        self.add_button = QPushButton("Add", self)
        self.add_button.setObjectName("addParameter")
        self.add_button.setAccessibleName("Add a parameter")
        self.add_button.clicked.connect(lambda: self._add_row(Parameter("")))
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setObjectName("removeParameter")
        self.remove_button.setAccessibleName("Remove the selected parameter")
        self.remove_button.clicked.connect(self._remove_selected)
        for button in (self.detect_button, self.add_button, self.remove_button):
            params_row.addWidget(button)
        params_row.addStretch(1)
        layout.addLayout(params_row)

        self.problems = error_label(self, "templateProblems")
        outer.addWidget(self.problems)
        buttons = QHBoxLayout()
        self.delete_button = QPushButton("Delete…", self)
        self.delete_button.setObjectName("deleteTemplate")
        self.delete_button.setAccessibleName("Delete this template")
        self.delete_button.clicked.connect(
            lambda: self.template_id and self.sig_delete.emit(self.template_id)
        )
        self.save_button = QPushButton("Save template  (Ctrl+S)", self)
        self.save_button.setObjectName("saveTemplate")
        self.save_button.setAccessibleName("Save the template")
        local_shortcut(QKeySequence.StandardKey.Save, self, self.save)
        self.save_button.setProperty("role", "primary")
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        outer.addLayout(buttons)
        self.load(None, [])

    # ---- Public

    def load(
        self,
        template: TemplateRecord | None,
        categories: list[str],
        draft: TemplateDraft | None = None,
    ) -> None:
        """Show a template to edit, or a new one (optionally pre-filled from ``draft``)."""
        self.template_id = template.id if template else None
        source = draft
        if template is not None:
            source = TemplateDraft(
                template.name,
                template.category or "",
                template.description,
                template.language,
                template.body,
                parse_schema(template.parameters_schema),
            )
        source = source or TemplateDraft("", "", "", "powershell", "", [])
        self._provenance = (
            source.source_session_id,
            source.source_user_id,
            source.source_ticket_ref,
        )
        self.heading.setText(f"Editing “{template.name}”" if template else "New template")
        self.set_categories(categories, source.category)
        self.name_edit.setText(source.name)
        self.description_edit.setText(source.description)
        self.language_combo.setCurrentText(source.language)
        self.body.set_language(source.language)
        self.body.set_text(source.body)
        self.table.setRowCount(0)
        for parameter in source.parameters:
            self._add_row(parameter)
        self.table.clearSelection()
        self.delete_button.setVisible(template is not None)
        self.show_problems([])

    def set_check_runner(self, runner: TaskRunner) -> None:
        """Check the body off the GUI thread (and with PSScriptAnalyzer if installed)."""
        self.check_panel.set_runner(runner)

    def set_categories(self, categories: list[str], selected: str | None = None) -> None:
        current = self.category_combo.currentData() if selected is None else selected
        self.category_combo.clear()
        self.category_combo.addItem(UNCATEGORISED, "")
        for name in categories:
            self.category_combo.addItem(name, name)
        index = self.category_combo.findData(current or "")
        self.category_combo.setCurrentIndex(max(index, 0))

    def draft(self) -> TemplateDraft:
        session_id, user_id, ticket_ref = self._provenance
        return TemplateDraft(
            name=self.name_edit.text(),
            category=str(self.category_combo.currentData() or ""),
            description=self.description_edit.text(),
            language=self.language_combo.currentText(),
            body=self.body.text(),
            parameters=self.parameters(),
            source_session_id=session_id,
            source_user_id=user_id,
            source_ticket_ref=ticket_ref,
        )

    def parameters(self) -> list[Parameter]:
        result = []
        for row in range(self.table.rowCount()):
            choices = tuple(c.strip() for c in self._text(row, _CHOICES).split(",") if c.strip())
            type_combo = self.table.cellWidget(row, _TYPE)
            assert isinstance(type_combo, QComboBox)
            result.append(
                Parameter(
                    name=self._text(row, _NAME).strip(),
                    type=type_combo.currentText(),
                    label=self._text(row, _LABEL).strip(),
                    description=self._text(row, _DESCRIPTION).strip(),
                    required=self._checked(row, _REQUIRED),
                    default=self._text(row, _DEFAULT) or None,
                    choices=choices,
                    sensitive=self._checked(row, _SENSITIVE),
                )
            )
        return result

    def save(self) -> None:
        self.show_problems([])
        self.sig_save.emit(self.draft(), self.template_id)

    def show_problems(self, problems: list[str]) -> None:
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))

    def add_from_placeholders(self) -> int:
        """A row for each placeholder not declared yet; how many were added."""
        declared = {p.name for p in self.parameters()}
        added = 0
        for name in placeholders(self.body.text()):
            if name not in declared:
                self._add_row(Parameter(name))
                added += 1
        return added

    # ---- Private

    def _language_changed(self, language: str) -> None:
        self.body.set_language(language)
        self.check_panel.schedule()

    def _add_row(self, parameter: Parameter) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        texts = {
            _NAME: parameter.name,
            _LABEL: parameter.label,
            _DEFAULT: parameter.default or "",
            _CHOICES: ", ".join(parameter.choices),
            _DESCRIPTION: parameter.description,
        }
        for column, text in texts.items():
            self.table.setItem(row, column, QTableWidgetItem(text))
        for column, checked in ((_REQUIRED, parameter.required), (_SENSITIVE, parameter.sensitive)):
            item = QTableWidgetItem()
            item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.table.setItem(row, column, item)
        type_combo = QComboBox(self.table)
        type_combo.addItems(list(PARAM_TYPES))
        type_combo.setCurrentText(parameter.type)
        type_combo.setAccessibleName("Parameter type")
        self.table.setCellWidget(row, _TYPE, type_combo)
        self.table.setCurrentCell(row, _NAME)

    def _remove_selected(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def _checked(self, row: int, column: int) -> bool:
        item = self.table.item(row, column)
        return item is not None and item.checkState() == Qt.CheckState.Checked
