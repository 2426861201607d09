"""Invariants the database itself holds (SPEC §4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import (
    AiSession,
    Message,
    ScriptBuilderSession,
    SessionSuggestedFix,
)


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s


def _ai_session(s: Session) -> AiSession:
    ai = AiSession(user_id="tech", title="Outlook password prompts")
    s.add(ai)
    s.flush()
    return ai


def test_status_must_be_a_known_value(session: Session) -> None:
    session.add(AiSession(user_id="u", title="t", status="requesting_escalation"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_state_version_defaults_to_zero_and_title_is_required(session: Session) -> None:
    ai = _ai_session(session)
    assert ai.state_version == 0
    session.add(AiSession(user_id="u", title=None))
    with pytest.raises(IntegrityError):
        session.flush()


def test_messages_need_an_existing_session(session: Session) -> None:
    session.add(Message(session_id="missing", role="user", content="hi"))
    with pytest.raises(IntegrityError):
        session.flush()


def test_only_one_active_fix_per_session(session: Session) -> None:
    ai = _ai_session(session)
    session.add(SessionSuggestedFix(session_id=ai.id, title="Reset profile", confidence=60))
    session.flush()
    session.add(SessionSuggestedFix(session_id=ai.id, title="Clear creds", confidence=70))
    with pytest.raises(IntegrityError):
        session.flush()


def test_superseded_fixes_do_not_count_as_active(session: Session) -> None:
    ai = _ai_session(session)
    now = datetime.now(UTC)
    for title in ("First", "Second"):
        session.add(
            SessionSuggestedFix(session_id=ai.id, title=title, confidence=50, superseded_at=now)
        )
    session.add(SessionSuggestedFix(session_id=ai.id, title="Active", confidence=50))
    session.flush()


def test_fix_confidence_is_bounded(session: Session) -> None:
    ai = _ai_session(session)
    session.add(SessionSuggestedFix(session_id=ai.id, title="x", confidence=101))
    with pytest.raises(IntegrityError):
        session.flush()


def test_inline_script_builder_session_is_unique_per_user_and_session(session: Session) -> None:
    ai = _ai_session(session)
    session.add(ScriptBuilderSession(user_id="tech", origin="pilot_inline", ai_session_id=ai.id))
    session.flush()
    session.add(ScriptBuilderSession(user_id="tech", origin="pilot_inline", ai_session_id=ai.id))
    with pytest.raises(IntegrityError):
        session.flush()


def test_standalone_builder_sessions_are_not_limited_by_the_index(session: Session) -> None:
    for _ in range(3):
        session.add(ScriptBuilderSession(user_id="tech", origin="standalone"))
    session.flush()


@pytest.mark.parametrize(
    ("origin", "with_session"), [("pilot_inline", False), ("standalone", True)]
)
def test_builder_origin_matches_its_session_link(session: Session, origin, with_session) -> None:
    ai = _ai_session(session)
    session.add(
        ScriptBuilderSession(
            user_id="tech", origin=origin, ai_session_id=ai.id if with_session else None
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_datetimes_come_back_as_utc(session: Session) -> None:
    ai = _ai_session(session)
    session.commit()
    session.expire_all()
    assert session.get(AiSession, ai.id).created_at.tzinfo is UTC


def test_partial_indexes_exist_in_sqlite(session: Session) -> None:
    sql = " ".join(
        row[0]
        for row in session.execute(
            text("SELECT sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL")
        )
    )
    assert "WHERE superseded_at IS NULL" in sql
    assert "WHERE origin = 'pilot_inline'" in sql


def test_partial_indexes_render_for_postgresql_too() -> None:
    """A team database on PostgreSQL gets the same partial unique indexes (their conditions
    are added when a PostgreSQL engine is made; twice changes nothing)."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    from storage.models import add_postgresql_conditions

    add_postgresql_conditions()
    add_postgresql_conditions()

    rendered = {
        index.name: str(CreateIndex(index).compile(dialect=postgresql.dialect()))
        for table in (ScriptBuilderSession.__table__, SessionSuggestedFix.__table__)
        for index in table.indexes
    }
    assert "WHERE origin = 'pilot_inline'" in rendered["uq_script_builder_sessions_inline"]
    assert "UNIQUE" in rendered["uq_script_builder_sessions_inline"]
    assert "WHERE superseded_at IS NULL" in rendered["uq_session_suggested_fixes_active"]
