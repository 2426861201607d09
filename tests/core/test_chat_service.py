"""A chat turn through the real SDK against the local emulator: streaming, stop, every error
path, caching, usage, markers persisted, attachments."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest

from flowpilot_desktop.assistant.chat import Attachment, ChatService, TurnControl
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.llm import MissingApiKeyError
from storage.database import Database
from storage.repositories import facts, fixes
from storage.repositories.sessions import create_session, get_task_lane
from tests.anthropic_emulator import BAD_KEY, NO_PERMISSION_KEY, AnthropicEmulator, ScriptedReply
from tests.core.conftest import build_chat

KEY = "sk-ant-emulator-key-123"
# a real 1×1 PNG (attachments are checked by content)
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)


def _service(
    db: Database,
    api: AnthropicEmulator,
    tmp_path: Path,
    key: str | None = KEY,
    client_factory=None,
) -> ChatService:
    extra = {"client_factory": client_factory} if client_factory else {}
    return build_chat(db, api.base_url, tmp_path, key=key, **extra)


@pytest.fixture
def session_id(db: Database) -> str:
    return db.run_sync(
        lambda s: create_session(s, user_id="tech", title="Outlook prompts", ticket_ref="48213").id
    )


def _block(name: str, payload: object) -> str:
    return f"[{name}]\n{json.dumps(payload)}\n[/{name}]"


def test_a_turn_streams_visible_text_and_stores_both_messages(
    db, api, tmp_path, session_id
) -> None:
    reply = "Probably a stale token.\n" + _block(
        "QUESTIONS", [{"text": "Teams too?", "options": ["Yes", "No"]}]
    )
    api.enqueue(ScriptedReply(text=reply))
    service = _service(db, api, tmp_path)
    shown: list[str] = []
    result = asyncio.run(
        service.send(session_id, "Outlook keeps asking for a password", on_text=shown.append)
    )

    assert "".join(shown).strip() == "Probably a stale token."
    assert result.failure is None and result.reply.content == "Probably a stale token."
    assert "[QUESTIONS]" in result.reply.raw_content
    history = asyncio.run(service.history(session_id))
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[1].usage is not None and history[1].usage.output_tokens > 0
    lane = db.run_sync(lambda s: get_task_lane(s, session_id))
    assert lane["questions"][0]["options"] == ["Yes", "No"]


def test_the_prefix_only_grows_and_the_context_rides_in_the_newest_turn(
    db, api, tmp_path, session_id
) -> None:
    """System prompt (cached, identical everywhere) → the conversation (breakpoints on the last
    reply and the one before) → the newest turn: the session context, then the message."""
    other = db.run_sync(lambda s: create_session(s, user_id="tech", title="Printer offline").id)
    service = _service(db, api, tmp_path)

    async def turns():
        for text in ("first", "second", "third"):
            await service.send(session_id, text)
        await service.send(other, "another session")

    asyncio.run(turns())
    bodies = [r.body for r in api.message_requests]
    assert all(b["system"] == bodies[0]["system"] for b in bodies), "byte-identical system"
    assert bodies[0]["system"][0]["cache_control"] == {"type": "ephemeral"}
    third = bodies[2]["messages"]
    assert [m["role"] for m in third] == ["user", "assistant"] * 2 + ["user"]
    context, message = third[-1]["content"]
    assert context["text"].startswith("<session_context>") and "Outlook prompts" in context["text"]
    assert message["text"] == "third"
    assert [b.get("cache_control") for m in third for b in m["content"]] == [
        None, {"type": "ephemeral"}, None, {"type": "ephemeral"}, None, None
    ]  # fmt: skip
    assert all("session_context" not in b["text"] for m in third[:-1] for b in m["content"])
    assert _plain(third[:2]) == _plain(bodies[1]["messages"][:2]), "the same bytes as before"
    assert "Printer offline" in bodies[3]["messages"][-1]["content"][0]["text"]


def _plain(messages: list[dict]) -> list[dict]:
    """The messages without their breakpoints (what the cache matches on)."""
    return [
        {
            **m,
            "content": [{k: v for k, v in b.items() if k != "cache_control"} for b in m["content"]],
        }
        for m in messages
    ]


def test_stop_keeps_the_partial_reply_marked_stopped(db, api, tmp_path, session_id) -> None:
    api.enqueue(ScriptedReply(chunks=[f"word{i} " for i in range(200)], delay_s=0.01))
    service = _service(db, api, tmp_path)
    control = TurnControl()
    shown: list[str] = []

    def on_text(text: str) -> None:
        shown.append(text)
        if len(shown) == 5:
            control.stop()

    result = asyncio.run(service.send(session_id, "go", on_text=on_text, control=control))
    assert result.reply.stopped and result.failure is None
    assert result.reply.content.startswith("word0 word1")
    assert len(result.reply.content.split()) < 200


@pytest.mark.parametrize(
    ("scripted", "kind", "retryable"),
    [
        (ScriptedReply(status=429, retry_after_ms=5), "rate_limited", True),
        (ScriptedReply(status=529, retry_after_ms=5), "overloaded", True),
        (ScriptedReply(status=500, retry_after_ms=5), "server", True),
        (ScriptedReply(chunks=["Half ", "a ", "reply"], error_event_after=2), "overloaded", True),
        (ScriptedReply(chunks=["Half ", "a ", "reply"], drop_after=2), "offline", True),
    ],
)
def test_failures_are_described_and_the_partial_reply_is_kept(
    db, api, tmp_path, session_id, scripted, kind, retryable
) -> None:
    for _ in range(3):  # the SDK retries 429/5xx twice before giving up
        api.enqueue(scripted)
    result = asyncio.run(_service(db, api, tmp_path).send(session_id, "hello"))
    assert result.failure is not None and result.failure.kind == kind
    assert result.failure.retryable is retryable
    assert result.reply.error == result.failure.message
    if scripted.status == 200:
        assert result.reply.content == "Half a", "text received before the error is kept"


def test_rate_limit_message_says_how_long_to_wait(db, api, tmp_path, session_id) -> None:
    for _ in range(3):
        api.enqueue(ScriptedReply(status=429, retry_after_ms=4000))
    service = _service(db, api, tmp_path, client_factory=_no_retry_factory)
    result = asyncio.run(service.send(session_id, "hello"))
    assert result.failure.retry_after_s == pytest.approx(4.0)
    assert "4 s" in result.failure.message


def _no_retry_factory(credentials, config):
    from flowpilot_desktop.llm import create_client

    return create_client(credentials, config).with_options(max_retries=0)


@pytest.mark.parametrize(("key", "kind"), [(BAD_KEY, "auth"), (NO_PERMISSION_KEY, "permission")])
def test_key_problems_are_explained(db, api, tmp_path, session_id, key, kind) -> None:
    result = asyncio.run(_service(db, api, tmp_path, key=key).send(session_id, "hello"))
    assert result.failure.kind == kind and not result.failure.retryable


def test_offline_is_explained(db, tmp_path, session_id) -> None:
    api = AnthropicEmulator()
    base_url = api.base_url
    api.close_unstarted()
    service = _service(db, api, tmp_path, client_factory=_no_retry_factory)
    assert base_url
    result = asyncio.run(service.send(session_id, "hello"))
    assert result.failure.kind == "offline"


def test_without_a_key_nothing_is_sent_or_stored(db, api, tmp_path, session_id) -> None:
    service = _service(db, api, tmp_path, key=None)
    with pytest.raises(MissingApiKeyError):
        asyncio.run(service.send(session_id, "hello"))
    assert asyncio.run(service.history(session_id)) == [] and api.requests == []


def test_retry_after_a_failure_replaces_the_failed_reply(db, api, tmp_path, session_id) -> None:
    service = _service(db, api, tmp_path)
    api.enqueue(ScriptedReply(chunks=["x"], error_event_after=0), "Recovered answer.")
    first = asyncio.run(service.send(session_id, "hello"))
    assert first.failure is not None
    second = asyncio.run(service.regenerate(session_id))
    assert second.failure is None and second.reply.content == "Recovered answer."
    assert [m.content for m in asyncio.run(service.history(session_id))] == [
        "hello",
        "Recovered answer.",
    ]


def test_regenerating_the_same_markers_adds_nothing_twice(db, api, tmp_path, session_id) -> None:
    reply = "\n".join(
        [
            "Known now.",
            _block("PROMOTE", {"text": "Webmail works."}),
            _block("SUGGEST_FIX", {"title": "Clear token", "confidence": 60}),
        ]
    )
    api.enqueue(reply, reply)
    service = _service(db, api, tmp_path)
    asyncio.run(service.send(session_id, "hello"))
    asyncio.run(service.regenerate(session_id))
    assert len(db.run_sync(lambda s: facts.live_facts(s, session_id))) == 1
    from sqlalchemy import func, select

    from storage.models import SessionSuggestedFix

    assert (
        db.run_sync(lambda s: s.scalar(select(func.count()).select_from(SessionSuggestedFix))) == 1
    )
    assert db.run_sync(lambda s: fixes.active_fix(s, session_id)).title == "Clear token"


def test_attachments_are_stored_and_sent_as_blocks(db, api, tmp_path, session_id) -> None:
    png = PNG_1X1
    service = _service(db, api, tmp_path)
    result = asyncio.run(
        service.send(
            session_id,
            "see attached",
            [
                Attachment("screen.png", png, "image/png"),
                Attachment("event.log", b"Error 0x80070005"),
            ],
        )
    )
    stored = result.user_message.attachments
    assert [a["kind"] for a in stored] == ["image", "text"]
    assert all(Path(a["path"]).exists() for a in stored)
    context, *blocks = api.message_requests[0].body["messages"][0]["content"]
    assert context["text"].startswith("<session_context>")
    assert blocks[0]["type"] == "image" and blocks[0]["source"]["media_type"] == "image/png"
    assert "Error 0x80070005" in blocks[1]["text"] and blocks[2]["text"] == "see attached"


def test_too_many_images_are_refused_before_sending(db, api, tmp_path, session_id) -> None:
    images = [Attachment(f"{n}.png", PNG_1X1, "image/png") for n in range(11)]
    with pytest.raises(UserFacingError, match="at most 10"):
        asyncio.run(_service(db, api, tmp_path).send(session_id, "many", images))
    assert api.requests == []


def test_promotion_without_text_is_synthesized_by_the_fast_tier(
    db, api, tmp_path, session_id
) -> None:
    service = _service(db, api, tmp_path)
    api.enqueue("Asking.\n" + _block("QUESTIONS", [{"text": "Does Teams prompt too?"}]))
    asyncio.run(service.send(session_id, "start"))
    lane = db.run_sync(lambda s: get_task_lane(s, session_id))
    item = lane["questions"][0]
    lane["questions"][0] = {**item, "answer": "Yes, Teams prompts as well"}
    from storage.repositories.sessions import set_task_lane

    db.run_sync(lambda s: set_task_lane(s, session_id, lane))
    api.enqueue(
        "Noted.\n" + _block("PROMOTE", {"source_ref": item["id"]}),
        "Teams prompts for the password too.",
    )
    asyncio.run(service.send(session_id, "She says Teams prompts as well"))
    synthesis_request = api.message_requests[-1].body
    assert synthesis_request["model"] == "claude-haiku-5-5" and not synthesis_request.get("stream")
    fact = db.run_sync(lambda s: facts.live_facts(s, session_id))[0]
    assert fact.text == "Teams prompts for the password too." and fact.source_ref == item["id"]


def test_synthesis_for_the_task_lane_uses_the_fast_tier(db, api, tmp_path, session_id) -> None:
    api.enqueue("The user sees the prompt in Teams as well.")
    text = asyncio.run(
        _service(db, api, tmp_path).synthesize("s", {"text": "Teams too?", "answer": "Yes"})
    )
    assert text == "The user sees the prompt in Teams as well."
    assert api.message_requests[-1].body["model"] == "claude-haiku-5-5"
    assert (
        asyncio.run(
            _service(db, api, tmp_path, key=None).synthesize("s", {"text": "x", "answer": "y"})
        )
        is None
    )


def test_the_team_templates_are_in_the_context_and_a_fix_can_name_one(
    db, api, tmp_path, session_id
) -> None:
    from flowpilot_desktop.scripts.library import TemplateDraft, TemplateLibrary
    from flowpilot_desktop.scripts.templates import Parameter

    template_id = asyncio.run(
        TemplateLibrary(db).save(
            TemplateDraft(
                "Reset Outlook profile",
                "",
                "Removes the cached credentials",
                "powershell",
                "Remove-Item $env:LOCALAPPDATA\\{{profile}}",
                [Parameter("profile")],
            )
        )
    )
    fix = {"title": "Reset the profile", "confidence": 80, "template_id": template_id}
    fix["parameters"] = {"profile": "Outlook"}
    api.enqueue(ScriptedReply(text="Try this.\n" + _block("SUGGEST_FIX", fix)))
    asyncio.run(_service(db, api, tmp_path).send(session_id, "still prompting"))

    context = api.message_requests[0].body["messages"][-1]["content"][0]["text"]
    assert f"- id {template_id}: Reset Outlook profile (powershell; parameters: profile)" in context
    stored = db.run_sync(lambda s: fixes.active_fix(s, session_id))
    assert stored.template_id == template_id
    assert stored.ai_drafted_parameters == {"profile": "Outlook"}


def test_inline_markers_land_in_the_lane_and_the_stored_reply_shows_no_json(
    db, api, tmp_path, session_id
) -> None:
    """Issue 17: blocks written into the prose, one without its closing tag, one after a
    separator, are applied; neither the streamed nor the stored text holds their JSON."""
    reply = (
        'Noted. [PROMOTE]{"text": "The VPN client is 5.2"} Next, check the tunnel.\n'
        'Ask: [QUESTIONS]: [{"text": "Does it drop on Wi-Fi too?", "options": ["Yes", "No"]}]'
        " Then we know more."
    )
    api.enqueue(ScriptedReply(chunks=[reply[i : i + 3] for i in range(0, len(reply), 3)]))
    service = _service(db, api, tmp_path)
    shown: list[str] = []
    result = asyncio.run(service.send(session_id, "VPN drops", on_text=shown.append))

    assert result.failure is None
    stored_facts = db.run_sync(lambda s: facts.live_facts(s, session_id))
    assert [fact.text for fact in stored_facts] == ["The VPN client is 5.2"]
    lane = db.run_sync(lambda s: get_task_lane(s, session_id))
    assert [q["text"] for q in lane["questions"]] == ["Does it drop on Wi-Fi too?"]
    stored = asyncio.run(service.history(session_id))[-1]
    expected = "Noted. Next, check the tunnel.\nAsk: Then we know more."
    assert stored.content == expected and "".join(shown).strip() == expected
    assert "[PROMOTE]" in stored.raw_content, "the raw reply is kept for the next request"
