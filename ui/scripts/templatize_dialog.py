"""Templatize (SPEC §9): after a successful Resolve, the session's draft templates are offered
one at a time to become team templates.

Each shows the templated body with its proposed parameters; the name, category and
description are editable, and a parameter can be taken out (its placeholder becomes the text
typed for it). Accept creates the template with its provenance; Skip rejects the draft;
Close leaves the rest for later (the Scripts badge keeps counting them). "Don't ask again
for this team" turns the prompt off; Settings turns it back on.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.scripts.drafts import DraftEdits, DraftRecord
from flowpilot_desktop.scripts.templates import PLACEHOLDER, parse_schema
from ui.code_editor import CodeEditor
from ui.safe_text import plain_text
from ui.scripts.template_editor import UNCATEGORISED
from ui.widgets.editing import InlineEditor
from ui.widgets.labels import error_label, meta_label


class TemplatizeDialog(QDialog):
    sig_accept = Signal(str, object)
    """(draft id, DraftEdits): make it a team template."""
    sig_skip = Signal(str)
    """(draft id): reject it."""
    sig_dont_ask = Signal(bool)
    """The "Don't ask again for this team" box changed (True: don't ask)."""

    def __init__(
        self, drafts: list[DraftRecord], categories: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("templatizeDialog")
        self.setWindowTitle("Add to the team's scripts")
        self.setAccessibleName("Offer the scripts of this session as team templates")
        self.resize(720, 600)
        self.drafts = list(drafts)
        self.index = 0
        self.removed: dict[str, str] = {}
        layout = QVBoxLayout(self)
        self.counter = plain_text(QLabel("", self))
        self.counter.setObjectName("templatizeCounter")
        self.counter.setProperty("role", "header-title")
        layout.addWidget(self.counter)
        layout.addWidget(
            meta_label(
                "You ran this script during the session. Keep it as a team template so the "
                "next technician fills in the values instead of rewriting it.",
                self,
            )
        )
        self.fallback_note = meta_label("", self, "templatizeFallback")
        layout.addWidget(self.fallback_note)
        form = QFormLayout()
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("templatizeName")
        self.name_edit.setAccessibleName("Template name")
        form.addRow("&Name", self.name_edit)
        self.category_combo = QComboBox(self)
        self.category_combo.setObjectName("templatizeCategory")
        self.category_combo.setAccessibleName("Category")
        self.category_combo.addItem(UNCATEGORISED, "")
        for name in categories:
            self.category_combo.addItem(name, name)
        form.addRow("&Category", self.category_combo)
        self.description_edit = QLineEdit(self)
        self.description_edit.setObjectName("templatizeDescription")
        self.description_edit.setAccessibleName("Description")
        form.addRow("&Description", self.description_edit)
        layout.addLayout(form)
        self.body = CodeEditor(self)
        self.body.setObjectName("templatizeBody")
        self.body.set_read_only(True)
        layout.addWidget(self.body, 2)
        layout.addWidget(meta_label("Parameters", self))
        self.parameter_list = QListWidget(self)
        self.parameter_list.setObjectName("templatizeParameters")
        self.parameter_list.setAccessibleName("Proposed parameters")
        self.parameter_list.setMaximumHeight(120)
        layout.addWidget(self.parameter_list)
        remove_row = QHBoxLayout()
        self.remove_button = QPushButton("&Remove parameter…", self)
        self.remove_button.setObjectName("templatizeRemoveParameter")
        self.remove_button.clicked.connect(self._ask_replacement)
        self.remove_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.replacement = InlineEditor(
            "templatizeReplacement", "Text instead of the parameter", self
        )
        self.replacement.sig_submitted.connect(self._remove_parameter)
        self.replacement.sig_cancelled.connect(self.replacement.hide)
        self.replacement.hide()
        remove_row.addWidget(self.remove_button)
        remove_row.addWidget(self.replacement, 1)
        layout.addLayout(remove_row)
        self.error = error_label(self, "templatizeError")
        layout.addWidget(self.error)
        self.dont_ask = QCheckBox("Don't ask again for this team", self)
        self.dont_ask.setObjectName("templatizeDontAsk")
        self.dont_ask.setToolTip("You can turn it back on in Settings")
        self.dont_ask.toggled.connect(self.sig_dont_ask)
        buttons = QHBoxLayout()
        buttons.addWidget(self.dont_ask)
        buttons.addStretch(1)
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("templatizeClose")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)
        self.skip_button = QPushButton("&Skip", self)
        self.skip_button.setObjectName("templatizeSkip")
        self.skip_button.setAutoDefault(False)
        self.skip_button.clicked.connect(lambda: self._busy() or self.sig_skip.emit(self.draft.id))
        self.accept_button = QPushButton("&Accept", self)
        self.accept_button.setObjectName("templatizeAccept")
        self.accept_button.setProperty("role", "primary")
        self.accept_button.setDefault(True)
        self.accept_button.clicked.connect(self._accept)
        for button in (self.close_button, self.skip_button, self.accept_button):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self._show_current()

    @property
    def draft(self) -> DraftRecord:
        return self.drafts[self.index]

    def edits(self) -> DraftEdits:
        return DraftEdits(
            name=self.name_edit.text(),
            category=str(self.category_combo.currentData() or ""),
            description=self.description_edit.text(),
            removed=dict(self.removed),
        )

    def done_with_current(self) -> None:
        """The controller saved the accept or skip: next draft, or close after the last."""
        self.index += 1
        if self.index >= len(self.drafts):
            self.accept()
            return
        self._show_current()

    def show_error(self, message: str) -> None:
        self._set_buttons_enabled(True)
        self.error.setText(message)
        self.error.show()

    # ---- Private

    def _show_current(self) -> None:
        draft = self.draft
        self.removed = {}
        total = len(self.drafts)
        self.counter.setText(
            f"Script {self.index + 1} of {total}" if total > 1 else "A script from this session"
        )
        self.name_edit.setText(draft.name)
        self.description_edit.clear()
        self.category_combo.setCurrentIndex(0)
        self.body.set_language(draft.language)
        self.fallback_note.setText(
            "No parameters were proposed: the script is kept as it ran."
            if not draft.parameters_schema
            else ""
        )
        self.fallback_note.setVisible(not draft.parameters_schema)
        self._show_body()
        self.error.hide()
        self.replacement.hide()
        self._set_buttons_enabled(True)
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _show_body(self) -> None:
        body = PLACEHOLDER.sub(
            lambda m: self.removed.get(m.group(1), m.group(0)), self.draft.templated_body
        )
        self.body.set_text(body)
        self.parameter_list.clear()
        for parameter in parse_schema(self.draft.parameters_schema):
            if parameter.name in self.removed:
                continue
            secret = " · secret" if parameter.is_sensitive else ""
            item = QListWidgetItem(
                f"{{{{{parameter.name}}}}} — {parameter.title} ({parameter.type}{secret})"
            )
            item.setData(Qt.ItemDataRole.UserRole, parameter.name)
            self.parameter_list.addItem(item)
        if self.parameter_list.count():
            self.parameter_list.setCurrentRow(0)
        self.remove_button.setEnabled(self.parameter_list.count() > 0)

    def _ask_replacement(self) -> None:
        item = self.parameter_list.currentItem()
        if item is None:
            return
        self.replacement.clear()
        name = item.data(Qt.ItemDataRole.UserRole)
        self.replacement.setPlaceholderText(
            f"Text to write instead of {{{{{name}}}}}, then Enter (Esc: keep it)"
        )
        self.replacement.show()
        self.replacement.setFocus()

    def _remove_parameter(self, text: str) -> None:
        item = self.parameter_list.currentItem()
        if item is None:
            return
        self.removed[str(item.data(Qt.ItemDataRole.UserRole))] = text
        self.replacement.hide()
        self._show_body()
        self.parameter_list.setFocus()

    def _accept(self) -> None:
        self._busy()
        self.sig_accept.emit(self.draft.id, self.edits())

    def _busy(self) -> None:
        self.error.hide()
        self._set_buttons_enabled(False)

    def _set_buttons_enabled(self, enabled: bool) -> None:
        self.accept_button.setEnabled(enabled)
        self.skip_button.setEnabled(enabled)
