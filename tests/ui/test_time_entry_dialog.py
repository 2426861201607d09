"""The time entry form as a technician uses it (issue 21): keys first — the duration has
focus, Enter posts the edited entry, Shift+Enter is a new line in the notes, Esc skips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from flowpilot_desktop.time_entries import TimeEntryDraft, WorkOptions
from psa.provider import BillableOption, WorkOption
from ui.time_entry_dialog import TimeEntryDialog

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
OPTIONS = WorkOptions(
    [WorkOption(1, "Remote Support", "Billable"), WorkOption(2, "Onsite", "Billable")],
    [WorkOption(10, "Technician"), WorkOption(11, "Senior Engineer")],
)


def draft(**changes: object) -> TimeEntryDraft:
    values: dict[str, object] = {
        "session_id": "s1",
        "ticket_id": 5123,
        "time_start": START,
        "time_end": START + timedelta(minutes=25),
        "notes": "Cleared the <b>token</b>.",
        "work_type_id": 2,
        "work_role_id": None,
        "billable": BillableOption.NO_CHARGE,
        **changes,
    }
    return TimeEntryDraft(**values)  # type: ignore[arg-type]


def open_dialog(qtbot, **changes: object) -> TimeEntryDialog:
    dialog = TimeEntryDialog(draft(**changes), OPTIONS)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    return dialog


def test_prefilled_from_the_draft_with_live_lists(qtbot) -> None:
    dialog = open_dialog(qtbot)
    assert dialog.objectName() == "timeEntryDialog"
    assert dialog.windowTitle() == "Log time on ticket #5123"
    minutes = dialog.findChild(type(dialog.minutes), "timeEntryMinutes")
    assert minutes is dialog.minutes and minutes.value() == 25
    assert dialog.work_type.currentText() == "Onsite"
    assert [dialog.work_type.itemText(i) for i in range(dialog.work_type.count())] == [
        "ConnectWise default",
        "Remote Support",
        "Onsite",
    ]
    assert dialog.work_role.currentText() == "ConnectWise default"
    assert dialog.billable.currentText() == "No charge"
    assert dialog.notes.toPlainText() == "Cleared the <b>token</b>."  # plain text, not HTML
    assert dialog.focusWidget() is dialog.minutes


def test_typing_a_duration_and_enter_posts_the_edited_entry(qtbot) -> None:
    dialog = open_dialog(qtbot)
    posted: list[TimeEntryDraft] = []
    dialog.sig_post.connect(posted.append)
    qtbot.keyClicks(dialog.minutes, "90")
    qtbot.keyClick(dialog.minutes, Qt.Key.Key_Return)
    (entry,) = posted
    assert (entry.time_start, entry.time_end) == (START, START + timedelta(minutes=90))
    assert (entry.work_type_id, entry.work_role_id, entry.billable) == (
        2,
        None,
        BillableOption.NO_CHARGE,
    )
    assert not dialog.isVisible()


def test_enter_in_the_notes_posts_and_shift_enter_breaks_the_line(qtbot) -> None:
    dialog = open_dialog(qtbot)
    posted: list[TimeEntryDraft] = []
    dialog.sig_post.connect(posted.append)
    dialog.notes.setFocus()
    dialog.notes.moveCursor(dialog.notes.textCursor().MoveOperation.End)
    qtbot.keyClick(dialog.notes, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(dialog.notes, "Confirmed.")
    assert posted == []
    qtbot.keyClick(dialog.notes, Qt.Key.Key_Return)
    (entry,) = posted
    assert entry.notes == "Cleared the <b>token</b>.\nConfirmed."


def test_choosing_a_role_by_keyboard(qtbot) -> None:
    dialog = open_dialog(qtbot)
    posted: list[TimeEntryDraft] = []
    dialog.sig_post.connect(posted.append)
    dialog.work_role.setFocus()
    qtbot.keyClick(dialog.work_role, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.work_role, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.work_role, Qt.Key.Key_Return)
    assert posted[0].work_role_id == 11


def test_escape_skips_without_posting(qtbot) -> None:
    dialog = open_dialog(qtbot)
    posted: list[TimeEntryDraft] = []
    skipped: list[bool] = []
    dialog.sig_post.connect(posted.append)
    dialog.sig_skipped.connect(lambda: skipped.append(True))
    qtbot.keyClick(dialog.minutes, Qt.Key.Key_Escape)
    assert posted == [] and skipped == [True]
    assert not dialog.isVisible()
