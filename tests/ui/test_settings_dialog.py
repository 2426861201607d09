"""The Settings dialog: masked secrets, the no-keyring path, validation that keeps input."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit

from flowpilot_desktop.config import AppConfig
from flowpilot_desktop.credentials import NO_KEYRING_MESSAGE, KeyringStatus, SecretName
from flowpilot_desktop.model_tiers import ModelTiers
from flowpilot_desktop.settings_service import SettingsSnapshot
from tests.ui.helpers import activate
from ui.settings_dialog import SettingsDialog

SECRET = "sk-ant-typed-in-dialog-123"


def _snapshot(*, keyring_ok: bool = True, present: bool = False) -> SettingsSnapshot:
    return SettingsSnapshot(
        config=AppConfig(cw_site="api-na.myconnectwise.net"),
        tiers=ModelTiers(),
        secrets_present={name: present for name in SecretName},
        secrets_run_only={name: False for name in SecretName},
        keyring=KeyringStatus(True, "the Secret Service keyring", "Secrets are stored in X.")
        if keyring_ok
        else KeyringStatus(False, "Keyring", NO_KEYRING_MESSAGE),
    )


def _open(qtbot, snapshot: SettingsSnapshot) -> SettingsDialog:
    dialog = SettingsDialog(snapshot)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_secrets_are_masked_and_never_prefilled(qtbot) -> None:
    dialog = _open(qtbot, _snapshot(present=True))
    for field in dialog.secret_fields.values():
        assert field.edit.echoMode() == QLineEdit.EchoMode.Password
        assert field.edit.text() == ""
        assert "Stored in the system keyring" in field.edit.placeholderText()


def test_typing_a_key_and_saving_emits_the_update(qtbot) -> None:
    dialog = _open(qtbot, _snapshot())
    activate(qtbot, dialog)
    assert QApplication.focusWidget() is dialog.secret_fields[SecretName.ANTHROPIC_API_KEY].edit
    qtbot.keyClicks(QApplication.focusWidget(), SECRET)
    dialog.config_edits["cw_company_id"].setFocus()
    qtbot.keyClicks(dialog.config_edits["cw_company_id"], "acme")
    with qtbot.waitSignal(dialog.sig_save_requested) as saved:
        qtbot.keyClick(dialog.config_edits["cw_company_id"], Qt.Key.Key_Return)
    update = saved.args[0]
    assert update.secrets == {SecretName.ANTHROPIC_API_KEY: SECRET}
    assert (
        update.config.cw_company_id == "acme"
        and update.config.cw_site == "api-na.myconnectwise.net"
    )
    assert not update.run_only
    assert update.templatize_prompt is True


def test_the_templatize_prompt_can_be_turned_back_on(qtbot) -> None:
    from dataclasses import replace

    dialog = _open(qtbot, replace(_snapshot(), templatize_prompt=False))
    assert not dialog.templatize_check.isChecked()
    dialog.templatize_check.setFocus()
    qtbot.keyClick(dialog.templatize_check, Qt.Key.Key_Space)
    with qtbot.waitSignal(dialog.sig_save_requested) as saved:
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert saved.args[0].templatize_prompt is True


def test_clear_marks_a_stored_secret_for_removal(qtbot) -> None:
    dialog = _open(qtbot, _snapshot(present=True))
    qtbot.mouseClick(
        dialog.secret_fields[SecretName.CW_PUBLIC_KEY].clear_button, Qt.MouseButton.LeftButton
    )
    with qtbot.waitSignal(dialog.sig_save_requested) as saved:
        dialog.buttons.accepted.emit()
    assert saved.args[0].secrets == {SecretName.CW_PUBLIC_KEY: None}


def test_invalid_base_url_keeps_the_dialog_open_with_input_kept(qtbot) -> None:
    dialog = _open(qtbot, _snapshot())
    qtbot.keyClicks(dialog.config_edits["anthropic_base_url"], "gateway.local")
    qtbot.keyClicks(dialog.secret_fields[SecretName.ANTHROPIC_API_KEY].edit, SECRET)
    with qtbot.assertNotEmitted(dialog.sig_save_requested):
        dialog.buttons.accepted.emit()
    assert dialog.isVisible() and dialog.error_label.isVisible()
    assert "https://" in dialog.error_label.text()
    assert dialog.config_edits["anthropic_base_url"].text() == "gateway.local"
    assert dialog.secret_fields[SecretName.ANTHROPIC_API_KEY].edit.text() == SECRET


def test_without_keyring_secrets_need_the_run_only_choice(qtbot) -> None:
    dialog = _open(qtbot, _snapshot(keyring_ok=False))
    assert dialog.keyring_label.text() == NO_KEYRING_MESSAGE
    assert dialog.run_only_check.isVisible()
    qtbot.keyClicks(dialog.secret_fields[SecretName.ANTHROPIC_API_KEY].edit, SECRET)
    with qtbot.assertNotEmitted(dialog.sig_save_requested):
        dialog.buttons.accepted.emit()
    assert "this run only" in dialog.error_label.text()
    dialog.run_only_check.setChecked(True)
    with qtbot.waitSignal(dialog.sig_save_requested) as saved:
        dialog.buttons.accepted.emit()
    assert saved.args[0].run_only and saved.args[0].secrets[SecretName.ANTHROPIC_API_KEY] == SECRET


def test_every_control_is_named_for_tests_and_screen_readers(qtbot) -> None:
    dialog = _open(qtbot, _snapshot(keyring_ok=False))
    controls = dialog.findChildren(QLineEdit) + dialog.findChildren(QAbstractButton)
    unnamed = [c for c in controls if not (c.objectName() and c.accessibleName())]
    unnamed = [c for c in unnamed if not isinstance(c.parent(), QLineEdit)]  # Qt's own parts
    assert unnamed == []


def test_window_settings_flow_stores_the_key_in_the_keyring(
    qtbot, qloop, make_window, memory_keyring
) -> None:
    window = make_window()
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qloop.until(
        lambda: (
            window.findChildren(SettingsDialog)
            and window.findChildren(SettingsDialog)[0].isVisible()
        )
    )
    dialog = window.findChildren(SettingsDialog)[0]
    qtbot.keyClicks(dialog.secret_fields[SecretName.ANTHROPIC_API_KEY].edit, SECRET)
    dialog.buttons.accepted.emit()
    qloop.until(lambda: not window.findChildren(SettingsDialog))
    assert memory_keyring.passwords[("FlowPilot Desktop", "anthropic_api_key")] == SECRET
    assert window.statusBar().currentMessage() == "Settings saved."
    database = window.services.paths.database_file.read_bytes()
    assert SECRET.encode() not in database


def test_a_backup_is_chosen_for_the_next_start_from_settings(qtbot, qloop, make_window) -> None:
    """Settings lists the database's copies; Restore at next start remembers the choice."""
    import json

    from storage.backups import make_daily_backup

    window = make_window()
    paths = window.services.paths
    make_daily_backup(paths.database_file, paths.backup_dir)
    window.open_settings()
    qloop.until(lambda: window.settings.dialog is not None)
    dialog = window.settings.dialog
    qloop.until(lambda: dialog.backups.combo.isEnabled())
    assert "daily copy" in dialog.backups.combo.currentText()
    dialog.backups.restore_button.setFocus()
    qtbot.keyClick(dialog.backups.restore_button, Qt.Key.Key_Space)
    qloop.until(lambda: dialog.backups.result_label.isVisible())
    assert "next time FlowPilot starts" in dialog.backups.result_label.text()
    marker = json.loads((paths.data_dir / "restore-on-next-start.json").read_text())
    assert marker["backup"].endswith(".sqlite3")
    dialog.reject()
