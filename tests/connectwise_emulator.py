"""A local emulator of the ConnectWise Manage REST API for tests: the real httpx2 client
talks to it over HTTP on 127.0.0.1.

It reproduces the quirks listed at the end of shared/reference/connectwise-api.md: Basic
``company+public:private`` auth and a required ``clientId``; ``/login/companyinfo`` without
auth, answering ``null`` for an unknown company; the API under ``/{codebase}apis/3.0/`` (and
``v4_6_release/``), 404 for any other codebase; ``fields=`` partial responses; paging (default
25, max 1000) with a ``Link`` header that leaves next/prev out at the edges; notes answered
201 with server fields; PATCH only as a JSON-patch array, on ``status`` / ``/status`` /
``status/id``; closed statuses setting ``closedFlag``; the two error body shapes; ``_info``
hrefs with the double slash. Faults on demand: 429 with Retry-After, 500 "timeout", 504, slow
answers, a "false 200" (status unchanged, or changed back by a workflow rule after the
save), an invalid status answered 400 or silently ignored, and a note stored whose answer
never arrives. The ``time/`` API (entries, work types, work roles) is in
``tests/connectwise_time.py``. Every request is recorded.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.connectwise_time import TimeApi
from tests.emulator_server import EmulatorServer

COMPANY = "acme"
PUBLIC_KEY = "pubKey1234567890"
PRIVATE_KEY = "privKey-s3cr3t-0987"
CLIENT_ID = "5f1c9d2e-7a3b-4c8d-9e0f-123456789abc"
CODEBASE = "v2025_1/"
API_MEMBER = "flowpilot"


@dataclass
class Fault:
    """One injected failure, used by the next request that matches."""

    status: int  # 0 = close the connection without answering
    retry_after: float | None = None
    text: str | None = None  # the raw body; default: the shape ConnectWise sends for the status
    method: str | None = None  # match only this method
    path_contains: str | None = None  # match only paths containing this


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    answered: int = 0  # the status sent (0: connection dropped)


@dataclass
class ConnectWiseEmulator:
    """Start with ``with ConnectWiseEmulator() as cw: ... cw.site``."""

    companies: dict[str, str] = field(default_factory=lambda: {COMPANY: CODEBASE})
    boards: dict[int, dict[str, Any]] = field(default_factory=dict)
    statuses: dict[int, dict[str, Any]] = field(default_factory=dict)
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    delay_s: float = 0.0  # before every API answer
    false_200: bool = False  # PATCH answers 200 and leaves the status as it was
    workflow_reverts_to: int | None = None  # PATCH shows the new status, a later GET this one
    invalid_status_mode: str = "400"  # a status of another board: "400" or "noop"
    drop_after_note_stored: int = 0  # store the next N notes, then close without answering
    closed_requires_completed: bool = False  # board rule: closed only from "Completed"
    time: TimeApi = field(default_factory=TimeApi)  # time/entries, workTypes, workRoles

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._next_id = 1000
        self._server = EmulatorServer(self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.members.setdefault(
            API_MEMBER,
            {"id": 637, "identifier": API_MEMBER, "firstName": "FlowPilot", "lastName": "API"},
        )
        self.members.setdefault(
            "jdoe", {"id": 150, "identifier": "jdoe", "firstName": "Jane", "lastName": "Doe"}
        )

    # ---- Lifecycle

    @property
    def site(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ConnectWiseEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ConnectWiseEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- Data

    def new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def add_board(
        self,
        name: str,
        statuses: list[str | tuple[str, dict[str, Any]]],
        board_id: int | None = None,
    ) -> int:
        """A board with its statuses in sort order; "Closed…"/"Resolved" ones are closed."""
        board_id = board_id or self.new_id()
        self.boards[board_id] = {"id": board_id, "name": name}
        for order, entry in enumerate(statuses):
            status_name, extra = (entry, {}) if isinstance(entry, str) else entry
            status_id = self.new_id()
            self.statuses[status_id] = {
                "id": status_id,
                "name": status_name,
                "board": {"id": board_id, "name": name},
                "sortOrder": order,
                "displayOnBoard": True,
                "inactive": False,
                "closedStatus": status_name.lower().startswith(("closed", "resolved")),
                "timeEntryNotAllowed": False,
                "defaultFlag": order == 0,
                **extra,
            }
        return board_id

    def status_id(self, board_id: int, name: str) -> int:
        return next(
            s["id"]
            for s in self.statuses.values()
            if s["board"]["id"] == board_id and s["name"] == name
        )

    def add_ticket(
        self,
        board_id: int,
        summary: str = "Outlook keeps asking for the password",
        status: str | None = None,
        ticket_id: int | None = None,
        **extra: Any,
    ) -> int:
        ticket_id = ticket_id or self.new_id()
        board = self.boards[board_id]
        status_obj = (
            self.statuses[self.status_id(board_id, status)]
            if status
            else next(s for s in self.statuses.values() if s["board"]["id"] == board_id)
        )
        self.tickets[ticket_id] = {
            "id": ticket_id,
            "summary": summary,
            "recordType": "ServiceTicket",
            "board": self._ref(board, f"service/boards/{board_id}", "board_href"),
            "status": self._status_ref(status_obj),
            "company": {"id": 19298, "identifier": "Contoso", "name": "Contoso Ltd"},
            "contact": {"id": 17754, "name": "Pat Smith"},
            "contactName": "Pat Smith",
            "initialDescription": "Since this morning Outlook prompts for the password again.",
            "closedFlag": bool(status_obj["closedStatus"]),
            "_info": {"lastUpdated": _now(), "updatedBy": "jdoe", "dateEntered": _now()},
            **extra,
        }
        self.notes[ticket_id] = []
        return ticket_id

    def fail_next(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: float | None = None,
        text: str | None = None,
        method: str | None = None,
        path_contains: str | None = None,
    ) -> None:
        for _ in range(times):
            self.faults.append(Fault(status, retry_after, text, method, path_contains))

    def api_requests(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        return [
            r
            for r in self.requests
            if "/apis/3.0/" in r.path
            and (method is None or r.method == method)
            and contains in r.path
        ]

    # ---- Shared with tests/connectwise_time.py

    def href(self, path: str) -> str:
        return self._href(path)

    def ref(self, obj: dict[str, Any], path: str, key: str) -> dict[str, Any]:
        return self._ref(obj, path, key)

    def page(
        self, rows: list[dict[str, Any]], query: dict[str, list[str]], path: str
    ) -> tuple[int, Any, dict[str, str]]:
        return self._page(rows, query, path)

    def fields_of(self, row: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        return _fields(row, query)

    # ---- Behaviour

    def _status_ref(self, status: dict[str, Any]) -> dict[str, Any]:
        board_id = status["board"]["id"]
        return {
            "id": status["id"],
            "name": status["name"],
            "sort": status["sortOrder"],
            "_info": {
                "status_href": self._href(f"service/boards/{board_id}/statuses/{status['id']}")
            },
        }

    def _ref(self, obj: dict[str, Any], path: str, key: str) -> dict[str, Any]:
        return {"id": obj["id"], "name": obj["name"], "_info": {key: self._href(path)}}

    def _href(self, path: str) -> str:
        # ConnectWise's own hrefs carry a double slash after apis/3.0
        return f"{self.site}/{CODEBASE}apis/3.0//{path}"

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in list(self.faults):
                if (fault.method is None or fault.method == method) and (
                    fault.path_contains is None or fault.path_contains in path
                ):
                    self.faults.remove(fault)
                    return fault
        return None

    def _handle_api(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, member: str
    ) -> tuple[int, Any, dict[str, str]]:
        resource = path.partition("apis/3.0/")[2]
        parts = [p for p in resource.strip("/").split("/") if p]
        with self._lock:
            if method == "GET" and parts == ["system", "info"]:
                return (
                    200,
                    {
                        "version": "v2025.1.101234",
                        "isCloud": True,
                        "serverTimeZone": "Eastern Standard Time",
                        "cloudRegion": "NA",
                    },
                    {},
                )
            if method == "GET" and parts == ["system", "myMembers"]:
                return 200, self.members[member], {}
            if parts[:1] == ["time"]:
                answer = self.time.handle(self, method, parts, query, body, member, path)
                if answer is not None:
                    return answer
            if parts[:2] == ["service", "tickets"] and len(parts) >= 3:
                ticket = self.tickets.get(_int(parts[2]))
                if ticket is None:
                    return _error(404, "NotFound", f"Ticket with id {parts[2]} not found.")
                if len(parts) == 3 and method == "GET":
                    return 200, _fields(ticket, query), {}
                if len(parts) == 3 and method == "PATCH":
                    return self._patch_ticket(ticket, body)
                if parts[3:] == ["notes"] and method == "GET":
                    return self._page(self.notes[ticket["id"]], query, path)
                if parts[3:] == ["notes", "count"] and method == "GET":
                    return 200, {"count": len(self.notes[ticket["id"]])}, {}
                if parts[3:] == ["notes"] and method == "POST":
                    return self._post_note(ticket, body, member)
            if parts == ["service", "boards"] and method == "GET":
                rows = sorted(
                    (b for b in self.boards.values() if not b.get("inactiveFlag")),
                    key=lambda b: b["name"].lower(),
                )
                return self._page(rows, query, path)
            if parts[:2] == ["service", "boards"] and parts[3:4] == ["statuses"]:
                board_id = _int(parts[2])
                if board_id not in self.boards:
                    return _error(404, "NotFound", f"Board with id {parts[2]} not found.")
                rows = sorted(
                    (s for s in self.statuses.values() if s["board"]["id"] == board_id),
                    key=lambda s: s["sortOrder"],
                )
                if len(parts) == 4 and method == "GET":
                    return self._page(rows, query, path)
                if parts[4:] == ["count"]:
                    return 200, {"count": len(rows)}, {}
        return _error(404, "NotFound", "The requested resource was not found.")

    def _post_note(
        self, ticket: dict[str, Any], body: Any, member: str
    ) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, dict):
            return _error(400, "InvalidObject", "serviceNote object is invalid")
        author = self.members[member]
        wanted = (body.get("member") or {}).get("identifier")
        if wanted:
            if wanted not in self.members:
                return _error(
                    400,
                    "InvalidObject",
                    "serviceNote object is invalid",
                    [("InvalidField", f"Member {wanted} was not found.", "member")],
                )
            author = self.members[wanted]
        internal = bool(body.get("internalAnalysisFlag"))
        note = {
            "id": self.new_id(),
            "ticketId": ticket["id"],
            # ConnectWise documents line breaks in JSON bodies coming back as spaces
            "text": " ".join(str(body.get("text") or "").split("\n")),
            "detailDescriptionFlag": bool(body.get("detailDescriptionFlag")),
            "internalAnalysisFlag": internal,
            "resolutionFlag": bool(body.get("resolutionFlag")),
            "issueFlag": False,
            "member": {
                "id": author["id"],
                "identifier": author["identifier"],
                "name": f"{author['firstName']} {author['lastName']}",
            },
            "processNotifications": body.get("processNotifications", True),
            "dateCreated": _now(),
            "createdBy": member,
            "internalFlag": internal,
            "externalFlag": not internal,
            "_info": {"lastUpdated": _now(), "updatedBy": member},
        }
        self.notes[ticket["id"]].append(note)
        if self.drop_after_note_stored > 0:
            self.drop_after_note_stored -= 1
            return 0, None, {}
        return 201, note, {}

    def _patch_ticket(self, ticket: dict[str, Any], body: Any) -> tuple[int, Any, dict[str, str]]:
        if not isinstance(body, list):
            return _error(400, "InvalidObject", "Patch operations must be a JSON array.")
        for operation in body:
            if not isinstance(operation, dict) or operation.get("op") not in (
                "add",
                "replace",
                "remove",
            ):
                return _error(400, "InvalidObject", "Invalid patch operation.")
            path = str(operation.get("path") or "").strip("/")
            if path not in ("status", "status/id"):
                return _error(400, "InvalidObject", f"Path {path} is not supported here.")
            value = operation.get("value")
            status_id = _int(value.get("id") if isinstance(value, dict) else value)
            status = self.statuses.get(status_id)
            board_id = ticket["board"]["id"]
            if status is None or status["board"]["id"] != board_id or status["inactive"]:
                if self.invalid_status_mode == "noop":
                    continue
                return _error(
                    400,
                    "InvalidObject",
                    "ticket object is invalid",
                    [("InvalidField", "The status is not valid for this board.", "status")],
                )
            if (
                self.closed_requires_completed
                and status["closedStatus"]
                and ticket["status"]["name"] != "Completed"
            ):
                return _error(403, "Forbidden", "You do not have access to close this ticket.")
            if self.false_200:
                continue
            self._set_status(ticket, status)
        answer = json.loads(json.dumps(ticket))
        if self.workflow_reverts_to is not None:
            self._set_status(ticket, self.statuses[self.workflow_reverts_to])
        return 200, answer, {}

    def _set_status(self, ticket: dict[str, Any], status: dict[str, Any]) -> None:
        ticket["status"] = self._status_ref(status)
        ticket["closedFlag"] = bool(status["closedStatus"])
        if status["closedStatus"]:
            ticket["closedDate"], ticket["closedBy"] = _now(), API_MEMBER
        else:
            ticket.pop("closedDate", None)
            ticket.pop("closedBy", None)
        ticket["_info"]["lastUpdated"] = _now()

    def _page(
        self, rows: list[dict[str, Any]], query: dict[str, list[str]], path: str
    ) -> tuple[int, Any, dict[str, str]]:
        size = min(1000, max(1, _int(_one(query, "pagesize") or 25)))
        page = max(1, _int(_one(query, "page") or 1))
        last = max(1, -(-len(rows) // size))
        chunk = rows[(page - 1) * size : page * size]
        links = [("first", 1)]
        if page > 1:
            links.append(("prev", page - 1))
        if page < last:
            links.append(("next", page + 1))
        links.append(("last", last))
        base = f"{self.site}{path}"
        header = ", ".join(f'<{base}?pageSize={size}&page={n}>; rel="{rel}"' for rel, n in links)
        return 200, [_fields(row, query) for row in chunk], {"Link": header}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # answer at once (TCP_NODELAY, as real servers do): otherwise each answer waits
            # ~40 ms for a delayed ACK
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def do_PATCH(self) -> None:
                self._serve("PATCH")

            def _serve(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = "<invalid json>"
                record = Recorded(
                    method,
                    url.path,
                    {k.lower(): v for k, v in parse_qs(url.query).items()},
                    {k.lower(): v for k, v in self.headers.items()},
                    body,
                )
                with emulator._lock:
                    emulator.requests.append(record)
                status, payload, headers = self._answer(method, url.path, record)
                record.answered = status
                if status == 0:
                    self.close_connection = True
                    self.connection.close()
                    return
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                content_type = (
                    "text/html"
                    if isinstance(payload, bytes)
                    else "application/vnd.connectwise.com+json; charset=utf-8"
                )
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _answer(
                self, method: str, path: str, record: Recorded
            ) -> tuple[int, Any, dict[str, str]]:
                if path.startswith("/login/companyinfo/"):
                    company = path.rsplit("/", 1)[-1]
                    codebase = emulator.companies.get(company.lower())
                    if codebase is None:
                        return 200, None, {}  # ConnectWise's answer for an unknown company
                    return (
                        200,
                        {
                            "CompanyName": company.title(),
                            "Codebase": codebase,
                            "VersionCode": "v2025.1",
                            "VersionNumber": "v2025.1.101234",
                            "CompanyID": company,
                            "IsCloud": True,
                        },
                        {},
                    )
                fault = emulator._take_fault(method, path)
                if fault is not None:
                    return _fault_answer(fault)
                codebase, sep, _ = path.lstrip("/").partition("apis/3.0/")
                if not sep or codebase not in (*emulator.companies.values(), "v4_6_release/"):
                    return _error(404, "NotFound", "The requested resource was not found.")
                member = _authenticated(record.headers)
                if member is None:
                    return _error(401, "Unauthorized", "Authentication failed.")
                if record.headers.get("clientid") != CLIENT_ID:
                    return _error(401, "Unauthorized", "A valid clientId header is required.")
                if emulator.delay_s:
                    time.sleep(emulator.delay_s)
                return emulator._handle_api(method, path, record.query, record.body, member)

        return Handler


def _authenticated(headers: dict[str, str]) -> str | None:
    """The API member for valid Basic company+public:private credentials."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(token).decode().partition(":")
    except ValueError:
        return None
    company, _, public = user.partition("+")
    if company.lower() == COMPANY and public == PUBLIC_KEY and password == PRIVATE_KEY:
        return API_MEMBER
    return None


