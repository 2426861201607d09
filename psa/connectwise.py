"""ConnectWise Manage over its REST API (httpx2, async): the PSA provider FlowPilot ships.

A thin client rather than a generated SDK (see the reference notes: the public Python SDKs are
GPL or sync-only, and we need seven calls). It finds the codebase from the company id, signs
every call (Basic company+public:private, clientId, a pinned Accept version), uses explicit
timeouts, honours Retry-After on 429, retries 5xx/504 and "timeout" 500s with backoff and
jitter, never retries 400/401/403/404, and turns failures into plain messages.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import httpx2

from psa.connectwise_settings import (
    ConnectWiseSettings,
    WorkingSettings,
    check_settings,
    site_url,
    ticket_web_url,
)
from psa.errors import (
    PsaAmbiguousError,
    PsaAuthError,
    PsaConfigError,
    PsaError,
    PsaNotFoundError,
    PsaRejectedError,
    PsaUnavailableError,
    PsaUnexpectedError,
    StatusNotAppliedError,
    join_sentences,
)
from psa.provider import (
    BoardOption,
    NoteKind,
    PostedNote,
    PostedTimeEntry,
    StatusOption,
    TicketSnapshot,
    TimeEntryRequest,
    VerifiedStatus,
    WorkOption,
)

API_VERSION = "2025.8"
ACCEPT = f"application/vnd.connectwise.com+json; version={API_VERSION}"
PAGE_SIZE = 1000  # the API's maximum
TICKET_VERIFY_FIELDS = "id,status,board,closedFlag,_info"
CW_TIME = "%Y-%m-%dT%H:%M:%SZ"  # the only date form ConnectWise takes: UTC, whole seconds
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')

__all__ = [
    "ConnectWiseClient",
    "ConnectWiseProvider",
    "ConnectWiseSettings",
    "WorkingSettings",
    "check_settings",
    "site_url",
    "ticket_web_url",
]


@dataclass(frozen=True)
class RetryPolicy:
    """Interactive use: a few quick attempts, bounded waits."""

    attempts: int = 3
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0
    max_retry_after_s: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Exponential with full jitter."""
        return random.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**attempt))


