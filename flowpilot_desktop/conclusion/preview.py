"""Previews of the resolution note and the escalation package (SPEC §9).

A preview is cached by (kind, session, state_version): every write that could change the note
bumps state_version, so an unchanged key means an unchanged note, and the cache needs no TTL.
In-process LRU with a soft cap. The model (the notes tier) writes the note from the gathered
inputs; without a key, or when the model fails or answers without the required headings, the
note is composed locally from the same inputs and marked as such.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from flowpilot_desktop.conclusion.gather import gather_inputs
from flowpilot_desktop.conclusion.inputs import NoteInputs
from flowpilot_desktop.conclusion.local_notes import (
    compose_escalation_package,
    compose_resolution_note,
)
from flowpilot_desktop.scrubbing import default_scrubber
from psa.provider import NoteKind
from storage.database import Database

log = logging.getLogger(__name__)
CACHE_SOFT_CAP = 5000


HEADINGS = {
    NoteKind.RESOLUTION: ("## Problem", "## What we confirmed", "## Root cause", "## Resolution"),
    NoteKind.ESCALATION: (
        "## Problem",
        "## What we've confirmed",
        "## What we've tried",
        "## Current hypothesis",
        "## Suggested next steps",
    ),
}
LOCAL_COMPOSERS: dict[NoteKind, Callable[[NoteInputs], str]] = {
    NoteKind.RESOLUTION: compose_resolution_note,
    NoteKind.ESCALATION: compose_escalation_package,
}

# (kind, redacted inputs, the local draft) -> the model's markdown, or None
NoteWriter = Callable[[NoteKind, NoteInputs, str], Awaitable[str | None]]


@dataclass(frozen=True)
class Preview:
    kind: NoteKind
    session_id: str
    state_version: int
    text: str
    cached: bool  # served from the cache (else: freshly generated)
    composed_locally: bool  # no model: composed from the same inputs by FlowPilot
    local_reason: str | None = None  # why it was composed locally, in a few words


class PreviewCache:
    """LRU by (kind, session, state_version); the soft cap evicts the least recently used."""

    def __init__(self, soft_cap: int = CACHE_SOFT_CAP) -> None:
        self._soft_cap = soft_cap
        self._entries: OrderedDict[tuple[str, str, int], Preview] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, kind: NoteKind, session_id: str, state_version: int) -> Preview | None:
        key = (kind.value, session_id, state_version)
        preview = self._entries.get(key)
        if preview is not None:
            self._entries.move_to_end(key)
        return preview

    def put(self, preview: Preview) -> None:
        key = (preview.kind.value, preview.session_id, preview.state_version)
        self._entries[key] = preview
        self._entries.move_to_end(key)
        while len(self._entries) > self._soft_cap:
            self._entries.popitem(last=False)


class PreviewService:
    def __init__(
        self, database: Database, write_note: NoteWriter, cache: PreviewCache | None = None
    ) -> None:
        self._database = database
        self._write_note = write_note
        self.cache = cache or PreviewCache()

    async def inputs(self, session_id: str) -> NoteInputs:
        return await self._database.run(lambda s: gather_inputs(s, session_id))

    async def preview(self, kind: NoteKind, session_id: str, *, refresh: bool = False) -> Preview:
        inputs = await self.inputs(session_id)
        if not refresh:
            cached = self.cache.get(kind, session_id, inputs.state_version)
            if cached is not None:
                return replace(cached, cached=True)
        # scrubbing is CPU work (regular expressions over the session): off the event loop
        safe = await asyncio.to_thread(inputs.redacted)
        local = await asyncio.to_thread(LOCAL_COMPOSERS[kind], safe)
        written: str | None = None
        reason: str | None = "no Anthropic API key is set"
        try:
            written = await self._write_note(kind, safe, local)
        except Exception as error:  # the model is optional here: fall back, say so
            log.warning("note generation failed: %s", type(error).__name__)
            reason = f"the model could not write it ({type(error).__name__})"
        if written and not _has_headings(kind, written):
            reason, written = "the model's note lacked the required headings", None
        text = default_scrubber().scrub(written, scope=session_id).text if written else None
        preview = Preview(
            kind,
            session_id,
            inputs.state_version,
            text or local,
            False,
            text is None,
            None if text else reason,
        )
        self.cache.put(preview)
        return preview


def _has_headings(kind: NoteKind, text: str) -> bool:
    return all(heading in text for heading in HEADINGS[kind])
