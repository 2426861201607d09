"""Session list and account preferences repositories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from storage.models import AiSession
from storage.repositories.account_settings import get_preferences, merge_preferences
from storage.repositories.sessions import (
    create_session,
    list_session_summaries,
    rename_session,
    restore_session,
    soft_delete_session,
)
from storage.state_version import SessionNotFoundError


@pytest.fixture
def session(engine):
    with Session(engine) as s, s.begin():
        yield s


def test_list_is_per_user_and_sorted_by_last_activity(session: Session) -> None:
    older = create_session(session, user_id="tech", title="Older", ticket_ref="100")
    newer = create_session(session, user_id="tech", title="Newer")
    create_session(session, user_id="someone-else", title="Not mine")
    session.execute(
        update(AiSession)
        .where(AiSession.id == older.id)
        .values(last_activity_at=datetime.now(UTC) - timedelta(days=1))
    )
    titles = [s.title for s in list_session_summaries(session, "tech")]
    assert titles == ["Newer", "Older"]
    assert newer.ticket_ref is None and older.ticket_ref == "100"


def test_soft_delete_hides_and_restore_brings_back(session: Session) -> None:
    created = create_session(session, user_id="tech", title="Printer offline")
    soft_delete_session(session, created.id)
    assert list_session_summaries(session, "tech") == []
    restore_session(session, created.id)
    assert [s.id for s in list_session_summaries(session, "tech")] == [created.id]


def test_rename_and_deleted_sessions_cannot_be_renamed(session: Session) -> None:
    created = create_session(session, user_id="tech", title="Old")
    assert rename_session(session, created.id, "New").title == "New"
    soft_delete_session(session, created.id)
    with pytest.raises(SessionNotFoundError):
        rename_session(session, created.id, "Again")


def test_preferences_are_lazy_and_merged(session: Session) -> None:
    assert get_preferences(session, "team") == {}
    merge_preferences(
        session, "team", {"cw_resolved_status_id": 42, "templatize_prompt_enabled": False}
    )
    merged = merge_preferences(session, "team", {"cw_escalated_status_id": 7})
    assert merged == {
        "cw_resolved_status_id": 42,
        "templatize_prompt_enabled": False,
        "cw_escalated_status_id": 7,
    }
    assert merge_preferences(session, "team", {"cw_resolved_status_id": None}) == {
        "templatize_prompt_enabled": False,
        "cw_escalated_status_id": 7,
    }
