"""What a chat turn sends to Anthropic: the stored conversation as API messages, every text
scrubbed on its way out.

Stored messages are already masked when they were sent; they are scrubbed again here so that
nothing stored before the scrubber existed (or pasted into an attachment) leaves unmasked.
Scrubbing is idempotent, so the bytes of the history stay the same from turn to turn and the
prompt cache keeps reading them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flowpilot_desktop.assistant.attachments import (
    MAX_TEXT_ATTACHMENT_CHARS,
    decode_text,
    image_type,
)

# (text, detect) -> the text as it may leave the machine; detect=False: only known secrets
Scrub = Callable[[str, bool], str]

DELETED_EARLIER = "(The technician removed the earlier messages of this conversation.)"


def api_messages(history: Iterable[Any], scrub: Scrub) -> list[dict[str, Any]]:
    """The conversation as API messages: roles alternate, attachments become content blocks,
    and the first message is the technician's (``layout.chat_messages`` then places the
    session context and the cache breakpoints)."""
    result: list[dict[str, Any]] = []
    for row in history:
        blocks = content_blocks(row, scrub)
        if not blocks:
            continue
        if result and result[-1]["role"] == row.role:
            result[-1]["content"].extend(blocks)
        else:
            result.append({"role": row.role, "content": blocks})
    if result and result[0]["role"] == "assistant":
        # the technician deleted the message(s) this reply answered: the API wants a user first
        result.insert(0, {"role": "user", "content": [{"type": "text", "text": DELETED_EARLIER}]})
    return result


def content_blocks(row: Any, scrub: Scrub) -> list[dict[str, Any]]:
    """One stored message as content blocks: attachments first, then its text."""
    detect = row.role == "assistant" or not getattr(row, "sent_unmasked", False)
    blocks = [_attachment_block(attachment, scrub, detect) for attachment in row.attachments or []]
    text = row.raw_content if row.role == "assistant" else row.content
    if text.strip():
        blocks.append({"type": "text", "text": scrub(text, detect)})
    return blocks


def _attachment_block(attachment: dict[str, Any], scrub: Scrub, detect: bool) -> dict[str, Any]:
    name = str(attachment.get("name") or "file")
    path = Path(str(attachment.get("path") or ""))
    try:
        data = path.read_bytes()
    except OSError:
        return _note(f"(attachment {name} is missing)")
    if attachment.get("kind") == "image":
        media_type = image_type(data)
        if media_type is None:  # stored by an older FlowPilot that did not check content
            return _note(f"(attachment {name} is not an image the assistant can read)")
        return {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": media_type,
                "data": base64.standard_b64encode(data).decode("ascii"),
            },
        }
    text = decode_text(data)
    if text is None:
        return _note(f"(attachment {name} is not a text file and was not sent)")
    text = text[:MAX_TEXT_ATTACHMENT_CHARS]  # stored whole by an older FlowPilot
    return _note(f"Attached file {scrub(name, detect)}:\n```\n{scrub(text, detect)}\n```")


def _note(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}
