"""The Settings dialog (Ctrl+,): connections, secrets (masked, never shown back) and model tiers.

It validates and hands a SettingsUpdate to the window, which saves it asynchronously and then
closes the dialog or shows why it failed; nothing typed is lost on a failure.
"""

from __future__ import annotations

from dataclasses import fields

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.config import AppConfig, ConfigError, validate
from flowpilot_desktop.credentials import SECRET_LABELS, SecretName
from flowpilot_desktop.model_tiers import TIER_LABELS, ModelTiers
from flowpilot_desktop.settings_service import SettingsSnapshot, SettingsUpdate

_CONFIG_FIELDS = (
    # (field, label with mnemonic, object name, placeholder)
    (
        "anthropic_base_url",
        "API &base URL",
        "settingsAnthropicBaseUrl",
        "Default (api.anthropic.com)",
    ),
    ("cw_site", "&Site", "settingsCwSite", "e.g. api-na.myconnectwise.net"),
    ("cw_company_id", "&Company ID", "settingsCwCompanyId", "your ConnectWise company id"),
    ("cw_client_id", "C&lient ID", "settingsCwClientId", "from developer.connectwise.com"),
    (
        "cw_member_identifier",
        "&Member identifier",
        "settingsCwMember",
        "your ConnectWise member id",
    ),
    (
        "database_url",
        "&Database URL",
        "settingsDatabaseUrl",
        "Local file (default); takes effect on restart",
    ),
)
_SECRET_OBJECT_NAMES = {
    SecretName.ANTHROPIC_API_KEY: "settingsAnthropicKey",
    SecretName.CW_PUBLIC_KEY: "settingsCwPublicKey",
    SecretName.CW_PRIVATE_KEY: "settingsCwPrivateKey",
}


class _SecretField(QWidget):
    """A masked field that is never pre-filled, with a Clear button that marks it for removal."""

    def __init__(self, name: SecretName, present: bool, run_only: bool, parent: QWidget) -> None:
        super().__init__(parent)
        self.name = name
        self._present = present
        self.cleared = False
        label = SECRET_LABELS[name]
        self.edit = QLineEdit(self)
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setObjectName(_SECRET_OBJECT_NAMES[name])
        self.edit.setAccessibleName(label)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setObjectName(f"{_SECRET_OBJECT_NAMES[name]}Clear")
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


