"""Settings → Storage → Backups: the database's copies, newest first, and Restore at next
start (the copy is put back before anything opens the database)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from flowpilot_desktop.database_care import BackupInfo
from ui.theme import set_style_property


class BackupsPicker(QWidget):
    sig_restore_requested = Signal(str)
    """Restore this copy (its path) at the next start."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("settingsBackupsRow")
        self.combo = QComboBox(self)
        self.combo.setObjectName("settingsBackups")
        self.combo.setAccessibleName("Copies of the database")
        self.combo.addItem("Loading…")
        self.combo.setEnabled(False)
        self.restore_button = QPushButton("Restore at next start…", self)
        self.restore_button.setObjectName("settingsRestoreBackup")
        self.restore_button.setAccessibleName("Restore the chosen copy when FlowPilot next starts")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self._restore)
        self.result_label = QLabel(parent)
        self.result_label.setObjectName("settingsRestoreResult")
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)
        self.result_label.setWordWrap(True)
        self.result_label.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        row.addWidget(self.restore_button)

    def add_to(self, form: QFormLayout) -> None:
        """Its rows in the Storage group: the picker, a note, the result line."""
        label = QLabel("&Backups", self.parentWidget())
        label.setBuddy(self.combo)
        note = QLabel(
            "FlowPilot copies the local database once a day and keeps the last 7 (and a copy "
            "before every upgrade).",
            self.parentWidget(),
        )
        note.setTextFormat(Qt.TextFormat.PlainText)
        note.setWordWrap(True)
        note.setProperty("role", "header-meta")
        form.addRow(label, self)
        form.addRow("", note)
        form.addRow("", self.result_label)

    def set_backups(self, backups: list[BackupInfo]) -> None:
        """The copies of the local database, newest first."""
        self.combo.clear()
        for backup in backups:
            kind = "daily copy" if backup.kind == "daily" else "before an upgrade"
            label = f"{backup.when:%Y-%m-%d %H:%M} · {kind} · {backup.size / 1_048_576:.1f} MB"
            self.combo.addItem(label, str(backup.path))
        self.combo.setEnabled(bool(backups))
        self.restore_button.setEnabled(bool(backups))
        if not backups:
            self.combo.addItem("No copies yet (the first is made today)")

    def show_result(self, ok: bool, message: str) -> None:
        self.result_label.setText(message)
        set_style_property(self.result_label, "role", "success" if ok else "error")
        self.result_label.show()

    def _restore(self) -> None:
        path = self.combo.currentData()
        if path:
            self.sig_restore_requested.emit(str(path))
