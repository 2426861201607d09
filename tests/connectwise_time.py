"""The ConnectWise emulator's ``time/`` API: time entries, work types and work roles.

Kept beside ``tests/connectwise_emulator.py``, which routes every ``time/…`` path here. What it
reproduces (shared/reference/connectwise-api.md §7 and the public clients it cites):

- ``POST time/entries`` answers 201 with the stored ``TimeEntry``: ``chargeToId`` /
  ``chargeToType`` (``ServiceTicket``), ``member`` (by ``identifier`` or ``id``; the API member
  when left out), ``timeStart`` / ``timeEnd`` in UTC ``YYYY-MM-DDTHH:MM:SSZ`` only,
  ``actualHours`` computed from them less ``hoursDeduct`` (or ``timeEnd`` from ``actualHours``),
  ``workType`` / ``workRole`` references (by ``id`` or ``name``; the defaults when left out),
  ``billableOption`` (Billable|DoNotBill|NoCharge|NoDefault; the work type's when left out),
  ``notes`` with line breaks sent back as spaces, like notes. Only ``timeStart`` is required.
- ``GET time/entries/{id}``, ``GET time/entries`` with ``conditions`` (``AND`` of
  ``field op value``; ``member/identifier`` paths; ``"…"``/``'…'`` strings, bare numbers,
  ``[…Z]`` datetimes) and paging, ``GET time/entries/count``.
- ``GET time/workTypes`` and ``GET time/workRoles`` (ConnectWise keeps both under ``time/``,
  e.g. pyconnectwise's TimeWorktypes / TimeWorkroles endpoints), ``inactiveFlag`` conditions.
- Refusals: a ticket that is closed, or whose status has ``timeEntryNotAllowed``, answers 400
  ``InvalidObject`` naming ``chargeToId``; an API member whose security role lacks Time Entry
  answers 403 ``{"code":"Security","message":"You do not have security permission to perform
  this action.","errors":null}`` (the body ConnectPyse issue #20 shows for exactly this).
- Faults on demand: an entry stored whose answer never arrives, an entry answered 201 but
  never stored (the "time entries never populate, no error" reports), and a change made to
  the stored entry after the answer (a workflow or a rounding rule on the server).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.connectwise_emulator import ConnectWiseEmulator

Answer = tuple[int, Any, dict[str, str]]

BILLABLE_OPTIONS = ("Billable", "DoNotBill", "NoCharge", "NoDefault")
CHARGE_TO_TYPES = ("ServiceTicket", "ProjectTicket", "ChargeCode", "Activity")
SECURITY_MESSAGE = "You do not have security permission to perform this action."
_CW_TIME = "%Y-%m-%dT%H:%M:%SZ"
_CW_TIME_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_CONDITION = re.compile(
    r"""\s*(?P<field>[A-Za-z_][\w/]*)\s*(?P<op>!=|<=|>=|=|<|>)\s*
        (?P<value>"[^"]*"|'[^']*'|\[[^\]]*\]|[^\s()]+)\s*(?P<join>(?i:and)\s+|$)""",
    re.VERBOSE,
)


