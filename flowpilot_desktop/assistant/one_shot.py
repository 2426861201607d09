"""Single requests beside the chat: a fact synthesized from an answered item, a resolution
note or escalation package, a template extraction. Every prompt passes the scrubber, and each
is laid out for the prompt cache: stable instructions first, then the data (``layout``)."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from flowpilot_desktop.assistant.layout import OneShotPrompt
from flowpilot_desktop.assistant.task_lane import LaneItem
from flowpilot_desktop.conclusion.inputs import NoteInputs

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

log = logging.getLogger(__name__)

NOTE_MAX_TOKENS = 1500
EXTRACTION_MAX_TOKENS = 4000
SYNTHESIS_MAX_TOKENS = 200

Scrub = Callable[[str], str]

SYNTHESIS_INSTRUCTIONS = (
    "Write one short sentence stating the confirmed fact from this troubleshooting item and its "
    "answer. Reply with the sentence only, or with NONE if the answer confirms nothing."
)
NOTE_INSTRUCTIONS = (
    "Write the {what} for this ConnectWise ticket as markdown. Keep exactly the headings of the "
    "draft, in the same order. Use only the facts given; do not invent steps, names or values; "
    "never include passwords or keys (masked values stay masked as they are). Keep the "
    "Resolution paragraph's meaning: it reflects the fix outcome. Reply with the note only."
)


async def synthesize_fact(
    client: AsyncAnthropic, model: str, item: LaneItem, scrub: Scrub
) -> str | None:
    """One confirmed fact from a question or check and its answer; None when nothing usable
    (also when the call fails: the technician then writes it)."""
    subject = item.get("text") or item.get("label") or ""
    answer = item.get("answer") or item.get("result") or ""
    if not answer:
        return None
    prompt = OneShotPrompt(SYNTHESIS_INSTRUCTIONS, (scrub(f"Item: {subject}\nAnswer: {answer}"),))
    try:
        text = await ask(client, model, SYNTHESIS_MAX_TOKENS, prompt)
    except Exception as error:
        log.warning("fact synthesis failed: %s", type(error).__name__)
        return None
    return None if not text or text.upper().startswith("NONE") else text


async def write_note(
    client: AsyncAnthropic, model: str, kind: str, inputs: NoteInputs, draft: str, scrub: Scrub
) -> str | None:
    """Ask the model to write the note; the caller checks the headings and falls back."""
    what = "resolution note" if kind == "resolution" else "escalation package"
    prompt = OneShotPrompt(
        NOTE_INSTRUCTIONS.format(what=what),
        # the session data first and cached: a Refresh, or the other kind of note, sends it again
        (scrub(f"Session data (JSON):\n{_inputs_json(inputs)}"), scrub(f"Draft:\n{draft}")),
        cache_data=True,
    )
    return await ask(client, model, NOTE_MAX_TOKENS, prompt)


async def ask(
    client: AsyncAnthropic, model: str, max_tokens: int, prompt: OneShotPrompt
) -> str | None:
    """One request, the text of the answer (None when empty)."""
    message = await client.messages.create(**prompt.request(model, max_tokens))
    text = "".join(block.text for block in message.content if block.type == "text" and block.text)
    return text.strip() or None


def _inputs_json(inputs: NoteInputs) -> str:
    data = dataclasses.asdict(inputs)
    data["ticket"] = inputs.ticket.to_dict() if inputs.ticket is not None else {}  # as kept
    return json.dumps(data, default=str, ensure_ascii=False, indent=1)
