"""Time entries (issue 21): the session work timer, the time entry drafted from it, queued in
the outbox and, when sent, posted once and read back field by field.

``WorkTimer`` counts active work: the time between work events (focus on the session,
typing, lane actions) when the gap is no longer than ``idle_gap``; a longer gap is a break and
is not counted. It lives in the database (``session_work_time``), so a restart keeps it.

``TimeEntryService`` drafts an entry (end at the last work event, start that much active time
before, notes from the note being posted, scrubbed; the team's default work type, role and
billing), and queues it as an outbox job of kind ``time_entry`` whose idempotency key is the
session and the start time: queueing the same entry twice is one job.

``send_time_entry`` is what the outbox worker runs for such a job: after an earlier attempt
(which may have reached ConnectWise without an answer) it looks the entry up by ticket, member
and start before posting; then it reads the entry back and compares ticket, member, times,
work type, work role, billing and notes. An entry that is not there or does not match raises
``TimeEntryNotVerifiedError``: a loud, specific failure the technician can Retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.preferences import PreferencesGateway
from flowpilot_desktop.psa_access import PsaAccess
from flowpilot_desktop.scrubbing import default_scrubber
from psa.errors import PsaError
from psa.provider import (
    BillableOption,
    NoteKind,
    PostedTimeEntry,
    PsaProvider,
    TimeEntryRequest,
    WorkOption,
)
from storage.database import Database
from storage.models import utcnow
from storage.repositories import outbox
from storage.repositories import sessions as session_repository
from storage.repositories.work_time import WorkTime, get_work_time, record_work_event

__all__ = [
    "BillableOption",  # for the form: ui imports no psa
    "TimeEntryDraft",
    "TimeEntryNotVerifiedError",
    "TimeEntryService",
    "WorkOptions",
    "WorkTimer",
    "send_time_entry",
]

TIME_ENTRY_JOB_KIND = "time_entry"
IDLE_GAP = timedelta(minutes=5)
# Team preferences (account_settings): skip the form, and the form's defaults.
SKIP_PREFERENCE = "skip_time_entries"
WORK_TYPE_PREFERENCE = "time_entry_work_type_id"
WORK_ROLE_PREFERENCE = "time_entry_work_role_id"
BILLABLE_PREFERENCE = "time_entry_billable"
WORK_EVENTS = ("focus", "typing", "lane")


def time_entry_key(session_id: str, time_start: datetime) -> str:
    return f"{session_id}:time:{_iso(time_start)}"


class TimeEntryNotVerifiedError(PsaError):
    """ConnectWise took the entry but reading it back found it missing or different."""


# ---- The work timer


class WorkTimer:
    """Active work per session, kept in the database."""

    def __init__(
        self,
        database: Database,
        idle_gap: timedelta = IDLE_GAP,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._database = database
        self.idle_gap = idle_gap
        self._clock = clock

    async def record(self, session_id: str, event: str = "focus") -> WorkTime:
        """A work event now (``focus``, ``typing`` or ``lane``)."""
        if event not in WORK_EVENTS:
            raise ValueError(f"unknown work event {event!r}")
        now = self._clock()
        return await self._database.run(
            lambda s: record_work_event(s, session_id, now, self.idle_gap)
        )

    async def work_time(self, session_id: str) -> WorkTime:
        return await self._database.run(lambda s: get_work_time(s, session_id))


def format_duration(seconds: float) -> str:
    """``0:45`` style hours and minutes, as the session header shows the timer."""
    minutes = int(seconds // 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


# ---- Drafting and queueing


@dataclass(frozen=True, kw_only=True)
class TimeEntryDraft:
    """The time entry form's values: prefilled by ``draft``, edited by the technician."""

    session_id: str
    ticket_id: int
    time_start: datetime
    time_end: datetime
    notes: str
    work_type_id: int | None = None
    work_role_id: int | None = None
    billable: BillableOption | None = None

    @property
    def minutes(self) -> int:
        return round((self.time_end - self.time_start).total_seconds() / 60)


@dataclass(frozen=True)
class WorkOptions:
    """ConnectWise's live lists for the form."""

    work_types: list[WorkOption]
    work_roles: list[WorkOption]


