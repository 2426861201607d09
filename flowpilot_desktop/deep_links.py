"""``flowpilot://`` links: ``flowpilot://ticket/12345`` opens that ticket's session (or a new
one for it), ``flowpilot://session/<id>`` opens that session.

A link comes from outside (a ConnectWise menu entry, a browser, the OS): it is parsed strictly
and anything else is refused with a message the technician can read, before anything is
looked up or created. The scheme and the host are case-insensitive (browsers and the OS
lower-case them or not), one trailing slash is allowed, and nothing else: no query, no
fragment, no percent-escapes, no second path segment.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Literal

from flowpilot_desktop.changes import SessionChange
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.sessions import SessionService

__all__ = [
    "EXAMPLES",
    "SCHEME",
    "DeepLink",
    "DeepLinkError",
    "LinkTarget",
    "looks_like_link",
    "open_link",
    "parse_deep_link",
]

log = logging.getLogger(__name__)
SCHEME = "flowpilot"
EXAMPLES = "flowpilot://ticket/12345 or flowpilot://session/<session id>"
MAX_LINK_LENGTH = 120
"""Longer than any valid link (a session link is 55 characters): refused unread."""
MAX_SHOWN = 60

_LINK = re.compile(r"flowpilot://(ticket|session)/([^/]*)/?", re.IGNORECASE)
_TICKET = re.compile(r"[1-9][0-9]{0,11}")  # ConnectWise ticket ids: positive, as SessionService
_SESSION_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class DeepLinkError(UserFacingError):
    """A link FlowPilot refuses, or one whose session is not there; the message says which."""


@dataclass(frozen=True)
class DeepLink:
    """A checked link: a ticket number (digits, no leading zero) or a session id (a UUID)."""

    kind: Literal["ticket", "session"]
    value: str

    def __str__(self) -> str:
        return f"{SCHEME}://{self.kind}/{self.value}"


@dataclass(frozen=True)
class LinkTarget:
    """The session a link opens; ``change`` is set when it had to be created (published by
    the UI's task runner like any write)."""

    session_id: str
    change: SessionChange | None = None

    @property
    def created(self) -> bool:
        return self.change is not None


def looks_like_link(text: str) -> bool:
    """Whether an argument is meant as a link (so it is parsed, and refused if it is bad)."""
    return "://" in text or text.strip().lower().startswith(f"{SCHEME}:")


def parse_deep_link(text: str) -> DeepLink:
    """The link in ``text``, or DeepLinkError saying plainly why it is not one."""
    stripped = text.strip()
    if not stripped:
        raise DeepLinkError(f"The link is empty. FlowPilot opens links like {EXAMPLES}.")
    if len(stripped) > MAX_LINK_LENGTH or not stripped.isascii() or not stripped.isprintable():
        raise _refused(stripped)
    match = _LINK.fullmatch(stripped)
    if match is None:
        raise _refused(stripped)
    kind, value = match.group(1).lower(), match.group(2)
    if kind == "ticket":
        if not _TICKET.fullmatch(value):
            raise DeepLinkError(
                f"“{_shown(stripped)}” does not name a ticket: after flowpilot://ticket/ "
                "FlowPilot expects the ConnectWise ticket number (digits only, up to 12)."
            )
        return DeepLink("ticket", value)
    session_id = value.lower()
    if not _SESSION_ID.fullmatch(session_id):
        raise DeepLinkError(
            f"“{_shown(stripped)}” does not name a session: after flowpilot://session/ "
            "FlowPilot expects a session id (like 1b4e28ba-2fa1-11d2-883f-0016d3cca427)."
        )
    return DeepLink("session", session_id)


async def open_link(link: DeepLink, sessions: SessionService) -> LinkTarget:
    """The session ``link`` opens: for a ticket, its most recently active live session, else a
    new one for the ticket; for a session id, that live session, else DeepLinkError."""
    target = await _target(link, sessions)
    log.info("opened %s: session %s%s", link, target.session_id, " (new)" if target.created else "")
    return target


async def _target(link: DeepLink, sessions: SessionService) -> LinkTarget:
    live = await sessions.list_sessions()  # most recently active first
    if link.kind == "session":
        if any(summary.id == link.value for summary in live):
            return LinkTarget(link.value)
        raise DeepLinkError(
            f"There is no session {link.value} in this FlowPilot (it may have been deleted, "
            "or it belongs to another computer or data folder)."
        )
    for summary in live:
        if summary.ticket_ref == link.value:
            return LinkTarget(summary.id)
    change = await sessions.create("", link.value)
    return LinkTarget(change.session_id, change)


def _refused(text: str) -> DeepLinkError:
    return DeepLinkError(
        f"“{_shown(text)}” is not a FlowPilot link, so it was not opened. "
        f"FlowPilot opens links like {EXAMPLES}."
    )


def _shown(text: str) -> str:
    """The refused text as it may be shown: printable, one line, and short."""
    printable = "".join(c if c.isprintable() else "?" for c in text)
    return printable if len(printable) <= MAX_SHOWN else printable[: MAX_SHOWN - 1] + "…"
