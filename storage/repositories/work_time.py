"""The session work timer's row: active seconds between work events, idle gaps left out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from storage.models import SessionWorkTime


@dataclass(frozen=True, slots=True)
class WorkTime:
    session_id: str
    active_seconds: float
    first_event_at: datetime | None
    last_event_at: datetime | None


def get_work_time(session: Session, session_id: str) -> WorkTime:
    """The session's timer; zero when no work was recorded yet."""
    row = session.get(SessionWorkTime, session_id)
    if row is None:
        return WorkTime(session_id, 0.0, None, None)
    return WorkTime(session_id, row.active_seconds, row.first_event_at, row.last_event_at)


def record_work_event(
    session: Session, session_id: str, at: datetime, idle_gap: timedelta
) -> WorkTime:
    """One work event at ``at``: the time since the previous one counts when it is no longer
    than ``idle_gap`` (an event older than the last one adds nothing)."""
    row = session.get(SessionWorkTime, session_id)
    if row is None:
        row = SessionWorkTime(
            session_id=session_id, active_seconds=0.0, first_event_at=at, last_event_at=at
        )
        session.add(row)
    else:
        gap = at - row.last_event_at
        if timedelta(0) < gap <= idle_gap:
            row.active_seconds += gap.total_seconds()
        row.last_event_at = max(row.last_event_at, at)
    session.flush()
    return WorkTime(session_id, row.active_seconds, row.first_event_at, row.last_event_at)
