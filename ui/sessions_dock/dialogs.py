"""New-session and rename dialogs: they validate, hand the input over, and stay open until
the write succeeded, so a failure never loses what was typed."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.sessions import clean_title, parse_ticket_ref
from ui.widgets.labels import error_label


class SessionFormDialog(QDialog):
    """Title (and, for a new session, an optional ConnectWise ticket number)."""

    sig_submitted = Signal(str, str)
    """(title, ticket text) passed validation; the caller writes it, then accept()s."""

    def __init__(
        self,
        parent: QWidget,
        *,
        window_title: str,
        title: str = "",
        with_ticket: bool = True,
        submit_text: str = "Create",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sessionFormDialog")
        self.setAccessibleName(window_title)
        self.setWindowTitle(window_title)
        self.setMinimumWidth(420)

        self.title_edit = QLineEdit(title, self)
        self.title_edit.setObjectName("sessionTitleEdit")
        self.title_edit.setAccessibleName("Session title")
        self.title_edit.setPlaceholderText("e.g. the user's words for the problem")
        self.title_edit.selectAll()

        self.ticket_edit = QLineEdit(self)
        self.ticket_edit.setObjectName("sessionTicketEdit")
        self.ticket_edit.setAccessibleName("ConnectWise ticket number")
        self.ticket_edit.setPlaceholderText("optional, e.g. #12345")

        self.error_label = error_label(self, "sessionFormError")

        form = QFormLayout()
        title_label = QLabel("&Title", self)
        title_label.setBuddy(self.title_edit)
        form.addRow(title_label, self.title_edit)
        if with_ticket:
            ticket_label = QLabel("Tic&ket", self)
            ticket_label.setBuddy(self.ticket_edit)
            form.addRow(ticket_label, self.ticket_edit)
        else:
            self.ticket_edit.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.setObjectName("sessionFormButtons")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(submit_text)
        ok.setObjectName("sessionFormSubmit")
        ok.setAccessibleName(submit_text)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("sessionFormCancel")
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.title_edit.textChanged.connect(self._clear_error)
        self.ticket_edit.textChanged.connect(self._clear_error)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.title_edit.setFocus()

    def show_error(self, message: str) -> None:
        """Show why it did not work; everything typed stays in place."""
        self.error_label.setText(message)
        self.error_label.show()
        self._set_busy(False)

    def _submit(self) -> None:
        try:
            ticket_ref = (
                parse_ticket_ref(self.ticket_edit.text()) if self.ticket_edit.isVisible() else None
            )
            clean_title(self.title_edit.text(), ticket_ref)
        except UserFacingError as error:
            self.show_error(str(error))
            return
        self._set_busy(True)
        self.sig_submitted.emit(self.title_edit.text(), self.ticket_edit.text())

    def _set_busy(self, busy: bool) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not busy)

    def _clear_error(self) -> None:
        self.error_label.hide()
