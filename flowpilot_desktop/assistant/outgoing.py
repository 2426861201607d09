"""A technician's message as it will leave the machine: checked against the limits, its
attachments validated by content, and every credential masked unless the technician chose
"Send unmasked" for this message (a detector's false positive).

The composer's "2 credentials will be masked" and the send itself use the same function, so
what the technician is shown is what is sent and stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from flowpilot_desktop.assistant.attachments import (
    Attachment,
    PreparedAttachment,
    check_message_text,
    prepare,
)
from flowpilot_desktop.scrubbing import Masked, Scrubber


@dataclass(frozen=True)
class Outgoing:
    text: str  # as it will be sent and stored
    attachments: tuple[PreparedAttachment, ...]
    masked_in_text: tuple[Masked, ...]  # spans of ``text`` that hold a placeholder
    masked_in_attachments: dict[str, int]  # attachment name -> credentials masked in it
    unmasked: bool  # the technician chose to send detector findings as they are

    @property
    def masked_count(self) -> int:
        return len(self.masked_in_text) + sum(self.masked_in_attachments.values())


def prepare_outgoing(
    scrubber: Scrubber,
    session_id: str,
    text: str,
    attachments: Sequence[Attachment] = (),
    *,
    unmasked: bool = False,
) -> Outgoing:
    """Validate and mask one message. Raises UserFacingError for what can't be sent (too
    long, a file that is neither text nor a supported image), naming each problem."""
    check_message_text(text)
    prepared = prepare(attachments)
    detect = not unmasked
    scrubbed = scrubber.scrub(text, scope=session_id, detect=detect)
    masked_files: dict[str, int] = {}
    cleaned: list[PreparedAttachment] = []
    for attachment in prepared:
        if attachment.kind != "text":
            cleaned.append(attachment)
            continue
        content = scrubber.scrub(attachment.data.decode("utf-8"), scope=session_id, detect=detect)
        if content.count:
            masked_files[attachment.name] = content.count
        cleaned.append(replace(attachment, data=content.text.encode("utf-8")))
    return Outgoing(scrubbed.text, tuple(cleaned), scrubbed.masked, masked_files, unmasked)
