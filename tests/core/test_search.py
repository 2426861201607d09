"""Full-text search over sessions (issue 19): by each field, ranked, in step with every write,
delete and undo, and built for a database that existed before the index."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import create_engine, text

from flowpilot_desktop.assistant.apply import apply_reply
from flowpilot_desktop.assistant.markers import parse_reply
from flowpilot_desktop.sessions import SNIPPET_END, SNIPPET_START, SessionService
from storage.database import Database
from storage.migrate import downgrade_database, upgrade_database
from storage.models import AiSession
from storage.repositories import facts, messages
from storage.repositories.sessions import create_session, set_ticket_snapshot

USER = "tech"


def _session(db: Database, title: str, ticket: str | None = None, user: str = USER) -> str:
    return db.run_sync(lambda s: create_session(s, user_id=user, title=title, ticket_ref=ticket).id)


def _search(db: Database, query: str, user: str = USER):
    return asyncio.run(SessionService(db, user).search(query))


def _ids(db: Database, query: str) -> list[str]:
    return [hit.session_id for hit in _search(db, query)]


def _fill(db: Database) -> dict[str, str]:
    ids = {
        "printer": _session(db, "Printer offline on floor 2", "5101"),
        "vpn": _session(db, "VPN drops every 20 minutes", "5102"),
        "mail": _session(db, "Shared mailbox missing", "5103"),
    }
    db.run_sync(
        lambda s: set_ticket_snapshot(
            s,
            ids["vpn"],
            {
                "summary": "Tunnel resets",
                "description": "FortiClient disconnects",
                "company": "Calder Ltd",
                "contact": "Robin Ash",
            },
        )
    )
    db.run_sync(
        lambda s: facts.add_fact(s, ids["mail"], "Outlook profile rebuilt already", "engineer_note")
    )
    db.run_sync(
        lambda s: messages.add_message(
            s, ids["printer"], "user", content="The spooler service hangs at the queue"
        )
    )
    fix = {"title": "Reinstall the Kyocera driver", "description": "The driver is corrupt"}
    db.run_sync(
        lambda s: apply_reply(
            s, ids["printer"], parse_reply(f"[SUGGEST_FIX]\n{json.dumps(fix)}\n[/SUGGEST_FIX]")
        )
    )
    return ids


@pytest.mark.parametrize(
    ("query", "key", "source"),
    [
        ("printer floor", "printer", "title"),
        ("#5102", "vpn", "ticket"),
        ("forticlient", "vpn", "ticket"),
        ("calder", "vpn", "ticket"),
        ("robin", "vpn", "ticket"),
        ("profile rebuilt", "mail", "fact"),
        ("spooler hangs", "printer", "message"),
        ("kyocera", "printer", "fix"),
        ("kyoc", "printer", "fix"),  # as typed: a prefix finds it
    ],
)
def test_search_finds_by_each_field(db, query, key, source) -> None:
    ids = _fill(db)
    (hit,) = _search(db, query)
    assert (hit.session_id, hit.source) == (ids[key], source)
    if source != "title":
        assert SNIPPET_START in hit.snippet and SNIPPET_END in hit.snippet


def test_a_posted_note_is_found(db) -> None:
    sid = _session(db, "Laptop slow")

    def post(s) -> None:
        row = s.get(AiSession, sid)
        row.resolution_note_markdown = "## Resolution\nReplaced the failing SSD."

    db.run_sync(post)
    (hit,) = _search(db, "ssd")
    assert (hit.session_id, hit.source) == (sid, "note")


def test_a_title_hit_ranks_above_a_message_hit(db) -> None:
    in_message = _session(db, "Laptop slow")
    db.run_sync(
        lambda s: messages.add_message(s, in_message, "user", content="the printer on the desk too")
    )
    in_title = _session(db, "Printer jams")
    assert _ids(db, "printer") == [in_title, in_message]


def test_the_index_follows_writes_deletes_and_undo(db) -> None:
    sid = _session(db, "Wi-Fi drops")
    row = db.run_sync(
        lambda s: messages.add_message(s, sid, "user", content="the access point reboots").id
    )
    assert _ids(db, "access point") == [sid]
    db.run_sync(lambda s: messages.set_message_deleted(s, sid, row, True))
    assert _ids(db, "access point") == [], "a deleted message is not found"
    db.run_sync(lambda s: messages.set_message_deleted(s, sid, row, False))
    assert _ids(db, "access point") == [sid], "and found again after Undo"
    asyncio.run(SessionService(db, USER).rename(sid, "Wireless keeps dropping"))
    assert _ids(db, "wireless") == [sid] and _ids(db, "wi-fi") == []
    asyncio.run(SessionService(db, USER).delete(sid))
    assert _ids(db, "wireless") == [], "a deleted session is not found"
    asyncio.run(SessionService(db, USER).restore(sid))
    assert _ids(db, "wireless") == [sid]


def test_only_the_users_own_sessions_and_nothing_is_read_as_syntax(db) -> None:
    _session(db, "Printer offline", user="someone-else")
    mine = _session(db, "Printer offline again")
    assert _ids(db, "printer") == [mine]
    for odd in ('"', "printer AND", "NEAR(", "title:printer", "*", "-", "printer)"):
        _search(db, odd)  # no FTS5 syntax error, whatever is typed


def test_the_migration_builds_the_index_for_an_existing_database(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade_database(engine, None)
    db = Database(engine)
    ids = _fill(db)
    downgrade_database(engine, "0003_leases")  # as a database from before the index
    with engine.connect() as connection:
        assert not connection.execute(
            text("SELECT count(*) FROM sqlite_master WHERE name = 'search_index'")
        ).scalar()
    upgrade_database(engine, None)
    assert _ids(db, "kyocera") == [ids["printer"]]
    assert _ids(db, "forticlient") == [ids["vpn"]]
    assert _ids(db, "profile") == [ids["mail"]]
    assert _ids(db, "spooler") == [ids["printer"]]
    db.close()


def test_a_search_needs_one_word_of_three_letters(db) -> None:
    """One or two letters would match nearly every row: the list's own filter answers those."""
    _fill(db)
    assert _ids(db, "p") == [] and _ids(db, "pr 2") == []
    assert len(_ids(db, "pri 2")) == 1
