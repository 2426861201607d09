"""The Settings dialog (Ctrl+,): connections, secrets (masked, never shown back) and model tiers.

It validates and hands a SettingsUpdate to the window, which saves it asynchronously and then
closes the dialog or shows why it failed; nothing typed is lost on a failure. It opens no larger
than the screen: on a 1366×768 laptop the groups scroll and the buttons stay in view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.anthropic_check import AnthropicCheck, AnthropicOverrides, ModelOption
from flowpilot_desktop.conclusion.targets import StatusChoices
from flowpilot_desktop.config import STALL_TIMEOUT_RANGE_S, AppConfig, ConfigError, validate
from flowpilot_desktop.credentials import SecretName
from flowpilot_desktop.errors import join_sentences
from flowpilot_desktop.model_tiers import TIER_LABELS, ModelTiers
from flowpilot_desktop.psa_access import BoardOption, PsaOverrides, StatusOption
from flowpilot_desktop.settings_service import SettingsSnapshot, SettingsUpdate
from ui.backups_picker import BackupsPicker
from ui.secret_field import SecretField
from ui.theme import set_style_property
from ui.widgets.labels import error_label
from ui.widgets.screen import available_geometry

NO_STATUS = "(leave the status as it is)"
PREFERRED_SIZE = QSize(600, 860)
SCREEN_MARGIN = 24  # kept free around the dialog (window frame, a little air)

_CONFIG_FIELDS = (
    # (field, label with mnemonic, object name, placeholder)
    (
        "anthropic_base_url",
        "AP&I base URL",
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
        "Database &URL",
        "settingsDatabaseUrl",
        "Local file (default); takes effect on restart",
    ),
)


class SettingsDialog(QDialog):
    sig_save_requested = Signal(object)
    """The technician pressed Save and the input is valid: a SettingsUpdate to write."""
    sig_test_requested = Signal(object)
    """Test connection with what is typed (PsaOverrides); answer with show_test_result."""
    sig_anthropic_test_requested = Signal(object)
    """Test the Anthropic key with what is typed (AnthropicOverrides); answer with
    show_anthropic_check (or show_anthropic_failure)."""
    sig_boards_requested = Signal(object)
    """Load the service boards (PsaOverrides); answer with set_boards or show_boards_failure."""
    sig_statuses_requested = Signal(int, object)
    """Load a board's statuses (board id, PsaOverrides); answer with set_statuses or
    show_statuses_failure."""
    sig_backups_requested = Signal()
    """List the database's copies; answer with backups.set_backups."""
    sig_restore_requested = Signal(str)
    """Restore this copy (its path) at the next start; answer with backups.show_result."""

    def __init__(self, snapshot: SettingsSnapshot, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._snapshot = snapshot
        self._backups_asked = False
        self.setObjectName("settingsDialog")
        self.setAccessibleName("Settings")
        self.setWindowTitle("Settings")
        self.setMinimumWidth(560)

        outer = QVBoxLayout(self)
        content = QWidget(self)
        content.setObjectName("settingsContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(0, 0, 6, 0)
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
            warning.setTextFormat(Qt.TextFormat.PlainText)
            warning.setProperty("role", "warning")
            warning.setWordWrap(True)
            layout.addWidget(warning)

        self.config_edits: dict[str, QLineEdit] = {}
        self.secret_fields: dict[SecretName, SecretField] = {}
        anthropic = self._group("Anthropic", "settingsAnthropicGroup")
        self._add_secret(anthropic, SecretName.ANTHROPIC_API_KEY, "API &key")
        self._add_config(anthropic, *_CONFIG_FIELDS[0])
        self._build_anthropic_test(anthropic)
        connectwise = self._group("ConnectWise Manage", "settingsConnectWiseGroup")
        for spec in _CONFIG_FIELDS[1:3]:
            self._add_config(connectwise, *spec)
        self._add_secret(connectwise, SecretName.CW_PUBLIC_KEY, "&Public key")
        self._add_secret(connectwise, SecretName.CW_PRIVATE_KEY, "Pri&vate key")
        for spec in _CONFIG_FIELDS[3:5]:
            self._add_config(connectwise, *spec)
        self.test_button = QPushButton("&Test connection", self)
        self.test_button.setObjectName("settingsCwTest")
        self.test_button.setAccessibleName("Test the ConnectWise connection")
        self.test_button.clicked.connect(self._test)
        self.test_label = QLabel(self)
        self.test_label.setObjectName("settingsCwTestResult")
        self.test_label.setTextFormat(Qt.TextFormat.PlainText)  # ConnectWise's words
        self.test_label.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        connectwise.addRow("", test_row)
        connectwise.addRow("", self.test_label)
        statuses = self._group("Resolve and Escalate statuses", "settingsStatusesGroup")
        self._build_status_pickers(statuses, snapshot.statuses)
        tiers_form = self._group("Model per action", "settingsModelTiersGroup")
        self.tier_combos: dict[str, QComboBox] = {}
        for field in fields(ModelTiers):
            combo = self._tier_combo(field.name, getattr(snapshot.tiers, field.name))
            tiers_form.addRow(TIER_LABELS[field.name], combo)
            self.tier_combos[field.name] = combo
        self.tiers_hint = QLabel(
            "Test the connection above to pick from the models your key may use; "
            "or type a model id.",
            self,
        )
        self.tiers_hint.setObjectName("settingsTiersHint")
        self.tiers_hint.setProperty("role", "header-meta")
        self.tiers_hint.setWordWrap(True)
        tiers_form.addRow("", self.tiers_hint)
        scripts = self._group("Scripts", "settingsScriptsGroup")
        self.templatize_check = QCheckBox(
            "After Resolve, o&ffer the session's scripts as team templates", self
        )
        self.templatize_check.setObjectName("settingsTemplatizePrompt")
        self.templatize_check.setAccessibleName("Offer the session's scripts after Resolve")
        self.templatize_check.setToolTip("For the whole team (“Don't ask again” turns it off)")
        self.templatize_check.setChecked(snapshot.templatize_prompt)
        scripts.addRow(self.templatize_check)
        self.time_entries_check = QCheckBox(
            "On Resolve and Escalate, offer a Connect&Wise time entry", self
        )
        self.time_entries_check.setObjectName("settingsTimeEntries")
        self.time_entries_check.setAccessibleName("Offer a time entry on Resolve and Escalate")
        self.time_entries_check.setToolTip(
            "For the whole team; Triage → Log time… works either way"
        )
        self.time_entries_check.setChecked(snapshot.time_entries)
        statuses.addRow(self.time_entries_check)
        storage = self._group("Storage", "settingsStorageGroup")
        self._add_config(storage, *_CONFIG_FIELDS[5])
        self.backups = BackupsPicker(self)
        self.backups.sig_restore_requested.connect(self.sig_restore_requested)
        self.backups.add_to(storage)
        for group in (anthropic, connectwise, statuses, tiers_form, scripts, storage):
            layout.addWidget(group.parentWidget())
        layout.addStretch(1)
        # small screens: the groups scroll, the error line and the buttons stay in view
        scroll = QScrollArea(self)
        scroll.setObjectName("settingsScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer.addWidget(scroll, 1)

        self.error_label = error_label(self, "settingsError")
        outer.addWidget(self.error_label)

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
        outer.addWidget(self.buttons)
        self._fit_to_screen()

    # ---- Public API

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)

    def show_test_result(self, ok: bool, message: str) -> None:
        """What Test connection (or loading boards or statuses) found, in words."""
        self.test_label.setText(("✓ " if ok else "✗ ") + message)
        set_style_property(self.test_label, "role", "success" if ok else "error")
        self.test_button.setEnabled(True)
        self.load_boards_button.setEnabled(True)

    def show_anthropic_check(self, check: AnthropicCheck) -> None:
        """What the Anthropic test found; on success the tiers offer the listed models."""
        text = ("✓ " if check.ok else "✗ ") + check.message
        if check.ok and check.models:
            self.set_models(check.models)
            ids = set(check.model_ids)
            missing = [
                f"{TIER_LABELS[name]} ({combo.currentText().strip()})"
                for name, combo in self.tier_combos.items()
                if combo.currentText().strip() not in ids
            ]
            if missing:
                text += "\nNot in the list: " + ", ".join(missing) + "."
        self.anthropic_test_label.setText(text)
        set_style_property(self.anthropic_test_label, "role", "success" if check.ok else "error")
        self.anthropic_test_button.setEnabled(True)

    def show_anthropic_failure(self, message: str) -> None:
        """The test itself failed (a locked keyring, a bug): said, never swallowed."""
        self.show_anthropic_check(AnthropicCheck(False, message, kind="other"))

    def set_models(self, models: Sequence[ModelOption]) -> None:
        """Offer ``models`` in every tier; each keeps its current value, listed or not."""
        for combo in self.tier_combos.values():
            current = combo.currentText().strip()
            combo.blockSignals(True)
            combo.clear()
            for model in models:
                combo.addItem(model.id)
                if model.display_name:
                    combo.setItemData(
                        combo.count() - 1, model.display_name, Qt.ItemDataRole.ToolTipRole
                    )
            index = combo.findText(current)
            combo.setCurrentIndex(index)
            if index < 0:
                combo.setEditText(current)
            combo.blockSignals(False)
        self.tiers_hint.setText(
            f"{len(models)} models your key may use; pick one or type a model id."
        )

    def typed_config(self) -> AppConfig:
        """The settings as typed in the dialog (not yet checked)."""
        return AppConfig(
            **{name: edit.text() for name, edit in self.config_edits.items()},
            reply_stall_timeout_s=float(self.stall_spin.value()),
        )

    def anthropic_overrides(self) -> AnthropicOverrides:
        """The Anthropic values as typed (no key typed: the stored one)."""
        return AnthropicOverrides(
            self.config_edits["anthropic_base_url"].text(),
            self.secret_fields[SecretName.ANTHROPIC_API_KEY].edit.text() or None,
        )

    def set_boards(self, boards: list[BoardOption]) -> None:
        """Fill the board list; the saved board stays selected when it still exists."""
        current = self.board_combo.currentData()
        self.board_combo.blockSignals(True)
        self.board_combo.clear()
        for board in boards:
            self.board_combo.addItem(board.name, board.id)
        index = self.board_combo.findData(current)
        self.board_combo.setCurrentIndex(max(index, 0))
        self.board_combo.blockSignals(False)
        self.load_boards_button.setEnabled(True)
        if boards:
            self._set_status_hint(f"{len(boards)} boards loaded: pick the statuses below.")
            self._board_chosen()
        else:
            self._set_status_hint("ConnectWise lists no active service boards.")

    def show_boards_failure(self, message: str) -> None:
        """Why the boards did not load, where "Loading the boards…" was; Load boards works
        again."""
        self.load_boards_button.setEnabled(True)
        self._set_status_hint(join_sentences("✗ Could not load the boards", message), error=True)

    def show_statuses_failure(self, board_id: int, message: str) -> None:
        """Why the board's statuses did not load (unless another board was picked since)."""
        if self.board_combo.currentData() != board_id:
            return
        board = self.board_combo.currentText()
        self._set_status_hint(
            join_sentences(f"✗ Could not load the statuses of “{board}”", message), error=True
        )

    def set_statuses(self, board_id: int, statuses: list[StatusOption]) -> None:
        """Fill both status lists from the board's live list (active statuses only)."""
        if self.board_combo.currentData() != board_id:
            return  # another board was picked meanwhile
        active = [s for s in statuses if not s.inactive]
        for combo in (self.resolved_combo, self.escalated_combo):
            chosen = combo.currentData()
            wanted = chosen[1].casefold() if chosen else None
            combo.clear()
            combo.addItem(NO_STATUS, None)
            for status in active:
                label = status.name + (" (closes the ticket)" if status.closed else "")
                combo.addItem(label, (status.id, status.name))
                if status.name.casefold() == wanted:
                    combo.setCurrentIndex(combo.count() - 1)
        self._set_status_hint(
            f"Statuses of “{self.board_combo.currentText()}”. A ticket on another board moves "
            "to the status of the same name there."
        )

    def overrides(self) -> PsaOverrides:
        """The ConnectWise values as typed (secrets left empty: the stored ones)."""
        config = self.typed_config()
        return PsaOverrides(
            config,
            self.secret_fields[SecretName.CW_PUBLIC_KEY].edit.text() or None,
            self.secret_fields[SecretName.CW_PRIVATE_KEY].edit.text() or None,
        )

    def status_choices(self) -> StatusChoices:
        board_id = self.board_combo.currentData()
        return StatusChoices(
            board_id if isinstance(board_id, int) else None,
            self.board_combo.currentText() if board_id is not None else "",
            self.resolved_combo.currentData(),
            self.escalated_combo.currentData(),
        )

    def showEvent(self, event: QShowEvent) -> None:
        if not self._backups_asked:
            self._backups_asked = True
            self.sig_backups_requested.emit()
        super().showEvent(event)
        self.activateWindow()
        self.secret_fields[SecretName.ANTHROPIC_API_KEY].edit.setFocus()

    # ---- Private

    def _build_anthropic_test(self, form: QFormLayout) -> None:
        self.anthropic_test_button = QPushButton("Test co&nnection", self)
        self.anthropic_test_button.setObjectName("settingsAnthropicTest")
        self.anthropic_test_button.setAccessibleName("Test the Anthropic key")
        self.anthropic_test_button.setToolTip(
            "With the key and base URL as typed (the stored key if none is): does the key "
            "work, and which models may it use. Nothing is saved."
        )
        self.anthropic_test_button.clicked.connect(self._test_anthropic)
        self.anthropic_test_label = QLabel(self)
        self.anthropic_test_label.setObjectName("settingsAnthropicTestResult")
        self.anthropic_test_label.setTextFormat(Qt.TextFormat.PlainText)  # Anthropic's words
        self.anthropic_test_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.anthropic_test_button)
        row.addStretch(1)
        form.addRow("", row)
        form.addRow("", self.anthropic_test_label)
        self.stall_spin = QSpinBox(self)
        self.stall_spin.setObjectName("settingsStallTimeout")
        self.stall_spin.setRange(*STALL_TIMEOUT_RANGE_S)
        self.stall_spin.setSuffix(" s")
        self.stall_spin.setValue(round(self._snapshot.config.reply_stall_timeout_s))
        self.stall_spin.setAccessibleName("Seconds of silence before a reply counts as stalled")
        self.stall_spin.lineEdit().setAccessibleName(self.stall_spin.accessibleName())
        self.stall_spin.setToolTip(
            "A reply that sends nothing for this long is ended and kept; Retry asks again. "
            "Raise it for a slow gateway."
        )
        buddy = QLabel("&Give up on a silent reply after", self)
        buddy.setBuddy(self.stall_spin)
        form.addRow(buddy, self.stall_spin)

    def _tier_combo(self, name: str, value: str) -> QComboBox:
        """An editable list of models: the live list after a test, any id typed by hand."""
        combo = QComboBox(self)
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)  # Enter must not add items
        combo.setObjectName(f"settingsTier_{name}")
        combo.setAccessibleName(f"Model for {TIER_LABELS[name]}")
        combo.addItem(value)
        line = combo.lineEdit()
        line.setObjectName(f"settingsTier_{name}Edit")
        line.setAccessibleName(f"Model for {TIER_LABELS[name]}")
        # a popup of matches, not inline completion: a typed prefix is never saved as the
        # longer id it happens to complete to
        completer = combo.completer()
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        return combo

    def _fit_to_screen(self) -> None:
        """Open at the preferred size, but never larger than the screen's free area."""
        available = available_geometry(self)
        width = min(PREFERRED_SIZE.width(), available.width() - 2 * SCREEN_MARGIN)
        height = min(PREFERRED_SIZE.height(), available.height() - 2 * SCREEN_MARGIN)
        self.setMinimumWidth(min(self.minimumWidth(), width))
        self.resize(width, height)

    def _build_status_pickers(self, form: QFormLayout, saved: StatusChoices) -> None:
        self.board_combo = QComboBox(self)
        self.board_combo.setObjectName("settingsStatusBoard")
        self.board_combo.setAccessibleName("Service board")
        if saved.board_id is not None:
            self.board_combo.addItem(saved.board, saved.board_id)
        self.board_combo.currentIndexChanged.connect(lambda _i: self._board_chosen())
        self.load_boards_button = QPushButton("Loa&d boards", self)
        self.load_boards_button.setObjectName("settingsLoadBoards")
        self.load_boards_button.setAccessibleName("Load the boards from ConnectWise")
        self.load_boards_button.clicked.connect(self._load_boards)
        board_row = QHBoxLayout()
        board_row.addWidget(self.board_combo, 1)
        board_row.addWidget(self.load_boards_button)
        board_label = QLabel("Bo&ard", self)
        board_label.setBuddy(self.board_combo)
        form.addRow(board_label, board_row)
        self.resolved_combo = self._status_combo(
            form, "R&esolve moves to", "settingsResolvedStatus", saved.resolved
        )
        self.escalated_combo = self._status_combo(
            form, "Escalate moves t&o", "settingsEscalatedStatus", saved.escalated
        )
        self.status_hint = QLabel(
            "Load the boards, pick one, then the statuses from its live list."
            if saved.board_id is None
            else f"Saved for the board “{saved.board}”. Load boards to change them.",
            self,
        )
        self.status_hint.setObjectName("settingsStatusHint")
        self.status_hint.setTextFormat(Qt.TextFormat.PlainText)  # ConnectWise's words and names
        self.status_hint.setProperty("role", "header-meta")
        self.status_hint.setWordWrap(True)
        form.addRow("", self.status_hint)

    def _status_combo(
        self, form: QFormLayout, label: str, object_name: str, saved: tuple[int, str] | None
    ) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(object_name)
        combo.setAccessibleName(label.replace("&", ""))
        combo.addItem(NO_STATUS, None)
        if saved is not None:
            combo.addItem(saved[1], saved)
            combo.setCurrentIndex(1)
        buddy = QLabel(label, self)
        buddy.setBuddy(combo)
        form.addRow(buddy, combo)
        return combo

    def _test_anthropic(self) -> None:
        self.anthropic_test_button.setEnabled(False)
        self.anthropic_test_label.setText("Testing…")
        set_style_property(self.anthropic_test_label, "role", "")
        self.sig_anthropic_test_requested.emit(self.anthropic_overrides())

    def _test(self) -> None:
        self.test_button.setEnabled(False)
        self.test_label.setText("Testing…")
        self.sig_test_requested.emit(self.overrides())

    def _load_boards(self) -> None:
        self.load_boards_button.setEnabled(False)
        self._set_status_hint("Loading the boards…")
        self.sig_boards_requested.emit(self.overrides())

    def _board_chosen(self) -> None:
        board_id = self.board_combo.currentData()
        if isinstance(board_id, int):
            self._set_status_hint("Loading the statuses…")
            self.sig_statuses_requested.emit(board_id, self.overrides())

    def _set_status_hint(self, text: str, *, error: bool = False) -> None:
        self.status_hint.setText(text)
        role = "error" if error else "header-meta"
        if self.status_hint.property("role") != role:
            set_style_property(self.status_hint, "role", role)

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
        secret = SecretField(
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
        config = self.typed_config()
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
            {"model_tiers": {n: c.currentText() for n, c in self.tier_combos.items()}}
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        self.sig_save_requested.emit(
            SettingsUpdate(
                config,
                tiers,
                secrets,
                run_only,
                self.status_choices(),
                self.templatize_check.isChecked(),
                self.time_entries_check.isChecked(),
            )
        )
