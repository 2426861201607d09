"""A secret in Settings: a masked field that is never filled with the stored value (it is in
the keyring and never read back), and Clear to remove it on Save."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from flowpilot_desktop.credentials import SECRET_LABELS, SecretName

SECRET_OBJECT_NAMES = {
    SecretName.ANTHROPIC_API_KEY: "settingsAnthropicKey",
    SecretName.CW_PUBLIC_KEY: "settingsCwPublicKey",
    SecretName.CW_PRIVATE_KEY: "settingsCwPrivateKey",
}


class SecretField(QWidget):
    """A masked field that is never pre-filled, with a Clear button that marks it for removal."""

    def __init__(self, name: SecretName, present: bool, run_only: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.name = name
        self._present = present
        self.cleared = False
        label = SECRET_LABELS[name]
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setObjectName(SECRET_OBJECT_NAMES[name])
        self.edit.setAccessibleName(label)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setObjectName(f"{SECRET_OBJECT_NAMES[name]}Clear")
        self.clear_button.setAccessibleName(f"Clear {label}")
        self.clear_button.setEnabled(present)
        self.clear_button.clicked.connect(self._clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.clear_button)
        if run_only:
            self.edit.setPlaceholderText("Kept for this run only — type to replace")
        elif present:
            self.edit.setPlaceholderText("Stored in the system keyring — type to replace")
        else:
            self.edit.setPlaceholderText("Not set")

    def change(self) -> tuple[bool, str | None]:
        """(changed?, new value or None to remove)."""
        if self.edit.text():
            return True, self.edit.text()
        if self.cleared:
            return True, None
        return False, None

    def _clear(self) -> None:
        self.cleared = True
        self.edit.clear()
        self.edit.setPlaceholderText("Will be removed when you save")
        self.clear_button.setEnabled(False)
