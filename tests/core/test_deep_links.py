"""flowpilot:// links: what is accepted (and how it is normalised), what is refused and how
plainly, and which session a link opens (the newest live one for a ticket, else a new one)."""

from __future__ import annotations

import asyncio

import pytest

from flowpilot_desktop.deep_links import (
    DeepLink,
    DeepLinkError,
    looks_like_link,
    open_link,
    parse_deep_link,
)
from flowpilot_desktop.sessions import SessionService
from storage.database import Database

SESSION_ID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"


@pytest.fixture
def service(engine):
    database = Database(engine)
    yield SessionService(database, user_id="tech")
    database.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("flowpilot://ticket/12345", DeepLink("ticket", "12345")),
        ("flowpilot://ticket/12345/", DeepLink("ticket", "12345")),
        ("FlowPilot://Ticket/7", DeepLink("ticket", "7")),
        ("FLOWPILOT://TICKET/999999999999", DeepLink("ticket", "999999999999")),
        ("  flowpilot://ticket/42\n", DeepLink("ticket", "42")),
        (f"flowpilot://session/{SESSION_ID}", DeepLink("session", SESSION_ID)),
        (f"flowpilot://SESSION/{SESSION_ID.upper()}/", DeepLink("session", SESSION_ID)),
    ],
)
def test_valid_links_are_read_and_normalised(text, expected) -> None:
    link = parse_deep_link(text)
    assert link == expected
    assert parse_deep_link(str(link)) == link, "the canonical form reads back the same"


@pytest.mark.parametrize(
    "text",
    [
        "https://example.com/ticket/12345",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "flowpilot:ticket/12345",
        "flowpilot:/ticket/12345",
        "flowpilot:///ticket/12345",
        "flowpilot://tickets/12345",
        "flowpilot://settings/open",
        "flowpilot://ticket",
        "flowpilot://ticket/",
        "flowpilot://ticket//",
        "flowpilot://ticket/12345//",
        "flowpilot://ticket/12345/notes",
        "flowpilot://ticket/../../etc/passwd",
        "flowpilot://ticket/..%2F..%2Fetc",
        "flowpilot://ticket/%31%32",
        "flowpilot://ticket/12345?x=<script>alert(1)</script>",
        "flowpilot://ticket/12345#frag",
        "flowpilot://user@ticket/12345",
        "flowpilot://ticket:80/12345",
        "flowpilot://ticket/1234567890123",
        "flowpilot://ticket/" + "9" * 400,
        "flowpilot://ticket/0",
        "flowpilot://ticket/00012",
        "flowpilot://ticket/-5",
        "flowpilot://ticket/+5",
        "flowpilot://ticket/1e5",
        "flowpilot://ticket/12 34",
        "flowpilot://ticket/١٢٣",  # Arabic-Indic digits: int() would take them
        "flowpilot://ticket/12345\x00",
        "flowpilot://ticket/12\n345",
        "flowpilot://session/not-a-uuid",
        f"flowpilot://session/{SESSION_ID}x",
        f"flowpilot://session/{{{SESSION_ID}}}",
        "flowpilot://session/../ticket/1",
        "flowpilot://",
        "flowpilot",
        "",
        "   ",
    ],
)
def test_anything_else_is_refused_with_a_plain_message(text) -> None:
    with pytest.raises(DeepLinkError) as refused:
        parse_deep_link(text)
    message = str(refused.value)
    assert "flowpilot://ticket/12345" in message or "expects" in message
    assert len(message) < 300, "a huge link is not echoed back whole"
    assert "\x00" not in message and "\n" not in message


def test_the_refusal_names_what_was_expected() -> None:
    with pytest.raises(DeepLinkError, match="ConnectWise ticket number"):
        parse_deep_link("flowpilot://ticket/abc")
    with pytest.raises(DeepLinkError, match="session id"):
        parse_deep_link("flowpilot://session/42")
    with pytest.raises(DeepLinkError, match="is not a FlowPilot link"):
        parse_deep_link("https://evil.example/flowpilot://ticket/1")


def test_arguments_meant_as_links_are_recognised() -> None:
    assert looks_like_link("flowpilot://ticket/1")
    assert looks_like_link("FLOWPILOT:whatever")
    assert looks_like_link("https://example.com")
    assert not looks_like_link("--demo")
    assert not looks_like_link("/home/tech/data")


def test_a_ticket_link_opens_the_newest_live_session_for_it(service) -> None:
    async def scenario() -> None:
        older = await service.create("Printer, first call", "12345")
        await asyncio.sleep(0.01)
        newer = await service.create("Printer, again", "12345")
        other = await service.create("Something else", "999")
        await asyncio.sleep(0.01)
        newest_deleted = await service.create("Deleted one", "12345")
        await service.delete(newest_deleted.session_id)

        target = await open_link(DeepLink("ticket", "12345"), service)
        assert target.session_id == newer.session_id
        assert not target.created and target.change is None
        assert older.session_id != target.session_id != other.session_id

        assert len(await service.list_sessions()) == 3, "nothing was created"

    asyncio.run(scenario())


def test_a_ticket_link_without_a_session_creates_one_for_the_ticket(service) -> None:
    async def scenario() -> None:
        target = await open_link(DeepLink("ticket", "48190"), service)
        assert target.created and target.change is not None
        summary = await service.get(target.session_id)
        assert summary.ticket_ref == "48190"
        assert summary.title == "Ticket #48190"

        again = await open_link(DeepLink("ticket", "48190"), service)
        assert again.session_id == target.session_id and not again.created

    asyncio.run(scenario())


def test_a_session_link_opens_a_live_session_or_says_it_is_not_there(service) -> None:
    async def scenario() -> None:
        made = await service.create("Outlook keeps asking for a password")
        target = await open_link(DeepLink("session", made.session_id), service)
        assert target.session_id == made.session_id and not target.created

        with pytest.raises(DeepLinkError, match="There is no session"):
            await open_link(DeepLink("session", SESSION_ID), service)
        await service.delete(made.session_id)
        with pytest.raises(DeepLinkError, match="may have been deleted"):
            await open_link(DeepLink("session", made.session_id), service)
        assert await service.list_sessions() == [], "a session link never creates anything"

    asyncio.run(scenario())
