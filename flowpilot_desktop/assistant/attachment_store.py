"""Attachments on disk: one folder per session, a random file name each, what was sent (text
attachments already masked)."""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flowpilot_desktop.assistant.attachments import PreparedAttachment


class AttachmentStore:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def store(
        self, session_id: str, attachments: Sequence[PreparedAttachment]
    ) -> list[dict[str, Any]]:
        """Write the files (blocking: call off the event loop); what the message row keeps."""
        stored = []
        folder = self._folder / session_id
        for attachment in attachments:
            folder.mkdir(parents=True, exist_ok=True)
            suffix = (
                ".txt"
                if attachment.kind == "text"
                else mimetypes.guess_extension(attachment.media_type) or ""
            )
            path = folder / f"{uuid.uuid4().hex}{suffix}"
            path.write_bytes(attachment.data)
            stored.append(
                {
                    "kind": attachment.kind,
                    "name": attachment.name,
                    "media_type": attachment.media_type,
                    "path": str(path),
                    "size": len(attachment.data),
                    "truncated": attachment.truncated,
                }
            )
        return stored
