"""Full-text search over a technician's sessions (SQLite FTS5, ranked by bm25).

One index row per searchable piece: a session's title, its ticket (number and snapshot), each
fact, each visible message, each fix, each posted note. The index follows every ORM write in
the same transaction (an ``after_flush`` hook on the Database's sessions), so it can't drift
from the data; migration 0004 built it for databases that existed before.

``SearchIndex`` is the small interface the service uses; ``Fts5SearchIndex`` is SQLite's. A
PostgreSQL deployment (team mode) gets its own implementation on tsvector later; until then
``LikeSearchIndex`` matches titles and tickets with ILIKE so search still works there.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, event, select, text
from sqlalchemy.orm import Session, sessionmaker

from storage.models import AiSession, Message, SessionFact, SessionSuggestedFix

TABLE = "search_index"
# FTS5 keeps its data in shadow tables named after the virtual table
SEARCH_TABLES = frozenset(
    {TABLE} | {f"{TABLE}_{part}" for part in ("data", "idx", "content", "docsize", "config")}
)
CREATE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    "body, session_id UNINDEXED, source UNINDEXED, ref UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)
# How much a hit counts, by where it is: a title hit ranks above a message hit.
WEIGHTS = {"title": 4.0, "ticket": 3.0, "fact": 2.0, "fix": 2.0, "note": 1.5, "message": 1.0}
SNIPPET_START, SNIPPET_END = "\x02", "\x03"  # around each matched term in a snippet
MAX_HITS = 2000  # index rows read per search; sessions come out ranked from these
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    """The best match in one session: where (title, ticket, fact, message, fix, note), which
    row (a message id, to open the session at it) and a snippet with the terms marked."""

    session_id: str
    source: str
    ref: str | None
    snippet: str
    score: float  # lower is better (bm25 × the source's weight)


class SearchIndex(Protocol):
    def search(self, session: Session, user_id: str, query: str, limit: int) -> list[SearchHit]: ...


def match_query(query: str) -> str | None:
    """The FTS5 query for what was typed: every word, as a prefix, all required. Words are
    quoted, so nothing typed is read as FTS syntax (AND, NEAR, column filters, quotes)."""
    words = _TOKEN.findall(query)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


class Fts5SearchIndex:
    def search(self, session: Session, user_id: str, query: str, limit: int) -> list[SearchHit]:
        """The user's live sessions matching every word, best first, one hit per session."""
        match = match_query(query)
        if match is None:
            return []
        weight = " ".join(f"WHEN '{source}' THEN {value}" for source, value in WEIGHTS.items())
        rows = session.execute(
            text(
                f"SELECT i.session_id, i.source, i.ref, "
                f"snippet({TABLE}, 0, :start, :end, '…', 12), "
                f"bm25({TABLE}) * (CASE i.source {weight} ELSE 1.0 END) AS score "
                f"FROM {TABLE} AS i JOIN ai_sessions AS s ON s.id = i.session_id "
                f"WHERE {TABLE} MATCH :match AND s.user_id = :user AND s.deleted_at IS NULL "
                "ORDER BY score LIMIT :hits"
            ),
            {
                "start": SNIPPET_START,
                "end": SNIPPET_END,
                "match": match,
                "user": user_id,
                "hits": MAX_HITS,
            },
        ).all()
        best: dict[str, SearchHit] = {}
        for session_id, source, ref, snippet, score in rows:
            if session_id not in best:
                best[session_id] = SearchHit(session_id, source, ref, snippet, float(score))
                if len(best) >= limit:
                    break
        return list(best.values())


class LikeSearchIndex:
    """Where FTS5 is not there (PostgreSQL until team mode brings its own): titles and tickets."""

    def search(self, session: Session, user_id: str, query: str, limit: int) -> list[SearchHit]:
        words = _TOKEN.findall(query)
        if not words:
            return []
        statement = select(AiSession.id, AiSession.title).where(
            AiSession.user_id == user_id, AiSession.deleted_at.is_(None)
        )
        for word in words:
            pattern = f"%{word}%"
            statement = statement.where(
                AiSession.title.ilike(pattern) | AiSession.ticket_ref.ilike(pattern)
            )
        rows = session.execute(statement.order_by(AiSession.last_activity_at.desc()).limit(limit))
        return [SearchHit(row.id, "title", None, row.title, 0.0) for row in rows]


def search_index_for(dialect: str) -> SearchIndex:
    return Fts5SearchIndex() if dialect == "sqlite" else LikeSearchIndex()


# ---- Keeping the index in step


def keep_index_current(factory: sessionmaker[Session]) -> None:
    """Index every write made through ``factory``'s sessions, in their own transaction."""
    event.listen(factory, "after_flush", _after_flush)