class SettingsDialog(QDialog):
    sig_save_requested = Signal(object)
    """The technician pressed Save and the input is valid: a SettingsUpdate to write."""

    def __init__(self, snapshot: SettingsSnapshot, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._snapshot = snapshot
        self.setObjectName("settingsDialog")
        self.setAccessibleName("Settings")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)

        layout = QVBoxLayout(self)
        self.keyring_label = QLabel(self)
        self.keyring_label.setObjectName("settingsKeyringStatus")
        self.keyring_label.setWordWrap(True)
        self.run_only_check = QCheckBox("Keep secrets for this &run only", self)
        self.run_only_check.setObjectName("settingsRunOnly")
        self.run_only_check.setAccessibleName("Keep secrets for this run only")
        if snapshot.keyring.available:
            self.keyring_label.setText(snapshot.keyring.message)
            self.keyring_label.setProperty("role", "header-meta")
            self.run_only_check.hide()
        else:
            self.keyring_label.setText(snapshot.keyring.message)
            self.keyring_label.setProperty("role", "warning")
        layout.addWidget(self.keyring_label)
        layout.addWidget(self.run_only_check)
        if snapshot.config_warning:
            warning = QLabel(snapshot.config_warning, self)
            warning.setObjectName("settingsConfigWarning")
            warning.setProperty("role", "warning")
            warning.setWordWrap(True)
            layout.addWidget(warning)

        self.config_edits: dict[str, QLineEdit] = {}
        self.secret_fields: dict[SecretName, _SecretField] = {}
        anthropic = self._group("Anthropic", "settingsAnthropicGroup")
        self._add_secret(anthropic, SecretName.ANTHROPIC_API_KEY, "API &key")
        self._add_config(anthropic, *_CONFIG_FIELDS[0])
        connectwise = self._group("ConnectWise Manage", "settingsConnectWiseGroup")
        for spec in _CONFIG_FIELDS[1:3]:
            self._add_config(connectwise, *spec)
        self._add_secret(connectwise, SecretName.CW_PUBLIC_KEY, "&Public key")
        self._add_secret(connectwise, SecretName.CW_PRIVATE_KEY, "Pri&vate key")
        for spec in _CONFIG_FIELDS[3:5]:
            self._add_config(connectwise, *spec)
        tiers_form = self._group("Model per action", "settingsModelTiersGroup")
        self.tier_edits: dict[str, QLineEdit] = {}
        for field in fields(ModelTiers):
            edit = QLineEdit(getattr(snapshot.tiers, field.name), self)
            edit.setObjectName(f"settingsTier_{field.name}")
            edit.setAccessibleName(f"Model for {TIER_LABELS[field.name]}")
            tiers_form.addRow(TIER_LABELS[field.name], edit)
            self.tier_edits[field.name] = edit
        storage = self._group("Storage", "settingsStorageGroup")
        self._add_config(storage, *_CONFIG_FIELDS[5])
        for group in (anthropic, connectwise, tiers_form, storage):
            layout.addWidget(group.parentWidget())

        self.error_label = QLabel(self)
        self.error_label.setObjectName("settingsError")
        self.error_label.setProperty("role", "error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.error_label)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.setObjectName("settingsButtons")
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setObjectName("settingsSave")
        save.setAccessibleName("Save settings")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("settingsCancel")
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    # ---- Public API

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.activateWindow()
        self.secret_fields[SecretName.ANTHROPIC_API_KEY].edit.setFocus()

    # ---- Private

    def _group(self, title: str, object_name: str) -> QFormLayout:
        box = QGroupBox(title, self)
        box.setObjectName(object_name)
        return QFormLayout(box)

    def _add_config(
        self, form: QFormLayout, name: str, label: str, object_name: str, placeholder: str
    ) -> None:
        edit = QLineEdit(getattr(self._snapshot.config, name) or "", self)
        edit.setObjectName(object_name)
        edit.setAccessibleName(label.replace("&", ""))
        edit.setPlaceholderText(placeholder)
        buddy = QLabel(label, self)
        buddy.setBuddy(edit)
        form.addRow(buddy, edit)
        self.config_edits[name] = edit

    def _add_secret(self, form: QFormLayout, name: SecretName, label: str) -> None:
        secret = _SecretField(
            name,
            self._snapshot.secrets_present.get(name, False),
            self._snapshot.secrets_run_only.get(name, False),
            self,
        )
        buddy = QLabel(label, self)
        buddy.setBuddy(secret.edit)
        form.addRow(buddy, secret)
        self.secret_fields[name] = secret

    def _save(self) -> None:
        self.error_label.hide()
        config = AppConfig(**{name: edit.text() for name, edit in self.config_edits.items()})
        try:
            validate(config)
        except ConfigError as error:
            self.show_error(str(error))
            return
        secrets: dict[SecretName, str | None] = {}
        for name, secret in self.secret_fields.items():
            changed, value = secret.change()
            if changed:
                secrets[name] = value
        run_only = not self._snapshot.keyring.available
        if run_only and any(secrets.values()) and not self.run_only_check.isChecked():
            self.show_error(
                "There is no system keyring to store secrets in. Tick “Keep secrets for this run "
                "only” to use them until FlowPilot closes, or leave the secret fields empty."
            )
            self.run_only_check.setFocus()
            return
        tiers = ModelTiers.from_preferences(
            {"model_tiers": {name: edit.text() for name, edit in self.tier_edits.items()}}
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.sig_save_requested.emit(SettingsUpdate(config, tiers, secrets, run_only))
