"""How the technician uses the suggested fix's script (SPEC §7, the NoTemplate choices).

``one_off`` (run it once) and ``draft_template`` (run now, templatize after) mean the script
ran, so they stamp ``applied_at``; ``build_template`` opens the builder and stamps nothing.
A fix without a drafted script, or whose outcome is final, is refused with a message. An
edited script is kept on the fix. ``draft_template`` then proposes a template from the script
(extraction, with its conservative fallback) and records it as a pending draft.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowpilot_desktop import fix_outcome
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.scripts.extraction import Ask, Extraction, extract_template
from flowpilot_desktop.scripts.templates import LANGUAGES
from storage.database import Database
from storage.repositories import drafts, fixes
from storage.repositories import sessions as session_repository

DECISIONS = ("one_off", "draft_template", "build_template")


@dataclass(frozen=True)
class Decided:
    change: SessionChange
    draft_id: str | None = None
    extraction: Extraction | None = None


class FixScriptService:
    def __init__(self, database: Database, ask: Ask) -> None:
        self._database = database
        self._ask = ask

    async def decide(
        self, session_id: str, fix_id: str, decision: str, script: str | None = None
    ) -> Decided:
        if decision not in DECISIONS:
            raise UserFacingError(f"“{decision}” is not a choice for the fix's script.")

        def write(s: Any) -> tuple[Any, str, str, str]:
            try:
                fix = fixes.get_fix(s, session_id, fix_id)
            except LookupError:
                raise UserFacingError("That fix no longer exists in this session.") from None
            current = fix.edited_script or fix.ai_drafted_script or ""
            final = current if script is None else script
            if not final.strip():
                raise UserFacingError(
                    "This fix has no drafted script. Ask the assistant to draft one, or build "
                    "it in the Script Builder."
                )
            if fix.superseded_at is not None and fix.status != "dismissed":
                raise UserFacingError("A newer suggestion replaced this fix; use that one.")
            if fix.status in fix_outcome.TERMINAL:
                raise UserFacingError("This fix is no longer open: its outcome is final.")
            if final != current:
                fix.edited_script = final
            fixes.record_decision(s, session_id, fix, decision)
            language = fix.script_language if fix.script_language in LANGUAGES else "powershell"
            summary = session_repository.get_session_summary(s, session_id)
            return summary, final, language, fix.title

        summary, final, language, title = await self._database.run(write)
        change = SessionChange.of(summary, ChangeKind.FIX)
        if decision != "draft_template":
            return Decided(change)
        extraction = await extract_template(self._ask, final, language, title)
        draft_id = await self._database.run(
            lambda s: drafts.add_draft(
                s,
                session_id=session_id,
                fix_id=fix_id,
                name=extraction.name[:200],
                templated_body=extraction.templated_body,
                parameters_schema=[p.to_dict() for p in extraction.parameters],
                language=language,
            )
        )
        return Decided(change, draft_id, extraction)