def _fault_answer(fault: Fault) -> tuple[int, Any, dict[str, str]]:
    if fault.status == 0:
        return 0, None, {}
    headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
    if fault.text is not None:
        return fault.status, fault.text.encode(), headers
    if fault.status == 429:
        wait = fault.retry_after if fault.retry_after is not None else 30
        return (
            429,
            {
                "error": "ConnectWiseAPI",
                "message": f"Too many requests. Please try again in {wait:g} seconds.",
            },
            headers,
        )
    if fault.status == 504:
        return 504, b"<html><body><h1>504 Gateway Time-out</h1></body></html>", headers
    if fault.status == 500:
        return (
            500,
            {
                "code": "",
                "message": "An error occurred: The operation has timed out.",
                "errors": None,
            },
            headers,
        )
    status, body, _ = _error(fault.status, "Error", f"Injected {fault.status}.")
    return status, body, headers


def _error(
    status: int, code: str, message: str, errors: list[tuple[str, str, str]] | None = None
) -> tuple[int, Any, dict[str, str]]:
    return (
        status,
        {
            "code": code,
            "message": message,
            "errors": [
                {"code": c, "message": m, "resource": "ticket", "field": f} for c, m, f in errors
            ]
            if errors
            else None,
        },
        {},
    )


def _fields(row: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
    wanted = _one(query, "fields")
    if not wanted:
        return row
    names = {name.strip() for name in wanted.split(",")}
    return {k: v for k, v in row.items() if k in names}


def _one(query: dict[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def standard_setup(cw: ConnectWiseEmulator) -> tuple[int, int]:
    """A help-desk board with the usual statuses and one open ticket: (board_id, ticket_id)."""
    board = cw.add_board(
        "Help Desk",
        [
            "New",
            "In Progress",
            "Waiting on Customer",
            "Escalated",
            "Completed",
            "Resolved",
            "Closed",
        ],
        board_id=30,
    )
    cw.add_board("Projects", ["Open", "Closed"], board_id=31)
    ticket = cw.add_ticket(board, status="In Progress", ticket_id=5123)
    return board, ticket
