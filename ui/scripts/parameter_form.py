"""The typed form for a template's parameters, shared by the Template Match panel and the
Scripts view's generator.

One field per parameter, by type: text, whole number, yes/no, a list of choices, a masked
secret, a date, an IP address. Values the assistant drafted from the session are tagged
"from session" until the technician changes them. Checking is the service's
``check_values``, so the form and the library can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIntValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.scripts.templates import Parameter, TemplateError, check_values
from ui.safe_text import plain_tooltip
from ui.widgets.labels import error_label

FROM_SESSION = "from session"
_PLACEHOLDERS = {"date": "YYYY-MM-DD", "ip": "e.g. 10.0.0.12", "int": "a whole number"}
_TRUE = {"true", "yes", "1", "on"}


class ParameterForm(QWidget):
    sig_changed = Signal()
    """A value changed."""

    def __init__(
        self,
        parameters: list[Parameter],
        drafted: Mapping[str, object] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("parameterForm")
        self.parameters = parameters
        self._drafted = {k: str(v) for k, v in (drafted or {}).items() if v is not None}
        self.fields: dict[str, QLineEdit | QCheckBox | QComboBox] = {}
        self.tags: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        layout.addLayout(form)
        for parameter in parameters:
            field = self._field(parameter)
            self.fields[parameter.name] = field
            if parameter.name in self._drafted:  # as the field shows it ("yes" reads "true")
                self._drafted[parameter.name] = _read(field)
            row = QHBoxLayout()
            row.addWidget(field, 1)
            if parameter.name in self._drafted:
                tag = QLabel(FROM_SESSION, self)
                tag.setObjectName("fromSessionTag")
                tag.setToolTip("The assistant drafted this value from the conversation")
                self.tags[parameter.name] = tag
                row.addWidget(tag)
            label = QLabel(parameter.title + (" *" if parameter.required else ""), self)
            label.setTextFormat(Qt.TextFormat.PlainText)  # the schema may come from the model
            label.setBuddy(field)
            label.setToolTip(plain_tooltip(parameter.description))
            form.addRow(label, row)
        if not parameters:
            layout.addWidget(QLabel("This template has no parameters.", self))
        self.problems = error_label(self, "parameterProblems")
        layout.addWidget(self.problems)

    def values(self) -> dict[str, str]:
        return {name: _read(field) for name, field in self.fields.items()}

    def checked_values(self) -> dict[str, str] | None:
        """The values when every one is valid; otherwise None, with the problems shown."""
        try:
            check_values(self.parameters, self.values())
        except TemplateError as error:
            self.show_problems(error.problems)
            return None
        self.show_problems([])
        return self.values()

    def show_problems(self, problems: list[str]) -> None:
        self.problems.setText("\n".join(problems))
        self.problems.setVisible(bool(problems))

    def focus_first(self) -> None:
        if self.fields:
            next(iter(self.fields.values())).setFocus()

    # ---- Private

    def _field(self, parameter: Parameter) -> QLineEdit | QCheckBox | QComboBox:
        start = self._drafted.get(parameter.name, parameter.default or "")
        field: QLineEdit | QCheckBox | QComboBox
        if parameter.type == "bool":
            field = QCheckBox(self)
            field.setChecked(start.strip().lower() in _TRUE)
            field.toggled.connect(lambda _on, n=parameter.name: self._edited(n))
        elif parameter.type == "choice":
            field = QComboBox(self)
            if not parameter.required:
                field.addItem("")
            field.addItems(list(parameter.choices))
            field.setCurrentText(start)
            field.currentTextChanged.connect(lambda _t, n=parameter.name: self._edited(n))
        else:
            field = QLineEdit(start, self)
            field.setPlaceholderText(_PLACEHOLDERS.get(parameter.type, parameter.description))
            if parameter.type == "int":
                field.setValidator(QIntValidator(field))
            if parameter.is_sensitive:
                field.setEchoMode(QLineEdit.EchoMode.Password)
                field.setPlaceholderText("not stored; masked in the history")
            field.textChanged.connect(lambda _t, n=parameter.name: self._edited(n))
        field.setObjectName(f"param_{parameter.name}")
        field.setAccessibleName(parameter.title)
        field.setToolTip(plain_tooltip(parameter.description))
        return field

    def _edited(self, name: str) -> None:
        tag = self.tags.get(name)
        if tag is not None:
            tag.setVisible(_read(self.fields[name]) == self._drafted.get(name))
        self.sig_changed.emit()


def _read(field: QLineEdit | QCheckBox | QComboBox) -> str:
    if isinstance(field, QCheckBox):
        return "true" if field.isChecked() else "false"
    if isinstance(field, QComboBox):
        return field.currentText()
    return field.text()
