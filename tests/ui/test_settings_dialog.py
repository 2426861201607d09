"""The Settings dialog: masked secrets, the no-keyring path, validation that keeps input, the
Anthropic test and the model lists it fills, the ConnectWise test and board lists (and what
their failures say), and fitting a laptop screen."""

from __future__ import annotations

import json
import re

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLabel, QLineEdit

from flowpilot_desktop.anthropic_check import AnthropicCheck, ModelOption
from flowpilot_desktop.config import AppConfig
from flowpilot_desktop.credentials import NO_KEYRING_MESSAGE, KeyringStatus, SecretName
from flowpilot_desktop.model_tiers import HAIKU, SONNET, ModelTiers
from flowpilot_desktop.settings_service import SettingsSnapshot
from tests.anthropic_emulator import BAD_KEY, DEFAULT_MODELS
from tests.connectwise_emulator import (
    CLIENT_ID,
    COMPANY,
    PRIVATE_KEY,
    PUBLIC_KEY,
    standard_setup,
)
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


def test_the_stall_timeout_is_set_by_keyboard_and_kept(qtbot) -> None:
    from dataclasses import replace

    snapshot = _snapshot()
    dialog = _open(
        qtbot, replace(snapshot, config=replace(snapshot.config, reply_stall_timeout_s=40))
    )
    activate(qtbot, dialog)
    assert dialog.stall_spin.value() == 40
    qtbot.keyClick(dialog, Qt.Key.Key_G, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is dialog.stall_spin
    dialog.stall_spin.selectAll()
    qtbot.keyClicks(dialog.stall_spin, "60")
    with qtbot.waitSignal(dialog.sig_save_requested) as saved:
        qtbot.keyClick(dialog.stall_spin, Qt.Key.Key_Return)
    assert saved.args[0].config.reply_stall_timeout_s == 60.0


def test_the_time_entry_offer_is_turned_off_by_keyboard(qtbot) -> None:
    dialog = _open(qtbot, _snapshot())
    activate(qtbot, dialog)
    assert dialog.time_entries_check.isChecked()
    qtbot.keyClick(dialog, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is dialog.time_entries_check
    qtbot.waitUntil(lambda: not dialog.time_entries_check.isChecked())  # Alt+W toggles it
    with qtbot.waitSignal(dialog.sig_save_requested) as saved:
        dialog.buttons.accepted.emit()
    assert saved.args[0].time_entries is False


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


# ---- Anthropic: Test connection and the model lists it fills


def _open_settings_with_keyboard(qtbot, qloop, window) -> SettingsDialog:
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qloop.until(lambda: window.settings.dialog is not None and window.settings.dialog.isVisible())
    return window.settings.dialog


def _window_on_the_emulator(make_window, app_paths, api):
    from flowpilot_desktop.config import AppConfig, ConfigStore

    ConfigStore(app_paths.config_file).save(AppConfig(anthropic_base_url=api.base_url))
    return make_window()


def _tab_to(qtbot, widget, limit: int = 6) -> int:
    """Press Tab until ``widget`` has the focus; how many presses it took."""
    for presses in range(1, limit + 1):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if QApplication.focusWidget() is widget:
            return presses
    raise AssertionError(f"{widget.objectName()} not reached with {limit} Tabs")


def test_test_connection_lists_the_models_to_pick_a_tier_from_with_the_keyboard(
    qtbot, qloop, make_window, app_paths, api, memory_keyring
) -> None:
    window = _window_on_the_emulator(make_window, app_paths, api)
    dialog = _open_settings_with_keyboard(qtbot, qloop, window)
    chat = dialog.tier_combos["chat"]
    assert [chat.itemText(i) for i in range(chat.count())] == [SONNET], "before a test"
    key_edit = dialog.secret_fields[SecretName.ANTHROPIC_API_KEY].edit
    assert QApplication.focusWidget() is key_edit
    qtbot.keyClicks(key_edit, SECRET)
    assert _tab_to(qtbot, dialog.anthropic_test_button) == 2  # past the API base URL
    qtbot.keyClick(dialog.anthropic_test_button, Qt.Key.Key_Space)
    qloop.until(lambda: dialog.anthropic_test_label.text().startswith("✓"))
    assert dialog.anthropic_test_label.text() == "✓ The key works. 7 models available."
    assert api.model_requests[0].headers["authorization"] == f"Bearer {SECRET}"
    assert memory_keyring.passwords == {}, "testing saves nothing"
    listed = [m.id for m in DEFAULT_MODELS]
    for combo in dialog.tier_combos.values():
        assert [combo.itemText(i) for i in range(combo.count())] == listed
    assert (
        chat.currentText() == SONNET and dialog.tier_combos["fact_synthesis"].currentText() == HAIKU
    )
    assert chat.itemData(0, Qt.ItemDataRole.ToolTipRole) == DEFAULT_MODELS[0].display_name

    chat.setFocus()  # six tiers, no mnemonic each: the focus is put there, the rest is keys
    qtbot.keyClick(chat, Qt.Key.Key_Up)  # the model listed above Sonnet 5.5
    assert chat.currentText() == "claude-opus-5-5"
    qtbot.keyClick(chat, Qt.Key.Key_Return)  # the default button: Save
    qloop.until(lambda: window.settings.dialog is None)
    loaded: list = []
    window.runner.run(window.services.settings.load(), on_success=loaded.append)
    qloop.until(lambda: loaded)
    assert loaded[0].tiers.chat == "claude-opus-5-5"
    assert loaded[0].tiers.fact_synthesis == HAIKU
    assert memory_keyring.passwords[("FlowPilot Desktop", "anthropic_api_key")] == SECRET


def test_test_connection_with_a_refused_key_says_so_and_keeps_the_tiers(
    qtbot, qloop, make_window, app_paths, api
) -> None:
    window = _window_on_the_emulator(make_window, app_paths, api)
    dialog = _open_settings_with_keyboard(qtbot, qloop, window)
    qtbot.keyClicks(QApplication.focusWidget(), BAD_KEY)
    qtbot.keyClick(dialog, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # Test co&nnection
    qloop.until(lambda: dialog.anthropic_test_label.text().startswith("✗"))
    text = dialog.anthropic_test_label.text()
    assert text == "✗ The key was refused (401): it is wrong, revoked, or was not copied whole."
    assert BAD_KEY not in text and dialog.anthropic_test_button.isEnabled()
    assert (
        dialog.tier_combos["chat"].count() == 1
        and dialog.tier_combos["chat"].currentText() == SONNET
    )
    dialog.reject()


def test_a_tier_keeps_a_model_the_list_does_not_have_and_takes_a_typed_id(qtbot) -> None:
    from dataclasses import replace

    dialog = _open(qtbot, replace(_snapshot(), tiers=ModelTiers(chat="claude-gateway-alias")))
    dialog.show_anthropic_check(
        AnthropicCheck(
            True,
            "The key works. 2 models available.",
            (
                ModelOption("claude-opus-5-5", "Claude Opus 5.5"),
                ModelOption(SONNET, "Claude Sonnet 5.5"),
            ),
        )
    )
    chat = dialog.tier_combos["chat"]
    assert chat.currentText() == "claude-gateway-alias" and chat.count() == 2
    assert dialog.tier_combos["resolution_note"].currentText() == SONNET
    assert "Not in the list: Chat (claude-gateway-alias), Fact synthesis (claude-haiku-5-5)." in (
        dialog.anthropic_test_label.text()
    )
    edit = dialog.tier_combos["script_building"]
    edit.setFocus()
    edit.lineEdit().selectAll()
    qtbot.keyClicks(edit.lineEdit(), "claude-opus-5")  # a prefix of a listed id, typed by hand
    assert edit.count() == 2, "typing adds nothing to the list"
    with qtbot.waitSignal(dialog.sig_save_requested) as saved:
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    tiers = saved.args[0].tiers
    assert tiers.chat == "claude-gateway-alias" and tiers.script_building == "claude-opus-5"


def test_the_test_sends_what_is_typed_and_a_failure_is_shown(qtbot) -> None:
    dialog = _open(qtbot, _snapshot(present=True))
    qtbot.keyClicks(dialog.config_edits["anthropic_base_url"], "https://gateway.example")
    with qtbot.waitSignal(dialog.sig_anthropic_test_requested) as asked:
        qtbot.mouseClick(dialog.anthropic_test_button, Qt.MouseButton.LeftButton)
    assert asked.args[0].base_url == "https://gateway.example"
    assert asked.args[0].api_key is None, "nothing typed: the stored key"
    assert not dialog.anthropic_test_button.isEnabled()
    assert dialog.anthropic_test_label.text() == "Testing…"
    dialog.show_anthropic_failure("The system keyring is locked.")
    assert dialog.anthropic_test_label.text() == "✗ The system keyring is locked."
    assert dialog.anthropic_test_button.isEnabled()


def test_mnemonics_in_settings_are_unique(qtbot) -> None:
    dialog = _open(qtbot, _snapshot(keyring_ok=False))
    texts = [label.text() for label in dialog.findChildren(QLabel) if label.buddy() is not None]
    texts += [button.text() for button in dialog.findChildren(QAbstractButton)]
    letters = [m.group(1).lower() for t in texts for m in re.finditer(r"&([^&])", t)]
    assert "n" in letters  # Test co&nnection (Anthropic)
    assert sorted(letters) == sorted(set(letters)), letters


# ---- ConnectWise: Test connection, the board and status lists, and what failures say


def _window_on_connectwise(make_window, app_paths, memory_keyring, cw):
    from flowpilot_desktop.config import AppConfig, ConfigStore

    standard_setup(cw)
    ConfigStore(app_paths.config_file).save(
        AppConfig(cw_site=cw.site, cw_company_id=COMPANY, cw_client_id=CLIENT_ID)
    )
    memory_keyring.set_password("FlowPilot Desktop", "cw_public_key", PUBLIC_KEY)
    memory_keyring.set_password("FlowPilot Desktop", "cw_private_key", PRIVATE_KEY)
    return make_window()


def test_a_failed_load_boards_says_why_and_loading_again_works(
    qtbot, qloop, make_window, app_paths, memory_keyring, cw
) -> None:
    window = _window_on_connectwise(make_window, app_paths, memory_keyring, cw)
    dialog = _open_settings_with_keyboard(qtbot, qloop, window)
    refused = {"code": "Forbidden", "message": "<b>No access</b> for <username>", "errors": None}
    cw.fail_next(403, path_contains="service/boards", text=json.dumps(refused))
    qtbot.keyClick(dialog, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # Loa&d boards
    hint = dialog.status_hint
    asked = lambda: cw.api_requests("GET", "service/boards")  # noqa: E731
    qloop.until(lambda: asked() and dialog.load_boards_button.isEnabled())  # answered
    assert hint.text() == (
        "✗ Could not load the boards. The ConnectWise API member has no permission for this "
        "(security role). ConnectWise said: <b>No access</b> for <username>."
    )
    assert hint.textFormat() == Qt.TextFormat.PlainText, "ConnectWise's words, shown as text"
    assert hint.property("role") == "error"

    qtbot.keyClick(dialog, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # again: it works
    qloop.until(lambda: hint.text().startswith("Statuses of"))
    assert hint.text().startswith("Statuses of “Help Desk”.")
    assert hint.property("role") == "header-meta"
    board = dialog.board_combo
    assert [board.itemText(i) for i in range(board.count())] == ["Help Desk", "Projects"]
    dialog.reject()


def test_a_failed_status_list_says_why_for_the_board_picked(
    qtbot, qloop, make_window, app_paths, memory_keyring, cw
) -> None:
    window = _window_on_connectwise(make_window, app_paths, memory_keyring, cw)
    dialog = _open_settings_with_keyboard(qtbot, qloop, window)
    qtbot.keyClick(dialog, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # Loa&d boards
    qloop.until(lambda: dialog.status_hint.text().startswith("Statuses of “Help Desk”"))
    cw.fail_next(403, path_contains="/statuses")
    qtbot.keyClick(dialog, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # Bo&ard
    assert QApplication.focusWidget() is dialog.board_combo
    qtbot.keyClick(dialog.board_combo, Qt.Key.Key_Down)  # Projects
    qloop.until(lambda: dialog.status_hint.text().startswith("✗"))
    assert dialog.status_hint.text() == (
        "✗ Could not load the statuses of “Projects”. The ConnectWise API member has no "
        "permission for this (security role). ConnectWise said: Injected 403."
    )
    assert dialog.status_hint.property("role") == "error"
    dialog.reject()


def test_a_404_after_a_working_test_connection_does_not_blame_the_settings(
    qtbot, qloop, make_window, app_paths, memory_keyring, cw
) -> None:
    """The "first call" hint is for settings that never worked: not after a working test."""
    window = _window_on_connectwise(make_window, app_paths, memory_keyring, cw)
    dialog = _open_settings_with_keyboard(qtbot, qloop, window)
    qtbot.keyClick(dialog, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)  # &Test connection
    qloop.until(lambda: dialog.test_label.text().startswith("✓"))
    cw.fail_next(404, path_contains="service/boards")
    qtbot.keyClick(dialog, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # Loa&d boards
    asked = lambda: cw.api_requests("GET", "service/boards")  # noqa: E731
    qloop.until(lambda: asked() and dialog.load_boards_button.isEnabled())  # answered
    assert dialog.status_hint.text() == (
        "✗ Could not load the boards. ConnectWise: not found. ConnectWise said: Injected 404."
    )
    assert dialog.test_label.text().startswith("✓ Connected"), "the test's answer stays"
    dialog.reject()


def test_test_connection_before_connectwise_is_set_up_says_what_to_add(
    qtbot, qloop, make_window
) -> None:
    """An expected answer in plain words, without pointing at the log file."""
    window = make_window()
    dialog = _open_settings_with_keyboard(qtbot, qloop, window)
    qtbot.keyClick(dialog, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)  # &Test connection
    qloop.until(lambda: dialog.test_label.text().startswith("✗"))
    assert dialog.test_label.text() == (
        "✗ ConnectWise is not set up: add the site, company id, public key, private key, "
        "client id in Settings."
    )
    assert dialog.test_button.isEnabled()
    dialog.reject()


# ---- A 1366×768 laptop


def test_settings_fits_a_1366x768_laptop_with_the_buttons_in_view(qtbot, monkeypatch) -> None:
    import ui.settings_dialog

    laptop = QRect(0, 0, 1366, 728)  # 768 less a 40 px task bar
    monkeypatch.setattr(ui.settings_dialog, "available_geometry", lambda _widget: laptop)
    dialog = _open(qtbot, _snapshot(keyring_ok=False))
    assert dialog.width() <= laptop.width() - 48 and dialog.height() <= laptop.height() - 48
    assert dialog.height() >= 600, "still roomy"
    inside = dialog.rect()
    for name in ("settingsSave", "settingsCancel"):
        button = dialog.findChild(QAbstractButton, name)
        assert button.isVisible()
        top_left = button.mapTo(dialog, QPoint(0, 0))
        assert inside.contains(QRect(top_left, button.size())), name
    scroll = dialog.findChild(QLabel, "settingsKeyringStatus").parentWidget().parentWidget()
    assert scroll.objectName() == "qt_scrollarea_viewport"
    assert dialog.findChild(QComboBox, "settingsTier_chat") is not None
    bar = scroll.parentWidget().verticalScrollBar()
    assert bar.maximum() > 0, "the groups scroll"


def test_settings_opens_inside_the_real_screen(qtbot) -> None:
    dialog = _open(qtbot, _snapshot())
    available = dialog.screen().availableGeometry()
    assert dialog.frameGeometry().height() <= available.height()
    assert dialog.frameGeometry().width() <= available.width()
    assert dialog.buttons.isVisible()
