"""The time entry form (issue 21): prefilled from the session timer and the posted note, work
type and role from ConnectWise's live lists. Keyboard-first: the duration has focus, Enter
posts (Shift+Enter is a new line in the notes), Esc skips."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.time_entries import BillableOption, TimeEntryDraft, WorkOptions
from ui.safe_text import plain_label

BILLABLE_LABELS = {
    None: "As the work type says",
    BillableOption.BILLABLE: "Billable",
    BillableOption.DO_NOT_BILL: "Do not bill",
    BillableOption.NO_CHARGE: "No charge",
    BillableOption.NO_DEFAULT: "No default",
}
MAX_MINUTES = 24 * 60


class TimeEntryDialog(QDialog):
    """Edit the drafted entry; Post emits it, Skip (or Esc) emits nothing but sig_skipped."""

    sig_post = Signal(object)
    """The entry as edited (a TimeEntryDraft), to queue for ConnectWise."""
    sig_skipped = Signal()
    """The technician chose not to log time now."""

    def __init__(
        self, draft: TimeEntryDraft, options: WorkOptions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("timeEntryDialog")
        self.setWindowTitle(f"Log time on ticket #{draft.ticket_id}")
        self.draft = draft
        self.start = QDateTimeEdit(self)
        self.start.setObjectName("timeEntryStart")
        self.start.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.start.setDateTime(QDateTime.fromSecsSinceEpoch(int(draft.time_start.timestamp())))
        self.minutes = QSpinBox(self)
        self.minutes.setObjectName("timeEntryMinutes")
        self.minutes.setRange(1, MAX_MINUTES)
        self.minutes.setSuffix(" min")
        self.minutes.setValue(max(1, min(MAX_MINUTES, draft.minutes)))
        self.work_type = self._combo("timeEntryWorkType", options.work_types, draft.work_type_id)
        self.work_role = self._combo("timeEntryWorkRole", options.work_roles, draft.work_role_id)
        self.billable = QComboBox(self)
        self.billable.setObjectName("timeEntryBillable")
        for option, label in BILLABLE_LABELS.items():
            self.billable.addItem(label, option)
        self.billable.setCurrentIndex(max(0, self.billable.findData(draft.billable)))
        self.notes = QPlainTextEdit(self)
        self.notes.setObjectName("timeEntryNotes")
        self.notes.setPlainText(draft.notes)
        self.notes.installEventFilter(self)
        form = QFormLayout()
        form.addRow("&Duration", self.minutes)
        form.addRow("&Start", self.start)
        form.addRow("Work &type", self.work_type)
        form.addRow("Work &role", self.work_role)
        form.addRow("&Billing", self.billable)
        form.addRow("&Notes", self.notes)
        buttons = QDialogButtonBox(self)
        self.post_button = QPushButton("Post time", self)
        self.post_button.setObjectName("timeEntryPost")
        self.post_button.setDefault(True)
        self.skip_button = QPushButton("Skip", self)
        self.skip_button.setObjectName("timeEntrySkip")
        buttons.addButton(self.post_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.skip_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for widget, name in (
            (self.minutes, "Time worked, in minutes"),
            (self.start, "Start of the work"),
            (self.work_type, "ConnectWise work type"),
            (self.work_role, "ConnectWise work role"),
            (self.billable, "Billing"),
            (self.notes, "Time entry notes"),
            (self.post_button, "Post the time entry to ConnectWise"),
            (self.skip_button, "Skip logging time"),
        ):
            widget.setAccessibleName(name)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "Posted once to ConnectWise through the outbox, then read back.",
                self,
                "timeEntryHint",
            )
        )
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.minutes.setFocus()
        self.minutes.selectAll()

    def entry(self) -> TimeEntryDraft:
        """The draft as edited now."""
        start = datetime.fromtimestamp(self.start.dateTime().toSecsSinceEpoch(), UTC)
        return replace(
            self.draft,
            time_start=start,
            time_end=start + timedelta(minutes=self.minutes.value()),
            work_type_id=self.work_type.currentData(),
            work_role_id=self.work_role.currentData(),
            billable=self.billable.currentData(),
            notes=self.notes.toPlainText(),
        )

    def accept(self) -> None:
        self.sig_post.emit(self.entry())
        super().accept()

    def reject(self) -> None:
        self.sig_skipped.emit()
        super().reject()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.notes
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.accept()
            return True
        return super().eventFilter(watched, event)

    def _combo(self, name: str, options: list, chosen: int | None) -> QComboBox:  # type: ignore[type-arg]
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.addItem("ConnectWise default", None)
        for option in options:
            combo.addItem(option.name, option.id)
        combo.setCurrentIndex(max(0, combo.findData(chosen)))
        return combo
