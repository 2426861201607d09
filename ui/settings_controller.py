"""The Settings dialog's conversations with the services: load, save, test the Anthropic key and
the ConnectWise connection with what is typed, the live board and status lists, and the
database's copies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from flowpilot_desktop.services import AppServices
from flowpilot_desktop.settings_service import SettingsSnapshot, SettingsUpdate
from ui.ops import TaskRunner, describe_error
from ui.settings_dialog import SettingsDialog


class SettingsController(QObject):
    sig_message = Signal(str)
    """A short confirmation for the status bar."""
    sig_saved = Signal()
    """Settings were saved (keys may have changed)."""

    def __init__(self, window: QWidget, services: AppServices, runner: TaskRunner) -> None:
        super().__init__(window)
        self._window = window
        self._services = services
        self._runner = runner
        self.dialog: SettingsDialog | None = None

    def open(self) -> None:
        """Open Settings, or bring the open one to the front."""
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        self._runner.run(
            self._services.settings.load(),
            on_success=self._show,
            title="Could not read the settings",
            owner=self,
        )

    # ---- Private

    def _show(self, snapshot: SettingsSnapshot) -> None:
        dialog = SettingsDialog(snapshot, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog = dialog
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))

        def save(update: SettingsUpdate) -> None:
            self._runner.run(
                self._services.settings.save(update),
                on_success=lambda _none: self._saved(dialog),
                on_failure=lambda error: dialog.show_error(describe_error(error)),
                owner=dialog,
            )

        dialog.sig_save_requested.connect(save)
        self._connect_anthropic(dialog)
        self._connect_psa(dialog)
        self._connect_backups(dialog)
        dialog.open()

    def _saved(self, dialog: SettingsDialog) -> None:
        dialog.accept()
        self.sig_saved.emit()
        self.sig_message.emit("Settings saved.")

    def _connect_anthropic(self, dialog: SettingsDialog) -> None:
        """Test connection for the Anthropic key as typed: the answer, and the models to pick."""
        settings = self._services.settings
        dialog.sig_anthropic_test_requested.connect(
            lambda overrides: self._runner.run(
                settings.test_anthropic(overrides),
                on_success=dialog.show_anthropic_check,
                on_failure=lambda error: dialog.show_anthropic_failure(describe_error(error)),
                owner=dialog,
            )
        )

    def _connect_psa(self, dialog: SettingsDialog) -> None:
        """Test connection and the live board/status lists, with what is typed in Settings;
        each failure is said where that request was made."""
        psa = self._services.psa

        def run(coro: object, shown: Callable[..., None], failed: Callable[[str], None]) -> None:
            self._runner.run(
                coro,  # type: ignore[arg-type]
                on_success=shown,
                on_failure=lambda error: failed(describe_error(error)),
                owner=dialog,
            )

        dialog.sig_test_requested.connect(
            lambda overrides: run(
                psa.test_connection(overrides),
                lambda text: dialog.show_test_result(True, text),
                lambda message: dialog.show_test_result(False, message),
            )
        )
        dialog.sig_boards_requested.connect(
            lambda overrides: run(
                psa.boards(overrides), dialog.set_boards, dialog.show_boards_failure
            )
        )
        dialog.sig_statuses_requested.connect(
            lambda board_id, overrides: run(
                psa.board_statuses(board_id, overrides),
                lambda statuses: dialog.set_statuses(board_id, statuses),
                lambda message: dialog.show_statuses_failure(board_id, message),
            )
        )

    def _connect_backups(self, dialog: SettingsDialog) -> None:
        care = self._services.database_care

        def chosen(_none: None) -> None:
            message = (
                "The copy will be restored the next time FlowPilot starts (the current database "
                "is kept beside it). Quit and start FlowPilot again to do it now."
            )
            dialog.backups.show_result(True, message)
            self.sig_message.emit(message)

        dialog.sig_backups_requested.connect(
            lambda: self._runner.run(
                care.backups(),
                on_success=dialog.backups.set_backups,
                owner=dialog,
                title="Could not list the database copies",
            )
        )
        dialog.sig_restore_requested.connect(
            lambda path: self._runner.run(
                care.restore_at_next_start(Path(path)),
                on_success=chosen,
                on_failure=lambda error: dialog.backups.show_result(False, describe_error(error)),
                owner=dialog,
            )
        )
