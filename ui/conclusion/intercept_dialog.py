"""The Escalate intercept (SPEC §9): the fix still needs an outcome before escalating.

Only the choices valid from the fix's status are offered; "it didn't work" is the default;
"I applied some of it" asks for the notes right here. The dialog stays open until the
controller says the outcome was saved — a failed save stops the escalation and says why (the
web version let it go on after a silent failure).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.fix_outcome import FixStatus
from ui.safe_text import plain_label, plain_text
from ui.widgets.labels import error_label

CHOICE_LABELS = {
    FixStatus.APPLIED_SUCCESS: "It &worked",
    FixStatus.APPLIED_FAILED: "It &didn't work",
    FixStatus.DISMISSED: "I &never applied it",
    FixStatus.APPLIED_PARTIAL: "I applied &some of it — partial",
}
DEFAULT_CHOICE = FixStatus.APPLIED_FAILED


class InterceptDialog(QDialog):
    sig_chosen = Signal(str, str)
    """(outcome, notes) to save before the escalation continues."""

    def __init__(
        self, fix_title: str, choices: tuple[str, ...], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("interceptDialog")
        self.setWindowTitle("Before escalating")
        self.setAccessibleName("This fix still needs an outcome")
        self.setModal(True)
        self.setMinimumWidth(440)
        heading = plain_text(QLabel("This fix still needs an outcome", self))
        heading.setProperty("role", "header-title")
        fix_label = plain_label(f"“{fix_title}”", self, "interceptFixTitle")  # the model's words
        fix_label.setProperty("role", "header-meta")
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(fix_label)
        for number, outcome in enumerate(choices, start=1):
            button = QRadioButton(CHOICE_LABELS[outcome], self)
            button.setObjectName(f"intercept_{outcome}")
            button.setAccessibleName(CHOICE_LABELS[outcome].replace("&", ""))
            self.group.addButton(button)
            self.buttons[outcome] = button
            layout.addWidget(button)
            QShortcut(QKeySequence(str(number)), self, button.click)
            button.toggled.connect(self._choice_changed)
        self.notes = QPlainTextEdit(self)
        self.notes.setObjectName("interceptNotes")
        self.notes.setAccessibleName("What was applied and what was not")
        self.notes.setPlaceholderText("What was applied, and what was not (required)")
        self.notes.setFixedHeight(72)
        self.notes.setTabChangesFocus(True)
        layout.addWidget(self.notes)
        self.error_label = error_label(self, "interceptError")
        layout.addWidget(self.error_label)
        self.save_button = QPushButton("Save and &escalate", self)
        self.save_button.setObjectName("interceptSave")
        self.save_button.setAccessibleName("Save the outcome and escalate")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton("Cancel", self)
        cancel.setObjectName("interceptCancel")
        cancel.setAccessibleName("Cancel the escalation")
        cancel.clicked.connect(self.reject)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        default = self.buttons.get(DEFAULT_CHOICE) or next(iter(self.buttons.values()))
        default.setChecked(True)
        default.setFocus()  # arrows move between the choices from the one already picked
        self._choice_changed()

    @property
    def choice(self) -> str:
        return next(o for o, b in self.buttons.items() if b.isChecked())

    def save(self) -> None:
        notes = self.notes.toPlainText().strip()
        if self.choice == FixStatus.APPLIED_PARTIAL and not notes:
            self.show_error("Say what was applied and what was not: partial needs notes.")
            self.notes.setFocus()
            return
        self.error_label.hide()
        self.save_button.setEnabled(False)
        self.sig_chosen.emit(self.choice, notes)

    def show_error(self, message: str) -> None:
        """The outcome was not saved: stay open, say why, escalate nothing."""
        self.error_label.setText(message)
        self.error_label.show()
        self.save_button.setEnabled(True)

    def _choice_changed(self) -> None:
        partial = self.buttons.get(FixStatus.APPLIED_PARTIAL)
        needs_notes = partial is not None and partial.isChecked()
        self.notes.setVisible(needs_notes)
        if needs_notes:
            self.notes.show()
            self.notes.setFocus(Qt.FocusReason.OtherFocusReason)
        self.adjustSize()
