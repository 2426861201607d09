"""Export the selected session as Markdown, copy it, or read back the notes it posted
(issue 19). The document comes from ``SessionExportService`` (scrubbed there); a failure
(a full disk, a folder without write access) reaches the window's error presenter through
the TaskRunner, in the service's plain words.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget

from flowpilot_desktop.session_export import PostedNote, SessionExportService, default_file_name
from ui.ops import TaskRunner
from ui.posted_notes_dialog import PostedNotesDialog
from ui.session_state import SessionState


class ExportController(QObject):
    sig_message = Signal(str)
    """An export or copy finished: a short confirmation for the status bar."""

    def __init__(
        self,
        window: QWidget,
        service: SessionExportService,
        runner: TaskRunner,
        state: SessionState,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._service = service
        self._runner = runner
        self._state = state
        self._folder: Path | None = None  # where the last export went, offered next time
        self.file_dialog: QFileDialog | None = None
        self.posted_notes_dialog: PostedNotesDialog | None = None

    # ---- Public API

    def export_markdown(self) -> None:
        """Ask where to save the selected session, then write it there."""
        session = self._state.current
        if session is None:
            return
        dialog = QFileDialog(self._window, "Export session as Markdown")
        dialog.setObjectName("exportFileDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setNameFilters(["Markdown (*.md)", "All files (*)"])
        dialog.setDefaultSuffix("md")
        dialog.setDirectory(str(self._folder or _documents_folder()))
        dialog.selectFile(default_file_name(session.title, session.ticket_ref))
        dialog.fileSelected.connect(lambda name: self._export(session.id, Path(name)))
        self.file_dialog = dialog
        dialog.open()

    def copy_markdown(self) -> None:
        """Put the selected session's Markdown on the clipboard."""
        session = self._state.current
        if session is None:
            return
        self._runner.run(
            self._service.markdown(session.id),
            on_success=self._copied,
            title="Could not copy the session",
            owner=self,
        )

    def show_posted_notes(self) -> None:
        """Open the notes the selected session posted (or is posting)."""
        session = self._state.current
        if session is None:
            return
        title = session.title
        self._runner.run(
            self._service.posted_notes(session.id),
            on_success=lambda notes: self._show_notes(title, notes),
            title="Could not read the posted notes",
            owner=self,
        )

    # ---- Private

    def _export(self, session_id: str, path: Path) -> None:
        self._runner.run(
            self._service.export_to(session_id, path),
            on_success=self._exported,
            title="Could not export the session",
            owner=self,
        )

    def _exported(self, path: Path) -> None:
        self._folder = path.parent
        self.sig_message.emit(f"Session exported to {path}.")

    def _copied(self, markdown: str) -> None:
        QGuiApplication.clipboard().setText(markdown)
        self.sig_message.emit("Session copied as Markdown.")

    def _show_notes(self, title: str, notes: list[PostedNote]) -> None:
        if not notes:
            self.sig_message.emit("This session has no note yet: it is not resolved or escalated.")
            return
        dialog = PostedNotesDialog(title, notes, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.posted_notes_dialog = dialog
        dialog.open()


def _documents_folder() -> Path:
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(found) if found else Path.home()
    return folder if folder.is_dir() else Path.home()