@dataclass
class TimeApi:
    """The time entries, work types and roles one emulator holds, and its time faults."""

    entries: dict[int, dict[str, Any]] = field(default_factory=dict)
    work_types: dict[int, dict[str, Any]] = field(default_factory=dict)
    work_roles: dict[int, dict[str, Any]] = field(default_factory=dict)
    add_allowed: bool = True  # the API member's security role may add time entries
    inquire_allowed: bool = True  # …and read them
    drop_after_stored: int = 0  # store the next N entries, then close without answering
    vanish_next: int = 0  # answer 201 for the next N entries but never store them
    after_store: Callable[[dict[str, Any]], None] | None = None  # changes the stored copy

    def __post_init__(self) -> None:
        for type_id, name, bill in (
            (1, "Remote Support", "Billable"),
            (2, "Onsite", "Billable"),
            (3, "Admin", "NoCharge"),
            (4, "Legacy Travel", "DoNotBill"),
        ):
            self.work_types.setdefault(
                type_id,
                {
                    "id": type_id,
                    "name": name,
                    "billTime": bill,
                    "rateType": "AdjAmount",
                    "inactiveFlag": name.startswith("Legacy"),
                    "defaultFlag": type_id == 1,
                },
            )
        for role_id, name, rate in (
            (10, "Technician", 95.0),
            (11, "Senior Engineer", 140.0),
            (12, "Old Role", 50.0),
        ):
            self.work_roles.setdefault(
                role_id,
                {
                    "id": role_id,
                    "name": name,
                    "hourlyRate": rate,
                    "inactiveFlag": name.startswith("Old"),
                    "defaultFlag": role_id == 10,
                },
            )

    def handle(
        self,
        cw: ConnectWiseEmulator,
        method: str,
        parts: list[str],
        query: dict[str, list[str]],
        body: Any,
        member: str,
        path: str,
    ) -> Answer | None:
        """The answer for a ``time/…`` request; None when no such resource exists."""
        rest = parts[1:]
        if rest in (["workTypes"], ["workRoles"]) and method == "GET":
            table = self.work_types if rest == ["workTypes"] else self.work_roles
            rows = sorted(table.values(), key=lambda row: row["name"].lower())
            return _filtered(cw, rows, query, path)
        if rest[:1] != ["entries"]:
            return None
        if method == "POST" and rest == ["entries"]:
            if not self.add_allowed:
                return security_error()
            return self._post(cw, body, member)
        if method != "GET":
            return None
        if not self.inquire_allowed:
            return security_error()
        if rest == ["entries"]:
            return _filtered(cw, list(self.entries.values()), query, path)
        if rest == ["entries", "count"]:
            answer = _matching(list(self.entries.values()), query)
            return answer if isinstance(answer, tuple) else (200, {"count": len(answer)}, {})
        if len(rest) == 2:
            entry = self.entries.get(_int(rest[1]))
            if entry is None:
                return invalid(404, "NotFound", f"TimeEntry with id {rest[1]} not found.")
            return 200, cw.fields_of(entry, query), {}
        return None

    # ---- POST

    def _post(self, cw: ConnectWiseEmulator, body: Any, api_member: str) -> Answer:
        if not isinstance(body, dict):
            return invalid(400, "InvalidObject", "timeEntry object is invalid")
        problems: list[tuple[str, str, str]] = []
        start = _cw_time(body.get("timeStart"), "timeStart", problems, required=True)
        end = _cw_time(body.get("timeEnd"), "timeEnd", problems, required=False)
        charge_type = str(body.get("chargeToType") or "ServiceTicket")
        if charge_type not in CHARGE_TO_TYPES:
            problems.append(
                ("InvalidField", f"chargeToType {charge_type} is invalid.", "chargeToType")
            )
        ticket = None
        if charge_type == "ServiceTicket" and body.get("chargeToId") is not None:
            ticket = cw.tickets.get(_int(body.get("chargeToId")))
            if ticket is None:
                problems.append(
                    (
                        "InvalidField",
                        f"Ticket {body.get('chargeToId')} was not found.",
                        "chargeToId",
                    )
                )
        author = _member(cw, body.get("member"), api_member, problems)
        work_type = _reference(body.get("workType"), self.work_types, "workType", problems)
        work_role = _reference(body.get("workRole"), self.work_roles, "workRole", problems)
        billable = body.get("billableOption")
        if billable is not None and billable not in BILLABLE_OPTIONS:
            problems.append(
                ("InvalidField", f"billableOption {billable} is invalid.", "billableOption")
            )
        deduct = _number(body.get("hoursDeduct"), "hoursDeduct", problems) or 0.0
        actual = _number(body.get("actualHours"), "actualHours", problems)
        if problems or start is None:
            return invalid(400, "InvalidObject", "timeEntry object is invalid", problems)
        if end is None and actual is not None:
            end = start + timedelta(hours=actual + deduct)
        if end is not None and end <= start:
            return invalid(
                400,
                "InvalidObject",
                "timeEntry object is invalid",
                [("InvalidField", "The end time must be after the start time.", "timeEnd")],
            )
        if ticket is not None:
            refused = _closed_for_time(cw, ticket)
            if refused:
                return invalid(
                    400,
                    "InvalidObject",
                    "timeEntry object is invalid",
                    [("InvalidField", refused, "chargeToId")],
                )
        if actual is None and end is not None:
            actual = round((end - start).total_seconds() / 3600 - deduct, 2)
        work_type = work_type or next(t for t in self.work_types.values() if t["defaultFlag"])
        work_role = work_role or next(r for r in self.work_roles.values() if r["defaultFlag"])
        now = datetime.now(UTC).strftime(_CW_TIME)
        entry: dict[str, Any] = {
            "id": cw.new_id(),
            "company": (ticket or {}).get("company", {"id": 250, "identifier": "Internal"}),
            "chargeToId": ticket["id"] if ticket else body.get("chargeToId"),
            "chargeToType": charge_type,
            "member": {
                "id": author["id"],
                "identifier": author["identifier"],
                "name": f"{author['firstName']} {author['lastName']}",
                "_info": {"member_href": cw.href(f"system/members/{author['id']}")},
            },
            "workType": cw.ref(work_type, f"time/workTypes/{work_type['id']}", "workType_href"),
            "workRole": cw.ref(work_role, f"time/workRoles/{work_role['id']}", "workRole_href"),
            "timeStart": start.strftime(_CW_TIME),
            "timeEnd": end.strftime(_CW_TIME) if end else None,
            "hoursDeduct": deduct,
            "actualHours": actual,
            "billableOption": billable or work_type["billTime"],
            # like notes: line breaks in a JSON body come back as spaces
            "notes": " ".join(str(body.get("notes") or "").split("\n")),
            "addToDetailDescriptionFlag": bool(body.get("addToDetailDescriptionFlag")),
            "addToInternalAnalysisFlag": bool(body.get("addToInternalAnalysisFlag")),
            "addToResolutionFlag": bool(body.get("addToResolutionFlag")),
            "emailResourceFlag": bool(body.get("emailResourceFlag")),
            "emailContactFlag": bool(body.get("emailContactFlag")),
            "emailCcFlag": bool(body.get("emailCcFlag")),
            "enteredBy": api_member,
            "dateEntered": now,
            "_info": {"lastUpdated": now, "updatedBy": api_member},
        }
        if ticket is not None:
            entry["ticket"] = {"id": ticket["id"], "summary": ticket["summary"]}
        answer = {**entry}
        if self.vanish_next > 0:
            self.vanish_next -= 1
            return 201, answer, {}
        self.entries[entry["id"]] = entry
        if self.after_store is not None:
            self.after_store(entry)
        if self.drop_after_stored > 0:
            self.drop_after_stored -= 1
            return 0, None, {}
        return 201, answer, {}


