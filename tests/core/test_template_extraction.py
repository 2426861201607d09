"""Template extraction through the real SDK against the Messages API emulator: a good schema
is taken; bad JSON, a mismatch, an invalid schema, no key or a model error keep the script."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from flowpilot_desktop.assistant.chat import ChatService
from flowpilot_desktop.scripts.extraction import extract_template
from storage.database import Database
from tests.anthropic_emulator import AnthropicEmulator, ScriptedReply
from tests.core.conftest import build_chat

SCRIPT = (
    'Add-MailboxPermission -Identity "shared@contoso.com" -User "jdoe" -AccessRights FullAccess'
)
GOOD = {
    "name": "Grant mailbox access",
    "templated_body": 'Add-MailboxPermission -Identity "{{mailbox}}" -User "{{user}}" -AccessRights FullAccess',
    "parameters": [
        {"name": "mailbox", "type": "string", "label": "Shared mailbox"},
        {"name": "user", "type": "string", "label": "User", "default": "jdoe"},
    ],
    "values": {"mailbox": "shared@contoso.com", "user": "jdoe"},
}


def _chat(db: Database, api: AnthropicEmulator, tmp_path: Path, key: bool = True) -> ChatService:
    return build_chat(db, api.base_url, tmp_path, key="sk-ant-extract" if key else None)


def _extract(chat: ChatService, script: str = SCRIPT):
    return asyncio.run(
        extract_template(chat.ask_template_extraction, script, "powershell", "Grant access")
    )


def test_a_good_schema_is_taken(db, api, tmp_path) -> None:
    api.enqueue("```json\n" + json.dumps(GOOD) + "\n```")
    result = _extract(_chat(db, api, tmp_path))
    assert not result.fell_back
    assert result.name == "Grant mailbox access"
    assert [p.name for p in result.parameters] == ["mailbox", "user"]
    assert result.templated_body == GOOD["templated_body"]
    assert api.message_requests[-1].body["model"] == "claude-sonnet-5-5"
    assert SCRIPT in api.message_requests[-1].body["messages"][0]["content"][0]["text"]


def test_secret_defaults_are_dropped(db, api, tmp_path) -> None:
    script = "net user jdoe Winter-2026! /domain"
    answer = {
        "templated_body": "net user {{user}} {{password}} /domain",
        "parameters": [
            {"name": "user"},
            {"name": "password", "type": "secret", "default": "Winter-2026!"},
        ],
        "values": {"user": "jdoe", "password": "Winter-2026!"},
    }
    api.enqueue(json.dumps(answer))
    result = _extract(_chat(db, api, tmp_path), script)
    assert not result.fell_back
    assert [p.default for p in result.parameters] == [None, None]


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("Sure! Here is the template: {not json", "not valid JSON"),
        (
            json.dumps({**GOOD, "templated_body": GOOD["templated_body"] + " {{extra}}"}),
            "not valid",
        ),
        (
            json.dumps({**GOOD, "values": {"mailbox": "other@contoso.com", "user": "jdoe"}}),
            "does not give back",
        ),
        (json.dumps({"name": "x"}), "lacked the body"),
        (ScriptedReply(status=400), "could not answer"),
    ],
)
def test_anything_off_keeps_the_original_script(db, api, tmp_path, reply, reason) -> None:
    api.enqueue(reply)
    result = _extract(_chat(db, api, tmp_path))
    assert result.fell_back and reason in result.reason
    assert result.templated_body == SCRIPT and result.parameters == []


def test_without_a_key_the_script_is_kept(db, api, tmp_path) -> None:
    result = _extract(_chat(db, api, tmp_path, key=False))
    assert result.fell_back and "no Anthropic API key" in result.reason
    assert api.message_requests == []
