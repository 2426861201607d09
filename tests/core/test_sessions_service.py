"""SessionService: validation of what the technician types, and the change records it returns."""

from __future__ import annotations

import asyncio

import pytest

from flowpilot_desktop.changes import ChangeKind
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.sessions import SessionService, clean_title, parse_ticket_ref
from storage.database import Database


@pytest.fixture
def service(engine):
    database = Database(engine)
    yield SessionService(database, user_id="tech")
    database.close()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("12345", "12345"), ("#12345", "12345"), ("  # 48190 ", "48190"), ("", None), ("  ", None)],
)
def test_ticket_numbers_are_read_the_way_technicians_type_them(typed, expected) -> None:
    assert parse_ticket_ref(typed) == expected


@pytest.mark.parametrize("typed", ["abc", "12a", "#", "1234567890123", "12 34"])
def test_anything_else_is_refused_with_a_clear_message(typed) -> None:
    with pytest.raises(UserFacingError, match="ticket number"):
        parse_ticket_ref(typed)


def test_titles_are_one_line_and_bounded() -> None:
    assert clean_title("  Printer\n offline  ") == "Printer offline"
    assert clean_title("", "42") == "Ticket #42"
    with pytest.raises(UserFacingError, match="title or a ticket"):
        clean_title("   ")
    with pytest.raises(UserFacingError, match="under 300"):
        clean_title("x" * 301)


def test_create_rename_delete_restore_return_change_records(service: SessionService) -> None:
    async def scenario():
        created = await service.create("Printer offline", "#48190")
        renamed = await service.rename(created.session_id, "Printer offline on floor 2")
        deleted = await service.delete(created.session_id)
        listed_after_delete = await service.list_sessions()
        restored = await service.restore(created.session_id)
        return (
            created,
            renamed,
            deleted,
            listed_after_delete,
            restored,
            await service.list_sessions(),
        )

    created, renamed, deleted, after_delete, restored, final = asyncio.run(scenario())
    assert created.kinds == {ChangeKind.SESSION_CREATED}
    assert created.summary.ticket_ref == "48190"
    assert renamed.summary.title == "Printer offline on floor 2"
    assert deleted.kinds == {ChangeKind.SESSION_DELETED}
    assert after_delete == []
    assert restored.kinds == {ChangeKind.SESSION_RESTORED}
    assert [s.title for s in final] == ["Printer offline on floor 2"]


def test_invalid_input_writes_nothing(service: SessionService) -> None:
    async def scenario():
        with pytest.raises(UserFacingError):
            await service.create("Title", "not-a-ticket")
        return await service.list_sessions()

    assert asyncio.run(scenario()) == []