class TimeEntryService:
    def __init__(
        self,
        database: Database,
        timer: WorkTimer,
        preferences: PreferencesGateway,
        psa: PsaAccess,
        wake_sender: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._database = database
        self.timer = timer
        self._preferences = preferences
        self._psa = psa
        self._wake_sender = wake_sender
        self._clock = clock

    async def skipped(self) -> bool:
        """The team's preference: don't offer the form after Resolve / Escalate."""
        return bool((await self._preferences.get_preferences()).get(SKIP_PREFERENCE))

    async def set_skipped(self, skip: bool) -> None:
        await self._preferences.merge_preferences({SKIP_PREFERENCE: bool(skip)})

    async def options(self) -> WorkOptions:
        """Work types and roles as ConnectWise lists them now."""
        async with self._psa.open() as provider:
            types, roles = await asyncio.gather(provider.work_types(), provider.work_roles())
        return WorkOptions(types, roles)

    async def draft(
        self, session_id: str, kind: NoteKind | None = None, note: str | None = None
    ) -> TimeEntryDraft:
        """The form prefilled: the timer's active work ending at the last work event (at least
        a minute, whole minutes), notes from the note of ``kind`` (scrubbed) — or ``note``, the
        note about to be posted — and the team's defaults."""

        def read(s: Session) -> tuple[session_repository.Conclusion, WorkTime]:
            return session_repository.get_conclusion(s, session_id), get_work_time(s, session_id)

        conclusion, worked = await self._database.run(read)
        if not conclusion.ticket_ref:
            raise UserFacingError("Link a ticket first: a time entry is charged to a ticket.")
        end = _minute(worked.last_event_at or self._clock())
        minutes = max(1, -(-int(worked.active_seconds) // 60))
        if note is None:
            note = {
                NoteKind.RESOLUTION: conclusion.resolution_note,
                NoteKind.ESCALATION: conclusion.escalation_package,
                None: conclusion.resolution_note or conclusion.escalation_package,
            }[kind]
        notes = await self._scrub(session_id, note or "")
        preferences = await self._preferences.get_preferences()
        billable = preferences.get(BILLABLE_PREFERENCE)
        return TimeEntryDraft(
            session_id=session_id,
            ticket_id=int(conclusion.ticket_ref),
            time_start=end - timedelta(minutes=minutes),
            time_end=end,
            notes=notes,
            work_type_id=_int_or_none(preferences.get(WORK_TYPE_PREFERENCE)),
            work_role_id=_int_or_none(preferences.get(WORK_ROLE_PREFERENCE)),
            billable=BillableOption(billable) if billable in set(BillableOption) else None,
        )

    async def queue(self, session_id: str, entry: TimeEntryDraft) -> SessionChange:
        """Queue the entry for the outbox (once per session and start time); wake the sender.
        The work type, role and billing chosen become the team's defaults for the next one."""
        if entry.time_end <= entry.time_start:
            raise UserFacingError("The time entry ends before it starts: check the times.")
        if entry.time_start.tzinfo is None or entry.time_end.tzinfo is None:
            raise ValueError("time entry times must be timezone-aware")
        notes = await self._scrub(session_id, entry.notes)
        member = (await self._psa.settings()).member_identifier
        now = self._clock()
        payload = {
            "ticket_id": int(entry.ticket_id),
            "member": member,  # "" → the API member, resolved when sent
            "time_start": _iso(entry.time_start),
            "time_end": _iso(entry.time_end),
            "work_type_id": entry.work_type_id,
            "work_role_id": entry.work_role_id,
            "billable": entry.billable.value if entry.billable else None,
            "notes": notes,
        }

        def write(s: Session) -> session_repository.SessionSummary:
            outbox.enqueue(
                s,
                session_id=session_id,
                kind=TIME_ENTRY_JOB_KIND,
                payload=payload,
                idempotency_key=time_entry_key(session_id, entry.time_start),
                due_at=now,
            )
            return session_repository.get_session_summary(s, session_id)

        summary = await self._database.run(write)
        await self._preferences.merge_preferences(
            {
                WORK_TYPE_PREFERENCE: entry.work_type_id,
                WORK_ROLE_PREFERENCE: entry.work_role_id,
                BILLABLE_PREFERENCE: entry.billable.value if entry.billable else None,
            }
        )
        self._wake_sender()
        return SessionChange.of(summary, ChangeKind.SYNC)

    async def _scrub(self, session_id: str, text: str) -> str:
        scrubbed = await asyncio.to_thread(default_scrubber().scrub, text.strip(), scope=session_id)
        return scrubbed.text


# ---- Sending (run by the outbox worker)


def request_of(payload: dict[str, Any], member: str) -> TimeEntryRequest:
    billable = payload.get("billable")
    return TimeEntryRequest(
        ticket_id=int(payload["ticket_id"]),
        member=member,
        time_start=datetime.fromisoformat(str(payload["time_start"])),
        time_end=datetime.fromisoformat(str(payload["time_end"])),
        work_type_id=_int_or_none(payload.get("work_type_id")),
        work_role_id=_int_or_none(payload.get("work_role_id")),
        billable=BillableOption(billable) if billable else None,
        notes=str(payload.get("notes") or ""),
    )


@dataclass(frozen=True)
class SentTimeEntry:
    entry: PostedTimeEntry  # as read back
    found_existing: bool
    member: str


async def send_time_entry(
    provider: PsaProvider,
    payload: dict[str, Any],
    *,
    may_have_landed: bool,
    fence: Callable[[], Awaitable[None]],
) -> SentTimeEntry:
    """Post the entry once (looked up first when an earlier attempt may have landed), then
    read it back and compare; TimeEntryNotVerifiedError when missing or different.
    ``fence`` runs right before the post (the lease check)."""
    member = str(payload.get("member") or "") or await provider.member_identifier()
    request = request_of(payload, member)
    posted: PostedTimeEntry | None = None
    if may_have_landed:
        found = await provider.find_time_entries(request.ticket_id, member, request.time_start)
        matching = [e for e in found if not _differences(request, e)]
        candidates = matching or found
        posted = candidates[-1] if candidates else None
    found_existing = posted is not None
    if posted is None:
        await fence()
        posted = await provider.post_time_entry(request)
    back = await provider.get_time_entry(posted.entry_id)
    what = f"time entry {posted.entry_id} on ticket #{request.ticket_id}"
    if back is None:
        raise TimeEntryNotVerifiedError(
            f"ConnectWise answered that {what} was saved, but reading it back finds no such "
            "entry: the time is not logged. Retry posts it again."
        )
    differences = _differences(request, back)
    if differences:
        raise TimeEntryNotVerifiedError(
            f"Read back from ConnectWise, {what} is not what was sent: "
            + "; ".join(differences)
            + ". Correct or delete it in ConnectWise, then Retry (Retry checks it again and "
            "posts only if it is gone)."
        )
    return SentTimeEntry(replace(back, raw={}), found_existing, member)


def _differences(sent: TimeEntryRequest, held: PostedTimeEntry) -> list[str]:
    """What ConnectWise holds that differs from what was sent, in plain words."""
    found: list[str] = []

    def differ(what: str, held_value: object, sent_value: object) -> None:
        found.append(f"{what} is {_shown(held_value)}, not {_shown(sent_value)}")

    if held.ticket_id != sent.ticket_id:
        differ("the ticket", held.ticket_id, sent.ticket_id)
    if held.member.casefold() != sent.member.casefold():
        differ("the member", held.member, sent.member)
    if held.time_start != sent.time_start.replace(microsecond=0):
        differ("the start", held.time_start, sent.time_start)
    if held.time_end != sent.time_end.replace(microsecond=0):
        differ("the end", held.time_end, sent.time_end)
    if sent.work_type_id is not None and held.work_type_id != sent.work_type_id:
        differ("the work type", held.work_type or held.work_type_id, f"type {sent.work_type_id}")
    if sent.work_role_id is not None and held.work_role_id != sent.work_role_id:
        differ("the work role", held.work_role or held.work_role_id, f"role {sent.work_role_id}")
    if sent.billable is not None and held.billable != sent.billable.value:
        differ("billing", held.billable, sent.billable.value)
    if " ".join(held.notes.split()) != " ".join(sent.notes.split()):
        found.append("the notes differ")
    return found


def _shown(value: object) -> str:
    if isinstance(value, datetime):
        return _iso(value).replace("+00:00", "Z")
    return "none" if value is None or value == "" else f"“{value}”"


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError):
        return None