def security_error() -> Answer:
    return 403, {"code": "Security", "message": SECURITY_MESSAGE, "errors": None}, {}


def invalid(
    status: int, code: str, message: str, errors: list[tuple[str, str, str]] | None = None
) -> Answer:
    return (
        status,
        {
            "code": code,
            "message": message,
            "errors": [
                {"code": c, "message": m, "resource": "timeEntry", "field": f} for c, m, f in errors
            ]
            if errors
            else None,
        },
        {},
    )


def _closed_for_time(cw: ConnectWiseEmulator, ticket: dict[str, Any]) -> str:
    """Why ConnectWise refuses time on this ticket, or ""."""
    status = cw.statuses.get(ticket["status"]["id"]) or {}
    if status.get("timeEntryNotAllowed"):
        return f"Time entries are not allowed on tickets with the status {status['name']}."
    if ticket.get("closedFlag"):
        return f"Ticket {ticket['id']} is closed; time cannot be entered against a closed ticket."
    return ""


def _member(
    cw: ConnectWiseEmulator, wanted: Any, api_member: str, problems: list[tuple[str, str, str]]
) -> dict[str, Any]:
    members = cw.members
    if not isinstance(wanted, dict) or not (wanted.get("identifier") or wanted.get("id")):
        return members[api_member]
    for member in members.values():
        if wanted.get("identifier") == member["identifier"] or wanted.get("id") == member["id"]:
            return member
    said = wanted.get("identifier") or wanted.get("id")
    problems.append(("InvalidField", f"Member {said} was not found.", "member"))
    return members[api_member]


