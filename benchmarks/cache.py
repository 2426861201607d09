"""Prompt-cache benchmark: a scripted 10-turn triage through the real ChatService and the
Anthropic emulator, which bills caching the documented way (tests/prompt_cache.py).

Turn 1 attaches a ~4,000-token event log; every reply carries markers that change the task
lane (so the session context changes every turn). Each request is billed twice: as FlowPilot
sends it (the context in the newest turn, breakpoints on the conversation) and as the earlier
layout sent it (the context in a second system block, one breakpoint on the last message),
each against a cache of its own. Prints per turn the input tokens, the share read from cache
and the cost of both. Target: >= 85 % of input tokens read from cache over turns 3-10.

    .venv/bin/python benchmarks/cache.py [--turns 10]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_READ_SHARE = 0.85
FIRST_MEASURED_TURN = 3


@dataclass(frozen=True)
class TurnFigures:
    turn: int
    input_tokens: int  # everything the request sent (uncached + written + read)
    read_tokens: int
    cost_usd: float
    legacy_input_tokens: int
    legacy_read_tokens: int
    legacy_cost_usd: float


def event_log(lines: int = 120) -> str:
    """A realistic Windows event log paste, ~4,000 tokens."""
    rows = []
    for n in range(lines):
        rows.append(
            f"2026-11-{(n % 28) + 1:02d} 08:{n % 60:02d}:{(n * 7) % 60:02d} Error AAD "
            f"1098 Token broker operation failed (0x{0xCAA20000 + n:08X}) for "
            f"jdoe@contoso.example on WS-{n % 40:03d}"
        )
    return "\n".join(rows)


def reply(turn: int) -> str:
    """An answer of a few paragraphs whose markers change the lane every turn."""
    text = (
        f"Turn {turn}: that points at the Web Account Manager's token cache rather than the "
        "mailbox. Two things decide it: whether Teams prompts too, and what dsregcmd reports "
        "for the primary refresh token. " * 4
    )
    markers = [
        "[QUESTIONS]",
        json.dumps([{"text": f"Did step {turn} change anything?", "options": ["Yes", "No"]}]),
        "[/QUESTIONS]",
        "[ACTIONS]",
        json.dumps(
            [{"label": f"Check {turn}", "command": f"dsregcmd /status # {turn}", "description": ""}]
        ),
        "[/ACTIONS]",
        "[PROMOTE]",
        json.dumps({"text": f"Confirmed in turn {turn}: the token broker fails with 1098."}),
        "[/PROMOTE]",
    ]
    if turn >= 4:
        markers += [
            "[SUGGEST_FIX]",
            json.dumps({"title": "Reset the WAM token cache", "confidence": 60 + turn}),
            "[/SUGGEST_FIX]",
        ]
    return text + "\n" + "\n".join(markers)


def legacy_request(body: dict[str, Any]) -> dict[str, Any]:
    """The same request as the earlier layout sent it: the session context as a second system
    block (right after the cached prompt) and one breakpoint, on the last message's last block."""
    legacy = copy.deepcopy(body)
    newest = legacy["messages"][-1]["content"]
    context = newest.pop(0)["text"]
    inner = context.split("\n", 1)[1].rsplit("\n</session_context>", 1)[0]
    legacy["system"] = [legacy["system"][0], {"type": "text", "text": inner}]
    for message in legacy["messages"]:
        for block in message["content"]:
            block.pop("cache_control", None)
    if not newest:
        legacy["messages"].pop()
    legacy["messages"][-1]["content"][-1]["cache_control"] = {"type": "ephemeral"}
    return legacy


def run_conversation(turns: int = 10) -> list[TurnFigures]:
    """The scripted conversation; figures per turn (new layout and the earlier one)."""
    from flowpilot_desktop.assistant.attachments import Attachment
    from flowpilot_desktop.usage import Usage, cost_usd
    from storage.database import Database
    from storage.engine import create_database_engine
    from storage.migrate import upgrade_database
    from storage.repositories.sessions import create_session
    from tests.anthropic_emulator import AnthropicEmulator, ScriptedReply
    from tests.core.conftest import build_chat
    from tests.prompt_cache import PromptCache

    figures: list[TurnFigures] = []
    legacy_cache = PromptCache()
    with (
        tempfile.TemporaryDirectory(prefix="flowpilot-cache-") as scratch,
        AnthropicEmulator() as api,
    ):
        folder = Path(scratch)
        engine = create_database_engine(f"sqlite:///{folder / 'flowpilot.sqlite3'}")
        upgrade_database(engine, backup_dir=None)
        database = Database(engine, folder / "backups")
        chat = build_chat(database, api.base_url, folder)
        session_id = database.run_sync(
            lambda s: (
                create_session(s, user_id="tech", title="Outlook prompts", ticket_ref="48213").id
            )
        )

        async def converse() -> None:
            for turn in range(1, turns + 1):
                api.enqueue(ScriptedReply(text=reply(turn)))
                attachments = (
                    [Attachment("aad-events.log", event_log().encode())] if turn == 1 else []
                )
                message = (
                    "Outlook keeps asking for the password; the AAD log is attached."
                    if turn == 1
                    else f"Ran check {turn - 1}: same prompt, Teams prompts too."
                )
                result = await chat.send(session_id, message, attachments)
                if result.failure is not None:
                    raise SystemExit(f"turn {turn} failed: {result.failure.message}")
                body = api.message_requests[-1].body
                usage = result.reply.usage or Usage()
                legacy_body = legacy_request(body)
                legacy = Usage(**legacy_cache.usage(legacy_body), output_tokens=usage.output_tokens)
                figures.append(
                    TurnFigures(
                        turn,
                        usage.total_input,
                        usage.cache_read_input_tokens,
                        cost_usd(usage, body["model"]),
                        legacy.total_input,
                        legacy.cache_read_input_tokens,
                        cost_usd(legacy, body["model"]),
                    )
                )
            await chat.aclose()

        asyncio.run(converse())
        database.close()
    return figures


def read_share(figures: list[TurnFigures], *, legacy: bool = False) -> float:
    measured = [f for f in figures if f.turn >= FIRST_MEASURED_TURN]
    total = sum(f.legacy_input_tokens if legacy else f.input_tokens for f in measured)
    read = sum(f.legacy_read_tokens if legacy else f.read_tokens for f in measured)
    return read / total if total else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=10)
    args = parser.parse_args()
    figures = run_conversation(args.turns)
    print("turn | input tokens | read from cache | cost now   | earlier layout: read, cost")
    for f in figures:
        share = f.read_tokens / f.input_tokens if f.input_tokens else 0.0
        old_share = f.legacy_read_tokens / f.legacy_input_tokens if f.legacy_input_tokens else 0.0
        print(
            f"{f.turn:>4} | {f.input_tokens:>12} | {share:>14.0%} | ${f.cost_usd:.5f} | "
            f"{old_share:>4.0%}, ${f.legacy_cost_usd:.5f}"
        )
    now = sum(f.cost_usd for f in figures)
    before = sum(f.legacy_cost_usd for f in figures)
    share = read_share(figures)
    verdict = "OK" if share >= TARGET_READ_SHARE else "UNDER TARGET"
    print(
        f"read from cache, turns {FIRST_MEASURED_TURN}-{args.turns}: {share:.1%} "
        f"(earlier layout {read_share(figures, legacy=True):.1%}; target >= "
        f"{TARGET_READ_SHARE:.0%}) {verdict}"
    )
    print(
        f"cost of the {args.turns} turns: ${now:.4f} (earlier layout ${before:.4f}, "
        f"{now / before:.0%} of it)"
        if before
        else ""
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
