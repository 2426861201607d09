"""Past resolved sessions that resemble one session, with the fix that was applied and how it
went — the technician's confirmed outcomes only (an outcome the assistant proposed counts once
the technician confirmed it, which is when the fix's status moves).

Resemblance is full-text (``storage.search``): the session's ticket summary, company and facts
as words, matched against the title, ticket, facts and fixes of resolved sessions. A fix whose
outcome was confirmed ranks above one that never was (one that worked first of all); a
dismissed fix is never shown.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from storage.models import AiSession, FixStatus, SessionFact, SessionSuggestedFix
from storage.search import TABLE, owners_of

RESOLVED = ("resolved", "resolved_local")
CONFIRMED = (FixStatus.APPLIED_SUCCESS, FixStatus.APPLIED_FAILED, FixStatus.APPLIED_PARTIAL)
MAX_WORDS = 24  # the words a session is described by
CANDIDATE_ROWS = 400
_WORD = re.compile(r"[^\W\d_]{4,}", re.UNICODE)
# words every ticket has: they say nothing about which problem it is
_COMMON_WORDS = """
    that this with from have does when after before user users again still there their they
    them then than into were been being about what which while would could should please
    thanks ticket issue problem error working work works help need needs since every some
    other only also just more most very will cannot
"""
_COMMON = frozenset(_COMMON_WORDS.split())


@dataclass(frozen=True)
class PastFix:
    session_id: str
    title: str
    ticket_ref: str | None
    fix_title: str
    status: str  # the fix's confirmed outcome (or applied_pending / proposed: unconfirmed)
    record: str  # the same fix across resolved sessions: "worked 3 of 3", "failed once"
    confirmed: bool


def describe_session(session: Session, session_id: str) -> list[str]:
    """The words a session is recognised by: its ticket's summary and company, and its facts."""
    row = session.get(AiSession, session_id)
    if row is None:
        return []
    snapshot = row.ticket_snapshot or {}
    parts = [row.title, str(snapshot.get("summary") or ""), str(snapshot.get("company") or "")]
    parts += session.scalars(
        select(SessionFact.text).where(
            SessionFact.session_id == session_id, SessionFact.deleted_at.is_(None)
        )
    ).all()
    words: list[str] = []
    for word in _WORD.findall(" ".join(parts).casefold()):
        if word not in _COMMON and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def similar_resolved(session: Session, session_id: str, limit: int = 3) -> list[PastFix]:
    """Up to ``limit`` of the same technician's resolved sessions like this one, each with
    its applied fix."""
    if session.get_bind().dialect.name != "sqlite":
        return []  # team mode brings its own full-text search
    owner = session.get(AiSession, session_id)
    if owner is None:
        return []
    user_id = owner.user_id
    words = describe_session(session, session_id)
    if not words:
        return []
    match = "{title ticket fact fix} : (" + " OR ".join(f'"{word}"' for word in words) + ")"
    ranked = session.execute(
        text(
            f"SELECT rowid, bm25({TABLE}) AS score FROM {TABLE} WHERE {TABLE} MATCH :match "
            "ORDER BY score LIMIT :rows"
        ),
        {"match": match, "rows": CANDIDATE_ROWS},
    ).all()
    owners = owners_of(session, [row.rowid for row in ranked])
    resolved = set(
        session.scalars(
            select(AiSession.id).where(
                AiSession.id.in_(set(owners.values()) - {session_id}),
                AiSession.user_id == user_id,
                AiSession.deleted_at.is_(None),
                AiSession.status.in_(RESOLVED),
            )
        )
    )
    rows = [(owners[rowid], score) for rowid, score in ranked if owners.get(rowid) in resolved]
    scores: dict[str, float] = {}
    for sid, score in rows:
        scores[sid] = scores.get(sid, 0.0) + float(score)  # more matching pieces: closer
    found: list[tuple[int, float, PastFix]] = []
    records = _records(session, user_id)
    for sid, score in sorted(scores.items(), key=lambda item: item[1])[: limit * 5]:
        past = _applied_fix(session, sid, records)
        if past is not None:
            found.append((_standing(past), score, past))
    found.sort(key=lambda item: (item[0], item[1]))
    return [past for _standing_, _score, past in found[:limit]]


def _standing(past: PastFix) -> int:
    """What is shown first: a fix that worked there, then other confirmed outcomes (failed,
    partly), then outcomes never confirmed."""
    if past.status == FixStatus.APPLIED_SUCCESS.value:
        return 0
    return 1 if past.confirmed else 2


def _applied_fix(
    session: Session, session_id: str, records: dict[str, Counter[str]]
) -> PastFix | None:
    """The session's last fix that was applied (the one it was resolved with), if any."""
    fix = session.scalars(
        select(SessionSuggestedFix)
        .where(
            SessionSuggestedFix.session_id == session_id,
            SessionSuggestedFix.status != FixStatus.DISMISSED,
            SessionSuggestedFix.applied_at.is_not(None),
        )
        .order_by(SessionSuggestedFix.applied_at.desc())
        .limit(1)
    ).first()
    if fix is None:
        return None
    owner = session.get(AiSession, session_id)
    assert owner is not None
    return PastFix(
        session_id=session_id,
        title=owner.title,
        ticket_ref=owner.ticket_ref,
        fix_title=fix.title,
        status=str(fix.status),
        record=describe_record(records.get(_key(fix.title), Counter())),
        confirmed=fix.status in CONFIRMED,
    )


def _records(session: Session, user_id: str) -> dict[str, Counter[str]]:
    """Confirmed outcomes of every fix title across the user's resolved sessions."""
    rows = session.execute(
        select(SessionSuggestedFix.title, SessionSuggestedFix.status)
        .join(AiSession, AiSession.id == SessionSuggestedFix.session_id)
        .where(
            AiSession.user_id == user_id,
            AiSession.deleted_at.is_(None),
            AiSession.status.in_(RESOLVED),
            SessionSuggestedFix.status.in_(CONFIRMED),
        )
    ).all()
    records: dict[str, Counter[str]] = {}
    for title, status in rows:
        records.setdefault(_key(title), Counter())[str(status)] += 1
    return records


def describe_record(outcomes: Counter[str]) -> str:
    """ "worked 3 of 3", "worked 1 of 2, failed once", "failed twice", "not confirmed"."""
    total = sum(outcomes.values())
    if not total:
        return "outcome not confirmed"
    worked = outcomes.get(FixStatus.APPLIED_SUCCESS.value, 0)
    failed = outcomes.get(FixStatus.APPLIED_FAILED.value, 0)
    partial = outcomes.get(FixStatus.APPLIED_PARTIAL.value, 0)
    parts = [f"worked {worked} of {total}"] if worked else []
    if failed:
        parts.append(f"failed {_times(failed)}")
    if partial:
        parts.append(f"partly worked {_times(partial)}")
    return ", ".join(parts)


def _times(count: int) -> str:
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def _key(title: str) -> str:
    return " ".join(title.casefold().split())