def _after_flush(session: Session, _context: Any) -> None:
    if session.get_bind().dialect.name != "sqlite":
        return
    changed = [*session.new, *session.dirty]
    for obj in session.deleted:
        if isinstance(obj, (Message, SessionFact, SessionSuggestedFix)):
            _delete(session, _source_of(obj), obj.id)
        elif isinstance(obj, AiSession):
            for source in ("title", "ticket", "note"):
                _delete(session, source, obj.id)  # its messages' rows go unmatched (joined out)
    for obj in changed:
        if isinstance(obj, AiSession):
            _index_session(session, obj)
        elif isinstance(obj, Message):
            _replace(session, obj.session_id, "message", obj.id, _message_text(obj))
        elif isinstance(obj, SessionFact):
            _replace(session, obj.session_id, "fact", obj.id, None if obj.deleted_at else obj.text)
        elif isinstance(obj, SessionSuggestedFix):
            _replace(session, obj.session_id, "fix", obj.id, _fix_text(obj))


def _index_session(session: Session, row: AiSession) -> None:
    _replace(session, row.id, "title", row.id, row.title)
    _replace(session, row.id, "ticket", row.id, ticket_text(row.ticket_ref, row.ticket_snapshot))
    notes = [row.resolution_note_markdown or "", row.escalation_package_markdown or ""]
    _replace(session, row.id, "note", row.id, "\n\n".join(n for n in notes if n) or None)


def row_id(source: str, ref: str) -> int:
    """The index row of one piece: derived from what it is, so replacing or deleting it is a
    rowid lookup (FTS5 has no index on its other columns; a WHERE on them scans them all)."""
    digest = hashlib.blake2b(f"{source}:{ref}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1  # a positive 63-bit integer


def insert_row(
    session: Session | Connection, session_id: str, source: str, ref: str, body: str
) -> None:
    session.execute(
        text(
            f"INSERT INTO {TABLE} (rowid, body, session_id, source, ref) "
            "VALUES (:rowid, :body, :session_id, :source, :ref)"
        ),
        {
            "rowid": row_id(source, ref),
            "body": body,
            "session_id": session_id,
            "source": source,
            "ref": ref,
        },
    )


def _replace(session: Session, session_id: str, source: str, ref: str, body: str | None) -> None:
    _delete(session, source, ref)
    if body and body.strip():
        insert_row(session, session_id, source, ref, body)


def _delete(session: Session, source: str, ref: str) -> None:
    session.execute(
        text(f"DELETE FROM {TABLE} WHERE rowid = :rowid"), {"rowid": row_id(source, ref)}
    )


def _source_of(obj: object) -> str:
    if isinstance(obj, Message):
        return "message"
    if isinstance(obj, SessionFact):
        return "fact"
    return "fix"


def _message_text(row: Message) -> str | None:
    return None if row.deleted_at is not None else row.content


def _fix_text(row: SessionSuggestedFix) -> str | None:
    return f"{row.title}\n{row.description or ''}"


def rebuild(connection: Connection) -> None:
    """Index everything the database holds (the index emptied first): for a database written
    before the index existed, or around the ORM (bulk inserts)."""
    connection.execute(text(f"DELETE FROM {TABLE}"))
    sessions = connection.execute(
        text(
            "SELECT id, title, ticket_ref, ticket_snapshot, resolution_note_markdown, "
            "escalation_package_markdown FROM ai_sessions"
        )
    )
    for sid, title, ticket_ref, snapshot, resolution, escalation in sessions.all():
        raw = json.loads(snapshot) if isinstance(snapshot, str) else snapshot
        notes = "\n\n".join(note for note in (resolution, escalation) if note)
        for source, body in (
            ("title", title),
            ("ticket", ticket_text(ticket_ref, raw if isinstance(raw, dict) else None)),
            ("note", notes),
        ):
            if body and body.strip():
                insert_row(connection, sid, source, sid, body)
    for source, query in (
        ("message", "SELECT session_id, id, content FROM messages WHERE deleted_at IS NULL"),
        ("fact", "SELECT session_id, id, text FROM session_facts WHERE deleted_at IS NULL"),
        (
            "fix",
            "SELECT session_id, id, title || char(10) || coalesce(description, '') "
            "FROM session_suggested_fixes",
        ),
    ):
        for sid, ref, body in connection.execute(text(query)).all():
            if body and body.strip():
                insert_row(connection, sid, source, ref, body)


def ticket_text(ticket_ref: str | None, snapshot: dict[str, Any] | None) -> str | None:
    """The ticket as searched: its number and the snapshot's words that tell tickets apart."""
    parts = [ticket_ref or ""]
    for key in ("summary", "description", "company", "contact"):
        value = (snapshot or {}).get(key)
        if isinstance(value, str):
            parts.append(value)
    joined = "\n".join(part for part in parts if part)
    return joined or None
