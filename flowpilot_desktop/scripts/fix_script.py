"""How the technician uses the suggested fix's script (SPEC §7, the NoTemplate choices).

``one_off`` (run it once) and ``draft_template`` (run now, templatize after) mean the script
ran, so they stamp ``applied_at``; ``build_template`` opens the builder and stamps nothing.
A fix without a drafted script, or whose outcome is final, is refused with a message. An
edited script is kept on the fix. After ``draft_template``, ``propose_draft`` turns the script
into a pending draft template (extraction, with its conservative fallback). The two are
separate calls so the decision is saved, and the dialog closes, before the model is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from flowpilot_desktop import fix_outcome
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.fix_outcome import FixStatus
from flowpilot_desktop.scripts.extraction import Ask, Extraction, extract_template
from flowpilot_desktop.scripts.templates import LANGUAGES
from flowpilot_desktop.scrubbing import default_scrubber
from storage.database import Database
from storage.models import SessionSuggestedFix
from storage.repositories import drafts, fixes
from storage.repositories import sessions as session_repository
from storage.repositories.sessions import SessionSummary

DECISIONS = ("one_off", "draft_template", "build_template")


@dataclass(frozen=True)
class Decided:
    change: SessionChange
    script: str  # what the technician runs: their edit, or the script as drafted


@dataclass(frozen=True)
class ProposedDraft:
    draft_id: str
    extraction: Extraction


class FixScriptService:
    def __init__(self, database: Database, ask: Ask) -> None:
        self._database = database
        self._ask = ask

    async def decide(
        self, session_id: str, fix_id: str, decision: str, script: str | None = None
    ) -> Decided:
        if decision not in DECISIONS:
            raise UserFacingError(f"“{decision}” is not a choice for the fix's script.")

        def write(s: Session) -> tuple[SessionSummary, str]:
            fix = _usable_fix(s, session_id, fix_id)
            current = fix.edited_script or fix.ai_drafted_script or ""
            final = current if script is None else script
            if not final.strip():
                raise UserFacingError(
                    "This fix has no drafted script. Ask the assistant to draft one, or build "
                    "it in the Script Builder."
                )
            if final != current:
                fix.edited_script = final
            fixes.record_decision(s, session_id, fix, decision)
            return session_repository.get_session_summary(s, session_id), final

        summary, final = await self._database.run(write)
        return Decided(SessionChange.of(summary, ChangeKind.FIX), final)

    async def propose_draft(self, session_id: str, fix_id: str) -> ProposedDraft:
        """A pending draft template from the script the fix ran (``draft_template``)."""

        def read(s: Session) -> tuple[str, str, str]:
            fix = _existing_fix(s, session_id, fix_id)
            language = fix.script_language if fix.script_language in LANGUAGES else "powershell"
            return fix.edited_script or fix.ai_drafted_script or "", language, fix.title

        script, language, title = await self._database.run(read)
        if not script.strip():
            raise UserFacingError("This fix has no script to make a template from.")
        # The model sees the script masked, and the draft is checked against (and keeps) the
        # masked script: a password in the script never reaches Anthropic or the team library.
        scrubber = default_scrubber()
        script = scrubber.scrub(script, scope=session_id).text
        title = scrubber.scrub(title, scope=session_id).text
        extraction = await extract_template(self._ask, script, language, title)
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
        return ProposedDraft(draft_id, extraction)


def _existing_fix(s: Session, session_id: str, fix_id: str) -> SessionSuggestedFix:
    try:
        return fixes.get_fix(s, session_id, fix_id)
    except LookupError:
        raise UserFacingError("That fix no longer exists in this session.") from None


def _usable_fix(s: Session, session_id: str, fix_id: str) -> SessionSuggestedFix:
    fix = _existing_fix(s, session_id, fix_id)
    if fix.superseded_at is not None and fix.status != FixStatus.DISMISSED:
        raise UserFacingError("A newer suggestion replaced this fix; use that one.")
    if fix.status in fix_outcome.TERMINAL:
        raise UserFacingError("This fix is no longer open: its outcome is final.")
    return fix