def _reference(
    wanted: Any,
    table: dict[int, dict[str, Any]],
    name: str,
    problems: list[tuple[str, str, str]],
) -> dict[str, Any] | None:
    if wanted is None:
        return None
    if isinstance(wanted, dict):
        for row in table.values():
            if wanted.get("id") == row["id"] or (
                "id" not in wanted and wanted.get("name") == row["name"]
            ):
                if row.get("inactiveFlag"):
                    problems.append(("InvalidField", f"{row['name']} is inactive.", name))
                return row
    problems.append(("InvalidField", f"The {name} was not found.", name))
    return None


def _cw_time(
    value: Any, name: str, problems: list[tuple[str, str, str]], *, required: bool
) -> datetime | None:
    if value is None or value == "":
        if required:
            problems.append(("Required", f"{name} is required.", name))
        return None
    if not isinstance(value, str) or not _CW_TIME_SHAPE.match(value):
        problems.append(
            ("InvalidField", f"{name} must be a UTC date and time like 2024-05-01T13:00:00Z.", name)
        )
        return None
    return datetime.strptime(value, _CW_TIME).replace(tzinfo=UTC)


def _number(value: Any, name: str, problems: list[tuple[str, str, str]]) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        problems.append(("InvalidField", f"{name} must be a number.", name))
        return None


# ---- Conditions


def _filtered(
    cw: ConnectWiseEmulator, rows: list[dict[str, Any]], query: dict[str, list[str]], path: str
) -> Answer:
    matched = _matching(rows, query)
    if isinstance(matched, tuple):
        return matched
    return cw.page(matched, query, path)


def _matching(
    rows: list[dict[str, Any]], query: dict[str, list[str]]
) -> list[dict[str, Any]] | Answer:
    text = (query.get("conditions") or [""])[0].strip()
    if not text:
        return rows
    clauses: list[tuple[str, str, Any]] = []
    position = 0
    while position < len(text):
        match = _CONDITION.match(text, position)
        if match is None or match.end() == position:
            return invalid(
                400, "InvalidObject", f"The conditions are invalid near: {text[position:]}"
            )
        clauses.append((match["field"], match["op"], _condition_value(match["value"])))
        position = match.end()
    return [row for row in rows if all(_holds(row, *clause) for clause in clauses)]


def _condition_value(raw: str) -> Any:
    if raw[:1] in "\"'":
        return raw[1:-1]
    if raw.startswith("["):
        return raw[1:-1]  # ISO Z strings compare in time order
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    try:
        return float(raw) if "." in raw else int(raw)
    except ValueError:
        return raw


def _holds(row: dict[str, Any], path: str, op: str, wanted: Any) -> bool:
    value: Any = row
    for key in path.split("/"):
        lowered = {k.lower(): v for k, v in value.items()} if isinstance(value, dict) else {}
        value = lowered.get(key.lower())
    if isinstance(value, bool) or isinstance(wanted, bool):
        value = bool(value)
    elif isinstance(wanted, int | float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return False
    else:
        value, wanted = str(value if value is not None else ""), str(wanted)
        if op in ("=", "!="):
            value, wanted = value.lower(), wanted.lower()
    checks: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return checks[op](value, wanted)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