class ConnectWiseClient:
    """The calls FlowPilot makes, as CW JSON in and out; errors are PsaError."""

    def __init__(
        self,
        settings: ConnectWiseSettings,
        *,
        timeout: httpx2.Timeout | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        worked: WorkingSettings | None = None,
    ) -> None:
        """``worked``: the settings that have answered before, kept by whoever builds clients
        (one per piece of work), so a 404 blames the settings only while they never worked."""
        check_settings(settings)
        self._settings = settings
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._codebase: str | None = None
        self._worked = worked if worked is not None else WorkingSettings()
        self._http = httpx2.AsyncClient(
            timeout=timeout or httpx2.Timeout(30.0, connect=10.0),
            auth=httpx2.BasicAuth(
                f"{settings.company_id}+{settings.public_key}", settings.private_key
            ),
            headers={
                "clientId": settings.client_id,
                "Accept": ACCEPT,
                "Content-Type": "application/json",
            },
            follow_redirects=False,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def settings_member(self) -> str:
        """The member identifier set in Settings ("" when FlowPilot acts as the API member)."""
        return self._settings.member_identifier

    # ---- Calls

    async def codebase(self) -> str:
        """The company's codebase (``v2025_1/``), from /login/companyinfo (no auth needed)."""
        if self._codebase is None:
            base = site_url(self._settings.site_url)
            url = f"{base}/login/companyinfo/{self._settings.company_id}"
            response = await self._send("GET", url, idempotent=True, authenticated=False)
            info = _json(response)
            if not isinstance(info, dict) or not info.get("Codebase"):
                raise PsaConfigError(
                    f"ConnectWise does not know the company id “{self._settings.company_id}” "
                    f"on {self._settings.site_url}: unknown company id. Check it in Settings."
                )
            self._codebase = str(info["Codebase"]).strip("/") + "/"
        return self._codebase

    async def system_info(self) -> dict[str, Any]:
        return await self._get_json("system/info")

    async def my_member(self) -> dict[str, Any]:
        return await self._get_json("system/myMembers")

    async def get_ticket(self, ticket_id: int, fields: str | None = None) -> dict[str, Any]:
        params = {"fields": fields} if fields else None
        return await self._get_json(f"service/tickets/{int(ticket_id)}", params=params)

    async def list_notes(self, ticket_id: int) -> list[dict[str, Any]]:
        return await self._get_all(f"service/tickets/{int(ticket_id)}/notes")

    async def boards(self) -> list[dict[str, Any]]:
        return await self._get_all(
            "service/boards",
            params={"conditions": "inactiveFlag=False", "orderBy": "name asc", "fields": "id,name"},
        )

    async def board_statuses(self, board_id: int) -> list[dict[str, Any]]:
        return await self._get_all(
            f"service/boards/{int(board_id)}/statuses", params={"orderBy": "sortOrder asc"}
        )

    async def post_note(self, ticket_id: int, text: str, kind: NoteKind) -> dict[str, Any]:
        body: dict[str, Any] = {
            "text": text,
            "detailDescriptionFlag": False,
            "internalAnalysisFlag": kind is NoteKind.ESCALATION,
            "resolutionFlag": kind is NoteKind.RESOLUTION,
            "processNotifications": kind is NoteKind.RESOLUTION,
        }
        if self._settings.member_identifier:
            body["member"] = {"identifier": self._settings.member_identifier}
        response = await self._api(
            "POST", f"service/tickets/{int(ticket_id)}/notes", json=body, idempotent=False
        )
        return _json_object(response)

    async def post_time_entry(self, body: dict[str, Any]) -> dict[str, Any]:
        response = await self._api(
            "POST", "time/entries", json=body, idempotent=False, what="the time entry"
        )
        return _json_object(response)

    async def get_time_entry(self, entry_id: int) -> dict[str, Any]:
        return await self._get_json(f"time/entries/{int(entry_id)}")

    async def list_time_entries(self, conditions: str) -> list[dict[str, Any]]:
        return await self._get_all(
            "time/entries", params={"conditions": conditions, "orderBy": "id asc"}
        )

    async def work_types(self) -> list[dict[str, Any]]:
        return await self._get_all(
            "time/workTypes", params={"conditions": "inactiveFlag=False", "orderBy": "name asc"}
        )

    async def work_roles(self) -> list[dict[str, Any]]:
        return await self._get_all(
            "time/workRoles", params={"conditions": "inactiveFlag=False", "orderBy": "name asc"}
        )

    async def patch_status(self, ticket_id: int, status_id: int) -> dict[str, Any]:
        body = [{"op": "replace", "path": "status", "value": {"id": int(status_id)}}]
        response = await self._api(
            "PATCH", f"service/tickets/{int(ticket_id)}", json=body, idempotent=True
        )
        return _json_object(response)

    # ---- Transport

    async def _get_json(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return _json_object(await self._api("GET", path, params=params, idempotent=True))

    async def _get_all(self, path: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every page of a list, following the Link header's rel="next"."""
        items: list[Any] = []
        url: str | None = await self._url(path)
        query: dict[str, Any] | None = {**(params or {}), "pageSize": PAGE_SIZE, "page": 1}
        while url is not None:
            response = await self._send("GET", url, params=query, idempotent=True)
            page = _json(response)
            items.extend(page if isinstance(page, list) else [])
            match = _LINK_NEXT.search(response.headers.get("link", ""))
            url, query = (match.group(1), None) if match else (None, None)
        return items

    async def _url(self, path: str) -> str:
        return f"{site_url(self._settings.site_url)}/{await self.codebase()}apis/3.0/{path}"

    async def _api(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool,
        what: str = "the note",
    ) -> httpx2.Response:
        return await self._send(
            method,
            await self._url(path),
            params=params,
            json=json,
            idempotent=idempotent,
            what=what,
        )

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool,
        authenticated: bool = True,
        what: str = "the note",
    ) -> httpx2.Response:
        """One call with the retry policy. A non-idempotent call that may have reached the
        server (a broken connection, a 5xx) is not repeated: PsaAmbiguousError says so,
        naming ``what`` was sent."""
        last: PsaError | None = None
        for attempt in range(self._retry.attempts):
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    # companyinfo needs no credentials: don't send them where they aren't needed
                    auth=httpx2.USE_CLIENT_DEFAULT if authenticated else None,
                )
            except httpx2.ConnectError as error:
                last = PsaUnavailableError(
                    f"Can't reach ConnectWise at {self._settings.site_url} ({_brief(error)}). "
                    "Check the network and the site in Settings."
                )
            except httpx2.TransportError as error:
                if not idempotent:
                    raise PsaAmbiguousError(
                        f"The connection to ConnectWise broke after {what} was sent "
                        f"({_brief(error)}); it may or may not have been stored."
                    ) from None
                last = PsaUnavailableError(f"ConnectWise did not answer in time ({_brief(error)}).")
            else:
                if response.status_code < 400:
                    if authenticated:  # companyinfo answers whatever the keys are
                        self._worked.add(self._settings)
                    return response
                failure = self._error_for(response)
                retry_after = _retry_after(response) if response.status_code == 429 else None
                if not failure.retryable:
                    raise failure
                if not idempotent and response.status_code != 429:
                    raise PsaAmbiguousError(
                        join_sentences(str(failure), "It may or may not have been stored.")
                    )
                last = failure
                if retry_after is not None:
                    if retry_after > self._retry.max_retry_after_s:
                        raise failure
                    if attempt + 1 < self._retry.attempts:
                        await self._sleep(retry_after)
                    continue
            if attempt + 1 < self._retry.attempts:
                await self._sleep(self._retry.backoff(attempt))
        assert last is not None
        raise last

    def _error_for(self, response: httpx2.Response) -> PsaError:
        status = response.status_code
        said = _cw_message(response)
        detail = f"ConnectWise said: {said}" if said else ""
        if status == 401:
            return PsaAuthError(
                join_sentences(
                    "ConnectWise refused the credentials: check the company id, public and "
                    "private keys in Settings.",
                    detail,
                ),
                status=status,
            )
        if status == 403:
            return PsaAuthError(
                join_sentences(
                    "The ConnectWise API member has no permission for this (security role).",
                    detail,
                ),
                status=status,
            )
        if status == 404:
            hint = (
                ""
                if self._settings in self._worked
                else "If this is the first call, the site or the credentials may be wrong: "
                "ConnectWise cloud answers 404 for those too."
            )
            return PsaNotFoundError(
                join_sentences("ConnectWise: not found.", detail, hint), status=status
            )
        if status == 429:
            wait = _retry_after(response)
            return PsaUnavailableError(
                join_sentences(
                    "ConnectWise is rate limiting requests"
                    + (f"; it asks to wait {wait:g} s." if wait is not None else "."),
                    detail,
                ),
                status=status,
            )
        if status in (400, 409, 405, 415, 422):
            return PsaRejectedError(
                join_sentences("ConnectWise refused the request.", detail), status=status
            )
        if status >= 500:
            said_text = response.text.lower()
            timed_out = "timeout" in said_text or "timed out" in said_text or status == 504
            kind = "timed out" if timed_out else f"failed ({status})"
            return PsaUnavailableError(
                join_sentences(f"ConnectWise {kind} on its side; try again in a moment.", detail),
                status=status,
            )
        return PsaUnexpectedError(
            join_sentences(f"ConnectWise answered {status}.", detail), status=status
        )


class ConnectWiseProvider:
    """PsaProvider over ConnectWiseClient: snapshots, notes, verified status moves."""

    def __init__(self, client: ConnectWiseClient) -> None:
        self.client = client

    async def aclose(self) -> None:
        await self.client.aclose()

    async def test_connection(self) -> str:
        info = await self.client.system_info()
        member = await self.client.my_member()
        name = " ".join(
            part for part in (member.get("firstName"), member.get("lastName")) if part
        ) or str(member.get("identifier") or "the API member")
        version = info.get("version") or "unknown version"
        return f"Connected to ConnectWise {version} as {name} ({member.get('identifier', '?')})."

    async def fetch_ticket(self, ticket_id: int) -> TicketSnapshot:
        try:
            ticket = await self.client.get_ticket(ticket_id)
        except PsaNotFoundError as error:
            raise PsaNotFoundError(
                join_sentences(f"Ticket #{ticket_id} was not found in ConnectWise.", str(error)),
                status=404,
            ) from None
        return _snapshot(ticket)

    async def boards(self) -> list[BoardOption]:
        return [
            BoardOption(int(b["id"]), str(b.get("name") or b["id"]))
            for b in await self.client.boards()
        ]

    async def board_statuses(self, board_id: int) -> list[StatusOption]:
        return [
            StatusOption(
                int(s["id"]),
                str(s.get("name") or s["id"]),
                bool(s.get("closedStatus")),
                bool(s.get("inactive")),
            )
            for s in await self.client.board_statuses(board_id)
        ]

    async def post_note(self, ticket_id: int, text: str, kind: NoteKind) -> PostedNote:
        note = await self.client.post_note(ticket_id, text, kind)
        return PostedNote(int(note.get("id") or 0), str(note.get("text") or text), note)

    async def find_note(self, ticket_id: int, text: str) -> PostedNote | None:
        wanted = _comparable(text)
        for note in reversed(await self.client.list_notes(ticket_id)):
            if _comparable(str(note.get("text") or "")) == wanted:
                return PostedNote(int(note.get("id") or 0), str(note.get("text")), note)
        return None

    async def member_identifier(self) -> str:
        configured = self.client.settings_member
        if configured:
            return configured
        return str((await self.client.my_member()).get("identifier") or "")

    async def work_types(self) -> list[WorkOption]:
        return [
            WorkOption(int(t["id"]), str(t.get("name") or t["id"]), str(t.get("billTime") or ""))
            for t in await self.client.work_types()
        ]

    async def work_roles(self) -> list[WorkOption]:
        return [
            WorkOption(int(r["id"]), str(r.get("name") or r["id"]))
            for r in await self.client.work_roles()
        ]

    async def post_time_entry(self, entry: TimeEntryRequest) -> PostedTimeEntry:
        body: dict[str, Any] = {
            "chargeToId": int(entry.ticket_id),
            "chargeToType": "ServiceTicket",
            "member": {"identifier": entry.member},
            "timeStart": cw_time(entry.time_start),
            "timeEnd": cw_time(entry.time_end),
            "notes": entry.notes,
        }
        if entry.work_type_id is not None:
            body["workType"] = {"id": int(entry.work_type_id)}
        if entry.work_role_id is not None:
            body["workRole"] = {"id": int(entry.work_role_id)}
        if entry.billable is not None:
            body["billableOption"] = entry.billable.value
        ticket = f"ticket #{entry.ticket_id}"
        try:
            posted = await self.client.post_time_entry(body)
        except PsaAuthError as error:
            if error.status != 403:
                raise
            raise PsaAuthError(
                join_sentences(
                    f"ConnectWise refused the time entry for {ticket}: the API member's "
                    "security role does not allow adding time entries (Time & Expense → "
                    "Time Entry). Ask a ConnectWise administrator, then Retry.",
                    str(error),
                ),
                status=403,
            ) from None
        except PsaRejectedError as error:
            raise PsaRejectedError(
                join_sentences(
                    f"ConnectWise refused the time entry for {ticket} (a closed ticket, a status "
                    "that allows no time, or a work type, role or member it does not know).",
                    str(error),
                ),
                status=error.status,
            ) from None
        return time_entry_of(posted)

    async def find_time_entries(
        self, ticket_id: int, member: str, time_start: datetime
    ) -> list[PostedTimeEntry]:
        conditions = (
            f"chargeToType='ServiceTicket' AND chargeToId={int(ticket_id)} "
            f'AND member/identifier="{_condition_text(member)}" '
            f"AND timeStart=[{cw_time(time_start)}]"
        )
        return [time_entry_of(e) for e in await self.client.list_time_entries(conditions)]

    async def get_time_entry(self, entry_id: int) -> PostedTimeEntry | None:
        try:
            return time_entry_of(await self.client.get_time_entry(entry_id))
        except PsaNotFoundError:
            return None

    async def move_status(self, ticket_id: int, status_id: int) -> VerifiedStatus:
        try:
            await self.client.patch_status(ticket_id, status_id)
        except PsaRejectedError as error:
            raise PsaRejectedError(
                join_sentences(
                    f"ConnectWise refused the status for ticket #{ticket_id}: it may not belong "
                    "to the ticket's board or be inactive.",
                    str(error),
                ),
                status=error.status,
            ) from None
        ticket = await self.client.get_ticket(ticket_id, fields=TICKET_VERIFY_FIELDS)
        status = ticket.get("status") or {}
        if int(status.get("id") or 0) != int(status_id):
            kept = str(status.get("name") or status.get("id") or "unknown")
            raise StatusNotAppliedError(
                f"ConnectWise answered OK but ticket #{ticket_id} is still “{kept}”: the status "
                "change was not applied (a workflow rule or board setting may have blocked it).",
                kept_status=kept,
                wanted_status=str(status_id),
            )
        return VerifiedStatus(
            int(status["id"]), str(status.get("name") or ""), bool(ticket.get("closedFlag"))
        )


def _snapshot(ticket: dict[str, Any]) -> TicketSnapshot:
    def name(key: str) -> str:
        value = ticket.get(key)
        return str(value.get("name") or "") if isinstance(value, dict) else ""

    def ref_id(key: str) -> int | None:
        value = ticket.get(key)
        return int(value["id"]) if isinstance(value, dict) and value.get("id") else None

    return TicketSnapshot(
        ticket_id=int(ticket.get("id") or 0),
        summary=str(ticket.get("summary") or ""),
        description=str(ticket.get("initialDescription") or ""),
        company=name("company"),
        contact=name("contact") or str(ticket.get("contactName") or ""),
        board_id=ref_id("board"),
        board=name("board"),
        status_id=ref_id("status"),
        status=name("status"),
        closed=bool(ticket.get("closedFlag")),
    )


def cw_time(moment: datetime) -> str:
    """A time as ConnectWise takes it: UTC ``YYYY-MM-DDTHH:MM:SSZ``."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime given for ConnectWise")
    return moment.astimezone(UTC).strftime(CW_TIME)


def parse_cw_time(value: Any) -> datetime | None:
    """ConnectWise's ``…Z`` time as an aware UTC datetime; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def time_entry_of(entry: dict[str, Any]) -> PostedTimeEntry:
    """A TimeEntry as ConnectWise sends it, read defensively (``.get`` everywhere)."""

    def ref(key: str) -> dict[str, Any]:
        value = entry.get(key)
        return value if isinstance(value, dict) else {}

    def number(value: Any) -> int | None:
        try:
            return None if value is None else int(value)
        except (TypeError, ValueError):
            return None

    hours = entry.get("actualHours")
    return PostedTimeEntry(
        entry_id=number(entry.get("id")) or 0,
        ticket_id=number(entry.get("chargeToId")),
        member=str(ref("member").get("identifier") or ""),
        time_start=parse_cw_time(entry.get("timeStart")),
        time_end=parse_cw_time(entry.get("timeEnd")),
        actual_hours=float(hours) if isinstance(hours, int | float) else None,
        work_type_id=number(ref("workType").get("id")),
        work_type=str(ref("workType").get("name") or ""),
        work_role_id=number(ref("workRole").get("id")),
        work_role=str(ref("workRole").get("name") or ""),
        billable=str(entry.get("billableOption") or ""),
        notes=str(entry.get("notes") or ""),
        raw=entry,
    )


def _condition_text(value: str) -> str:
    """A string for a conditions clause: ConnectWise's conditions have no escape for quotes."""
    return value.replace('"', "").replace("\\", "")


def _comparable(text: str) -> str:
    """Notes may come back with line breaks turned into spaces: compare words."""
    return " ".join(text.split())


def _json(response: httpx2.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise PsaUnexpectedError(
            f"ConnectWise sent an answer FlowPilot can't read (HTTP {response.status_code}).",
            status=response.status_code,
        ) from None


def _json_object(response: httpx2.Response) -> dict[str, Any]:
    """The answer where ConnectWise sends one object (a ticket, a note, system info). Its
    shape is not checked here: callers read it with ``.get``."""
    return cast("dict[str, Any]", _json(response))


def _cw_message(response: httpx2.Response) -> str:
    """ConnectWise's own error text: {code, message, errors[]} or the 429 {error, message}."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body.get("message") or "").strip()]
    for error in body.get("errors") or []:
        if isinstance(error, dict) and error.get("message"):
            field_name = f"{error['field']}: " if error.get("field") else ""
            parts.append(f"{field_name}{error['message']}")
    return join_sentences(*parts)


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _brief(error: Exception) -> str:
    return type(error).__name__ + (f": {error}" if str(error) else "")
