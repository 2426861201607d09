"""The template library over the real database: CRUD with validation, categories, and
rendering that records a masked generation and moves the linked session's state."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.logging_setup import redact
from flowpilot_desktop.scripts.library import TemplateDraft, TemplateLibrary
from flowpilot_desktop.scripts.templates import Parameter, TemplateError
from storage.models import ScriptGeneration
from storage.repositories.sessions import create_session, get_session_summary

BODY = "net user {{user}} {{password}} /domain"
PARAMS = [Parameter("user", label="User name"), Parameter("password", "secret")]


def _draft(**overrides) -> TemplateDraft:
    values = {
        "name": "Reset a domain password",
        "category": "Accounts",
        "description": "Sets a new password",
        "language": "batch",
        "body": BODY,
        "parameters": PARAMS,
    }
    values.update(overrides)
    return TemplateDraft(**values)


def test_create_search_edit_delete(db) -> None:
    library = TemplateLibrary(db)
    asyncio.run(library.add_category("Accounts"))
    with pytest.raises(UserFacingError, match="already a category"):
        asyncio.run(library.add_category(" accounts "))
    template_id = asyncio.run(library.save(_draft()))
    (found,) = asyncio.run(library.templates("domain pass"))
    assert found.id == template_id and found.category == "Accounts"
    assert asyncio.run(library.templates("printer")) == []
    asyncio.run(library.save(_draft(name="Reset password (AD)"), template_id))
    assert asyncio.run(library.get(template_id)).name == "Reset password (AD)"
    asyncio.run(library.delete(template_id))
    assert asyncio.run(library.get(template_id)) is None
    with pytest.raises(UserFacingError, match="no longer exists"):
        asyncio.run(library.delete(template_id))


def test_invalid_templates_and_unknown_categories_are_refused(db) -> None:
    library = TemplateLibrary(db)
    with pytest.raises(TemplateError, match=r"\{\{password\}\} is not declared"):
        asyncio.run(library.save(_draft(category="", parameters=[Parameter("user")])))
    with pytest.raises(UserFacingError, match="no category “Printers”"):
        asyncio.run(library.save(_draft(category="Printers")))
    assert asyncio.run(library.templates()) == []


def test_render_stores_only_masked_values_and_bumps_the_session(db) -> None:
    library = TemplateLibrary(db)
    template_id = asyncio.run(library.save(_draft(category="")))
    sid = db.run_sync(lambda s: create_session(s, user_id="t", title="Locked out").id)
    before = db.run_sync(lambda s: get_session_summary(s, sid)).state_version
    rendered = asyncio.run(
        library.render(template_id, {"user": "jdoe", "password": "Winter-2026!"}, sid)
    )
    assert rendered.script == "net user jdoe Winter-2026! /domain"
    stored = db.run_sync(lambda s: s.scalars(select(ScriptGeneration)).one())
    assert stored.rendered_script == "net user jdoe ••• /domain"
    assert stored.parameters == {"user": "jdoe", "password": "•••"}
    assert "Winter-2026!" not in json.dumps([stored.rendered_script, stored.parameters])
    assert db.run_sync(lambda s: get_session_summary(s, sid)).state_version == before + 1
    assert asyncio.run(library.get(template_id)).uses == 1
    assert redact("the password was Winter-2026!") == "the password was •••"


def test_render_refuses_bad_values(db) -> None:
    library = TemplateLibrary(db)
    template_id = asyncio.run(library.save(_draft(category="")))
    with pytest.raises(TemplateError, match="User name is required"):
        asyncio.run(library.render(template_id, {"password": "x"}))
