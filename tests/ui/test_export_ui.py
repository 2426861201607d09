"""Export and read back (issue 19) as a technician does it: Copy session as Markdown fills the
clipboard, Ctrl+Shift+S asks where and writes the file (a failure is said plainly), and the
posted notes of a concluded session open with their ConnectWise id and time, each copyable."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from storage.repositories import facts, messages
from storage.repositories import sessions as session_repository
from tests.ui.helpers import activate
from ui.posted_notes_dialog import PostedNotesDialog

SECRET = "Hunter2!x"
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
NOTE = (
    "## Problem\nOutlook prompts <b>bold?</b> <username>\n\n"
    "![x](file:///etc/passwd)\n\n## Resolution\nCleared the cached token."
)


@pytest.fixture
def window(session_window, qloop):
    """A window on "Outlook prompts" (#5123) with a message and a fact holding a password."""
    window = session_window("Outlook prompts", "5123")
    session_id = window.current_session().id

    def fill(s) -> None:
        messages.add_message(s, session_id, "user", content=f"It prompts. Password={SECRET}")
        facts.add_fact(s, session_id, f"The old login was Password={SECRET}", "engineer_note")

    window.services.database.run_sync(fill)
    return window


def _conclude_and_post(qloop, window) -> str:
    """The session resolved and its note posted as ConnectWise note 88121 (as the outbox
    worker would leave it), announced the way the worker announces it."""
    session_id = window.current_session().id

    def write(s) -> None:
        session_repository.conclude_session(
            s, session_id, status="resolved", note_kind="resolution", text=NOTE
        )
        session_repository.mark_note_posted(
            s,
            session_id,
            note_kind="resolution",
            external_id="88121",
            posted_at=datetime(2025, 3, 4, 15, 42, tzinfo=UTC),
        )

    window.services.database.run_sync(write)
    window.services.changes.sync_moved(session_id)
    qloop.until(lambda: window.registry.is_enabled("session.posted_notes"))
    return session_id


def test_copy_session_puts_scrubbed_markdown_on_the_clipboard(qtbot, qloop, window) -> None:
    QGuiApplication.clipboard().clear()
    assert window.registry.trigger("session.copy_markdown")

    qloop.until(lambda: QGuiApplication.clipboard().text().startswith("# Outlook prompts"))
    copied = QGuiApplication.clipboard().text()
    assert "Ticket #5123" in copied and "## Conversation" in copied
    assert SECRET not in copied and "Password=[password #1]" in copied
    assert "copied as Markdown" in window.statusBar().currentMessage()


def test_ctrl_shift_s_asks_where_and_writes_the_file(qtbot, qloop, window, tmp_path) -> None:
    qtbot.keyClick(window, Qt.Key.Key_S, CTRL_SHIFT)

    qloop.until(lambda: window.exports.file_dialog is not None)
    dialog = window.exports.file_dialog
    qtbot.waitExposed(dialog)
    assert dialog.selectedFiles()[0].endswith("ticket-5123-outlook-prompts.md")
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "ticket-5123-outlook-prompts.md"
    dialog.setDirectory(str(folder))
    dialog.selectFile(str(target))
    dialog.accept()

    qloop.until(target.exists)
    written = target.read_text(encoding="utf-8")
    assert written.startswith("# Outlook prompts") and "## What we know" in written
    assert SECRET not in written
    assert str(target) in window.statusBar().currentMessage()
    assert [path.name for path in folder.iterdir()] == [target.name]


def test_a_failed_export_is_said_plainly(
    qtbot, qloop, window, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    assert window.registry.trigger("session.export")
    qloop.until(lambda: window.exports.file_dialog is not None)
    dialog = window.exports.file_dialog
    qtbot.waitExposed(dialog)
    target = tmp_path / "export.md"
    dialog.selectFile(str(target))
    dialog.accept()

    def error_box() -> QMessageBox | None:
        boxes = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox"]
        return boxes[0] if boxes and boxes[0].isVisible() else None

    qloop.until(error_box)
    box = error_box()
    assert box is not None
    assert "Could not export the session" in box.windowTitle() + box.text()
    assert "No space left on device" in box.text()
    assert not target.exists()


def test_posted_notes_shows_the_note_with_its_id_and_copy_copies_it(qtbot, qloop, window) -> None:
    assert not window.registry.is_enabled("session.posted_notes")  # not concluded yet
    _conclude_and_post(qloop, window)
    activate(qtbot, window)

    assert window.registry.trigger("session.posted_notes")
    qloop.until(lambda: window.exports.posted_notes_dialog is not None)
    dialog = window.exports.posted_notes_dialog
    assert isinstance(dialog, PostedNotesDialog)
    qtbot.waitExposed(dialog)
    where = dialog.findChild(QLabel, "postedNoteWhere")
    assert where.text() == (
        "Posted to ConnectWise ticket #5123 as note 88121 on 2025-03-04 15:42 UTC."
    )
    shown = dialog.findChild(QLabel, "postedNoteText")
    # outside text is shown as data: the tags as typed, the image as a name, nothing loaded
    rendered = shown.text()
    assert "&lt;b&gt;bold?&lt;/b&gt;" in rendered and "&lt;username&gt;" in rendered
    assert "<img" not in rendered and "[image: x]" in rendered

    QGuiApplication.clipboard().clear()
    copy = dialog.views[0].copy_button
    assert copy.objectName() == "postedNoteCopy"
    assert copy.hasFocus()
    qtbot.keyClick(copy, Qt.Key.Key_Space)
    assert QGuiApplication.clipboard().text() == NOTE
    assert copy.text() == "Copied"


def test_the_posted_notes_dialog_fits_a_laptop_screen(qtbot, qloop, window) -> None:
    _conclude_and_post(qloop, window)
    window.resize(1366, 768)
    assert window.registry.trigger("session.posted_notes")
    qloop.until(lambda: window.exports.posted_notes_dialog is not None)
    dialog = window.exports.posted_notes_dialog
    qtbot.waitExposed(dialog)
    assert dialog.width() <= 1366 and dialog.height() <= 768
    if os.environ.get("FLOWPILOT_SCREENSHOTS"):
        dialog.grab().save(str(Path(os.environ["FLOWPILOT_SCREENSHOTS"]) / "posted.png"))
