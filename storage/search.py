"""Full-text search over a technician's sessions (SQLite FTS5, ranked by bm25).

One index row per searchable piece: a session's title, its ticket (number and snapshot), each
fact, each visible message, each fix, each posted note — each kind in its own column, so bm25
weighs them natively (a title hit above a message hit) without reading anything per row. The
index follows every ORM write in the same transaction (an ``after_flush`` hook on the
Database's sessions), so it can't drift from the data; migration 0004 built it for databases
that existed before.

Fast on years of history: the session-level pieces (a few per session) are ranked by bm25;
messages (the bulk: a common word matches most of them) are only looked up, unranked and
bounded, for the sessions the rest did not find; snippets are cut in Python for the winners.

``SearchIndex`` is the small interface the service uses; ``Fts5SearchIndex`` is SQLite's. A
PostgreSQL deployment (team mode) gets its own implementation on tsvector later; until then
``LikeSearchIndex`` matches titles and tickets with ILIKE so search still works there.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
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
# How much a hit counts, by where it is: a title hit ranks above a fact hit, and so on.
WEIGHTS = {"title": 4.0, "ticket": 3.0, "fact": 2.0, "fix": 2.0, "note": 1.5}
SOURCES = (*WEIGHTS, "message")  # the indexed columns, in order
CREATE_TABLE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5("
    f"{', '.join(SOURCES)}, session_id UNINDEXED, ref UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)
SNIPPET_START, SNIPPET_END = "\x02", "\x03"  # around each matched term in a snippet
RANKED_ROWS = 300  # session-level rows ranked per search
MESSAGE_ROWS = 600  # message rows looked at per search (unranked, in index order)
MIN_WORD = 3  # a search needs one word this long: "i*" would match nearly everything
SNIPPET_CHARS = 90
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    """The best match in one session: where (title, ticket, fact, message, fix, note), which
    row (a message id, to open the session at it) and a snippet with the terms marked."""

    session_id: str
    source: str
    ref: str | None
    snippet: str
    score: float  # lower is better (weighted bm25; 0 for a session found in messages only)


class SearchIndex(Protocol):
    def search(self, session: Session, user_id: str, query: str, limit: int) -> list[SearchHit]: ...


def match_query(query: str) -> str | None:
    """The FTS5 query for what was typed: every word, as a prefix, all required. Words are
    quoted, so nothing typed is read as FTS syntax (AND, NEAR, column filters, quotes). None
    when no word is ``MIN_WORD`` long (the list's own filter answers those at once)."""
    words = _TOKEN.findall(query)
    if not words or max(len(word) for word in words) < MIN_WORD:
        return None
    return " ".join(f'"{word}"*' for word in words)


class Fts5SearchIndex:
    def search(self, session: Session, user_id: str, query: str, limit: int) -> list[SearchHit]:
        """The user's live sessions matching every word, best first, one hit per session:
        ranked session-level hits, then sessions found only in their messages (most recently
        active first). On the driver's own cursor: a keystroke's budget has no room for a
        row object per index row."""
        match = match_query(query)
        if match is None:
            return []
        raw = _driver(session)
        levels = " ".join(WEIGHTS)
        weights = ", ".join(str(weight) for weight in WEIGHTS.values())
        ranked = raw.execute(
            f"SELECT rowid, bm25({TABLE}, {weights}, 0) FROM {TABLE} "
            f"WHERE {TABLE} MATCH ? ORDER BY 2 LIMIT ?",
            (f"{{{levels}}} : ({match})", RANKED_ROWS),
        ).fetchall()
        owners = _owners(raw, [rowid for rowid, _score in ranked])
        live = _live_sessions(raw, user_id, set(owners.values()))
        best: dict[str, tuple[int, float]] = {}
        for rowid, score in ranked:
            session_id = owners[rowid]
            if session_id in live and session_id not in best:
                best[session_id] = (rowid, float(score))
        if len(best) < limit:  # room left: sessions found only in their messages
            _add_message_hits(raw, user_id, match, best)
        winners = list(best.items())[:limit]
        pieces = _pieces(raw, [rowid for _sid, (rowid, _score) in winners])
        words = [word.casefold() for word in _TOKEN.findall(query)]
        hits = []
        for session_id, (rowid, score) in winners:
            ref, source, body = pieces[rowid]
            # a title is on the row already: only a hit elsewhere needs its snippet
            shown = "" if source == "title" else snippet(body, words)
            hits.append(SearchHit(session_id, source, ref, shown, score))
        return hits


def _driver(session: Session) -> sqlite3.Connection:
    """The sqlite3 connection under the session's transaction."""
    driver = session.connection().connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


def _add_message_hits(
    raw: sqlite3.Connection, user_id: str, match: str, best: dict[str, tuple[int, float]]
) -> None:
    """Messages in index order, unranked and bounded (a common word matches most of them);
    their sessions after the ranked ones, most recently active first."""
    rows = raw.execute(
        f"SELECT rowid, session_id FROM {TABLE} WHERE {TABLE} MATCH ? LIMIT ?",
        (f"{{message}} : ({match})", MESSAGE_ROWS),
    ).fetchall()
    live = _live_sessions(raw, user_id, {session_id for _rowid, session_id in rows} - set(best))
    found: dict[str, int] = {}
    for rowid, session_id in rows:
        if session_id in live:
            found.setdefault(session_id, rowid)
    for session_id in sorted(found, key=lambda sid: live[sid], reverse=True):
        best[session_id] = (found[session_id], 0.0)


def _in_list(rowids: list[int]) -> str:
    return ", ".join(str(int(rowid)) for rowid in rowids)  # integers read from the index


def owners_of(session: Session, rowids: list[int]) -> dict[int, str]:
    """rowid -> the session a row belongs to."""
    return _owners(_driver(session), rowids)


def _owners(raw: sqlite3.Connection, rowids: list[int]) -> dict[int, str]:
    if not rowids:
        return {}
    rows = raw.execute(f"SELECT rowid, session_id FROM {TABLE} WHERE rowid IN ({_in_list(rowids)})")
    return dict(rows.fetchall())


def _pieces(raw: sqlite3.Connection, rowids: list[int]) -> dict[int, tuple[str | None, str, str]]:
    """rowid -> (ref, source, text) of the winning rows (a few hundred at most)."""
    if not rowids:
        return {}
    rows = raw.execute(
        f"SELECT rowid, ref, {', '.join(SOURCES)} FROM {TABLE} WHERE rowid IN ({_in_list(rowids)})"
    ).fetchall()
    found: dict[int, tuple[str | None, str, str]] = {}
    for row in rows:
        source, body = next(
            ((name, value) for name, value in zip(SOURCES, row[2:], strict=True) if value),
            ("title", ""),
        )
        found[row[0]] = (row[1], source, body)
    return found


def _live_sessions(raw: sqlite3.Connection, user_id: str, ids: set[str]) -> dict[str, str]:
    """The user's live sessions among ``ids``, with their last activity (as stored: it sorts
    as it reads)."""
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = raw.execute(
        f"SELECT id, last_activity_at FROM ai_sessions WHERE id IN ({marks}) "
        "AND user_id = ? AND deleted_at IS NULL",
        (*ids, user_id),
    )
    return dict(rows.fetchall())


def snippet(body: str, words: list[str]) -> str:
    """A window of ``body`` around the first word that starts with a typed word, each such
    word between SNIPPET_START and SNIPPET_END; one line."""
    flat = " ".join(body.split())
    starts = re.compile(
        r"\b(?:" + "|".join(re.escape(word) for word in words) + r")\w*", re.IGNORECASE
    )
    first = starts.search(flat)
    if first is None:
        return flat[:SNIPPET_CHARS]
    begin = max(0, first.start() - SNIPPET_CHARS // 3)
    end = min(len(flat), begin + SNIPPET_CHARS)
    parts: list[str] = ["…" if begin else ""]
    cursor = begin
    for found in starts.finditer(flat, begin, end):
        if found.end() > end:
            break
        parts += [flat[cursor : found.start()], SNIPPET_START, found.group(0), SNIPPET_END]
        cursor = found.end()
    parts += [flat[cursor:end], "…" if end < len(flat) else ""]
    return "".join(parts)


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
    """One piece into its column (``source`` is one of SOURCES)."""
    if source not in SOURCES:
        raise ValueError(source)
    session.execute(
        text(
            f"INSERT INTO {TABLE} (rowid, {source}, session_id, ref) "
            "VALUES (:rowid, :body, :session_id, :ref)"
        ),
        {"rowid": row_id(source, ref), "body": body, "session_id": session_id, "ref": ref},
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
