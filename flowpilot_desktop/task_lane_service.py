"""The task lane's state and every correction a technician makes to it (SPEC §6, §8).

Facts (add, edit, delete, restore), answers to questions and results of checks, promoting
them to facts, dismissing the suggested fix and recording its outcome (both undoable while
nothing else changed the fix). Each write returns a SessionChange; facts, fixes and outcomes
bump state_version in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from flowpilot_desktop import fix_outcome
from flowpilot_desktop.assistant.task_lane import (
    LaneCheck,
    LaneItem,
    LaneQuestion,
    TaskLane,
    find_item,
    stored_task_lane,
)
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.fix_outcome import FixStatus
from storage.database import Database
from storage.models import SessionSuggestedFix
from storage.repositories import facts, fixes, messages
from storage.repositories import sessions as session_repository
from storage.repositories.fixes import FixSnapshot as FixSnapshot
from storage.repositories.sessions import SessionSummary
from storage.seen_before import PastFix as PastFix  # for the lane
from storage.seen_before import similar_resolved

# (session id, the answered question or check) -> one fact, or None
Synthesizer = Callable[[str, LaneItem], Awaitable[str | None]]


@dataclass(frozen=True)
class FactView:
    id: str
    text: str
    source_type: str
    source_ref: str | None
    editable: bool
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class FixView:
    id: str
    session_id: str
    title: str
    description: str
    confidence: int
    template_id: str | None
    script: str | None
    language: str | None
    parameters: dict[str, Any]
    decision: str | None
    status: FixStatus
    applied_at: datetime | None
    verified_at: datetime | None
    partial_notes: str | None
    failure_reason: str | None
    pending_reason: str | None
    outcome_proposal: dict[str, Any] | None
    superseded_at: datetime | None


@dataclass(frozen=True)
class TaskLaneState:
    session_id: str
    state_version: int
    facts: tuple[FactView, ...]
    questions: tuple[LaneQuestion, ...]
    checks: tuple[LaneCheck, ...]
    active_fix: FixView | None
    fix_history: tuple[FixView, ...]  # superseded fixes, newest first
    messages_since_applied: int  # technician messages after the active fix was applied
    exchanges: int  # assistant replies that did not fail (Resolve/Escalate need one)
    session_status: str = "active"

    @property
    def banner_mode(self) -> fix_outcome.BannerMode:
        fix = self.active_fix
        if fix is None or self.session_status.startswith("resolved"):
            # a resolved session asks nothing more about its fix
            return fix_outcome.BannerMode.HIDDEN
        return fix_outcome.banner_mode(
            fix.status,
            fix.applied_at is not None,
            bool(fix.outcome_proposal),
            self.messages_since_applied,
        )


@dataclass(frozen=True)
class FixChange:
    """A write to a fix that Ctrl+Z can take back: the change to publish (the TaskRunner
    publishes ``.change``) and the fix's fields before and after, for
    :meth:`TaskLaneService.undo_fix_change`."""

    change: SessionChange
    fix_id: str
    before: FixSnapshot
    after: FixSnapshot

    @property
    def final(self) -> bool:
        """The write left a final outcome (worked, didn't work, dismissed): worth an undo."""
        return self.after.status in fix_outcome.TERMINAL


class TaskLaneService:
    def __init__(self, database: Database, synthesize: Synthesizer) -> None:
        self._database = database
        self._synthesize = synthesize

    async def state(self, session_id: str) -> TaskLaneState:
        return await self._database.run(lambda s: _state(s, session_id))

    async def seen_before(self, session_id: str) -> list[PastFix]:
        """Up to 3 resolved sessions like this one, with the fix applied and its confirmed
        record ("worked 3 of 3"): the lane's Seen before."""
        return await self._database.run(lambda s: similar_resolved(s, session_id))

    # ---- Facts

    async def add_note(self, session_id: str, text: str) -> SessionChange:
        cleaned = _required(text, "Write the note first.")

        def write(s: Session) -> None:
            if facts.add_fact(s, session_id, cleaned, "engineer_note") is None:
                raise UserFacingError("That fact is already in “What we know”.")

        return await self._write(session_id, write)

    async def edit_fact(self, session_id: str, fact_id: str, text: str) -> SessionChange:
        cleaned = _required(text, "A fact can't be empty; delete it instead.")

        def write(s: Session) -> None:
            fact = facts.get_fact(s, session_id, fact_id)
            if fact.source_type not in facts.EDITABLE_SOURCES:
                raise UserFacingError(
                    "This fact comes from a question or a check: edit that item instead, "
                    "and promote it again."
                )
            facts.edit_fact(s, session_id, fact, cleaned)

        return await self._write(session_id, write)

    async def delete_fact(self, session_id: str, fact_id: str) -> SessionChange:
        return await self._write(
            session_id,
            lambda s: facts.set_fact_deleted(
                s, session_id, facts.get_fact(s, session_id, fact_id), True
            ),
        )

    async def restore_fact(self, session_id: str, fact_id: str) -> SessionChange:
        return await self._write(
            session_id,
            lambda s: facts.set_fact_deleted(
                s, session_id, facts.get_fact(s, session_id, fact_id), False
            ),
        )

    # ---- Questions and checks

    async def record_answer(self, session_id: str, item_id: str, answer: str) -> SessionChange:
        """The end user's answer to a question, or what a check showed (marks the check done)."""
        cleaned = _required(answer, "Type the answer or the result first.")

        def write(s: Session) -> None:
            lane = stored_task_lane(session_repository.get_task_lane(s, session_id)) or {}
            item = find_item(lane, item_id)
            if item is None:
                raise UserFacingError("That question or check is no longer in the task lane.")
            updated: LaneItem
            if "text" in item:  # a question: the end user's answer
                updated = {**item, "answer": cleaned}
            else:  # a check: what it showed, and it is done
                updated = {**item, "result": cleaned, "done": True}
            session_repository.set_task_lane(s, session_id, _replace_item(lane, updated))

        return await self._write(session_id, write, ChangeKind.TASK_LANE)

    async def promote(
        self, session_id: str, item_id: str, text: str | None = None
    ) -> SessionChange:
        """Turn an answered question or a check's result into a fact: the technician's own words,
        or one sentence synthesized by the fast model tier from the item and its answer."""
        lane = stored_task_lane(
            await self._database.run(lambda s: session_repository.get_task_lane(s, session_id))
        )
        item = find_item(lane, item_id)
        if item is None:
            raise UserFacingError("That question or check is no longer in the task lane.")
        fact_text = (text or "").strip() or None
        if fact_text is None:
            if not (item.get("answer") or item.get("result")):
                raise UserFacingError("Record the answer or the result first, then promote it.")
            fact_text = await self._synthesize(session_id, item)
            if not fact_text:
                raise UserFacingError(
                    "The assistant could not turn this into a fact. Write the fact yourself; "
                    "the answer is kept."
                )
        source_type = "question" if "text" in item else "diagnostic_check"

        def write(s: Session) -> None:
            if facts.add_fact(s, session_id, fact_text, source_type, item_id) is None:
                raise UserFacingError("That fact is already in “What we know”.")

        return await self._write(session_id, write)

    # ---- Suggested fix

    async def dismiss_fix(self, session_id: str, fix_id: str) -> SessionChange:
        return (await self.dismiss_fix_undoable(session_id, fix_id)).change

    async def dismiss_fix_undoable(self, session_id: str, fix_id: str) -> FixChange:
        """Dismiss the current suggestion; the result carries what :meth:`undo_fix_change`
        needs to bring it back."""

        def write(s: Session, fix: SessionSuggestedFix) -> None:
            if fix.superseded_at is not None:
                raise UserFacingError(
                    "This fix was already replaced or dismissed; only the current suggestion "
                    "can be dismissed."
                )
            fix_outcome.check_transition(fix.status, FixStatus.DISMISSED, None)
            fixes.dismiss_fix(s, session_id, fix)

        return await self._fix_write(session_id, fix_id, write)

    async def record_run(self, session_id: str, fix_id: str) -> SessionChange:
        """The technician says "✓ I ran this" (SPEC §7): stamps ``applied_at``.

        For a fix naming a template (the Template Match panel) nothing else is recorded; for a
        drafted script run as it is, the decision is ``one_off``.
        """

        def write(s: Session) -> None:
            fix = fixes.get_fix(s, session_id, fix_id)
            if fix.superseded_at is not None:
                raise UserFacingError("This fix was replaced; run the current suggestion instead.")
            if fix.status in fix_outcome.TERMINAL:
                raise UserFacingError("This fix already has a final outcome.")
            if fix.template_id:
                fixes.stamp_applied(s, session_id, fix)
                return
            if not (fix.ai_drafted_script or "").strip():
                raise UserFacingError(
                    "This fix has no drafted script to run. Ask the assistant to draft one, "
                    "or record the outcome once you have applied the fix by hand."
                )
            fixes.record_decision(s, session_id, fix, "one_off")

        return await self._write(session_id, write, ChangeKind.FIX)

    async def record_outcome(
        self, session_id: str, fix_id: str, outcome: str, notes: str | None = None
    ) -> SessionChange:
        """Record whether the fix worked (SPEC §8); refused with a reason when not allowed.
        ``outcome`` is a FixStatus (or its text, as a screen may pass it)."""
        return (await self.record_outcome_undoable(session_id, fix_id, outcome, notes)).change

    async def record_outcome_undoable(
        self, session_id: str, fix_id: str, outcome: str, notes: str | None = None
    ) -> FixChange:
        """:meth:`record_outcome`, with the fix's fields before and after for an undo."""

        def write(s: Session, fix: SessionSuggestedFix) -> None:
            cleaned = fix_outcome.check_transition(fix.status, outcome, notes)
            fixes.record_outcome(s, session_id, fix, FixStatus(outcome), cleaned)

        return await self._fix_write(session_id, fix_id, write)

    async def accept_outcome_proposal(self, session_id: str, fix_id: str) -> SessionChange:
        return (await self.accept_outcome_proposal_undoable(session_id, fix_id)).change

    async def accept_outcome_proposal_undoable(self, session_id: str, fix_id: str) -> FixChange:
        """Record the outcome the assistant proposed; undoing it brings the proposal back."""
        state = await self.state(session_id)
        fix = state.active_fix
        if fix is None or fix.id != fix_id or not fix.outcome_proposal:
            raise UserFacingError("There is no proposed outcome to confirm for this fix.")
        outcome = {"success": FixStatus.APPLIED_SUCCESS, "failure": FixStatus.APPLIED_FAILED}.get(
            fix.outcome_proposal.get("outcome", ""), FixStatus.APPLIED_PARTIAL
        )
        return await self.record_outcome_undoable(
            session_id, fix_id, outcome, fix.outcome_proposal.get("reason") or None
        )

    async def undo_fix_change(
        self, session_id: str, fix_id: str, before: FixSnapshot, after: FixSnapshot
    ) -> SessionChange:
        """Put the fix back as it was before a write (Ctrl+Z), in one transaction that bumps
        state_version — refused, writing nothing, once anything changed the fix since (a newer
        outcome, a new suggestion replacing it), when another fix became the current one, or
        when the session is resolved (its resolution already reports the outcome)."""

        def write(s: Session) -> None:
            summary = session_repository.get_session_summary(s, session_id)
            if summary.status.startswith("resolved"):
                raise UserFacingError(
                    "This session is resolved, so its fix's outcome can't be undone any more."
                )
            fix = fixes.get_fix(s, session_id, fix_id)
            refused = fixes.restore_fix(s, session_id, fix, before, after)
            if refused is fixes.RestoreRefused.CHANGED:
                raise UserFacingError(
                    "This can't be undone: the fix has changed since (another outcome was "
                    "recorded, or a newer suggestion replaced it). Nothing was changed."
                )
            if refused is fixes.RestoreRefused.ANOTHER_ACTIVE:
                raise UserFacingError(
                    "This fix can't be brought back: the assistant has suggested another fix "
                    "since, and a session has one current fix. Nothing was changed."
                )

        return await self._write(session_id, write, ChangeKind.FIX)

    async def reject_outcome_proposal(self, session_id: str, fix_id: str) -> SessionChange:
        return await self._write(
            session_id,
            lambda s: fixes.reject_outcome_proposal(
                s, session_id, fixes.get_fix(s, session_id, fix_id)
            ),
            ChangeKind.FIX,
        )

    # ---- Private

    async def _fix_write(
        self,
        session_id: str,
        fix_id: str,
        write: Callable[[Session, SessionSuggestedFix], None],
    ) -> FixChange:
        """One write to one fix, with the fix's fields before it and as stored after it."""
        snapshots: list[FixSnapshot] = []

        def unit(s: Session) -> None:
            fix = fixes.get_fix(s, session_id, fix_id)
            before = fixes.snapshot(fix)
            write(s, fix)
            snapshots[:] = [before, fixes.stored_snapshot(s, fix)]

        change = await self._write(session_id, unit, ChangeKind.FIX)
        before, after = snapshots
        return FixChange(change, fix_id, before, after)

    async def _write(
        self, session_id: str, write: Callable[[Session], None], kind: ChangeKind = ChangeKind.FACTS
    ) -> SessionChange:
        def unit(s: Session) -> SessionSummary:
            try:
                write(s)
            except LookupError:
                raise UserFacingError("That item no longer exists in this session.") from None
            return session_repository.get_session_summary(s, session_id)

        return SessionChange.of(await self._database.run(unit), kind)


def _required(text: str, message: str) -> str:
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise UserFacingError(message)
    return cleaned


def _replace_item(lane: TaskLane, updated: LaneItem) -> TaskLane:
    """The lane with the item of ``updated``'s id replaced (a new dict; ``lane`` untouched)."""
    questions = list(lane.get("questions", []))
    actions = list(lane.get("actions", []))
    if "text" in updated:
        questions = [updated if q.get("id") == updated["id"] else q for q in questions]
    else:
        actions = [updated if a.get("id") == updated["id"] else a for a in actions]
    return {"questions": questions, "actions": actions}


def _state(s: Session, session_id: str) -> TaskLaneState:
    summary = session_repository.get_session_summary(s, session_id)
    lane = stored_task_lane(session_repository.get_task_lane(s, session_id)) or {}
    history = fixes.fix_history(s, session_id)
    active = next((fix for fix in history if fix.superseded_at is None), None)
    since = active.applied_at if active is not None else None
    return TaskLaneState(
        session_id=session_id,
        state_version=summary.state_version,
        facts=tuple(
            FactView(
                f.id,
                f.text,
                f.source_type,
                f.source_ref,
                f.source_type in facts.EDITABLE_SOURCES,
                f.created_at,
            )
            for f in facts.live_facts(s, session_id)
        ),
        questions=tuple(lane.get("questions") or ()),
        checks=tuple(lane.get("actions") or ()),
        active_fix=_fix_view(active) if active is not None else None,
        fix_history=tuple(_fix_view(f) for f in history if f.superseded_at is not None),
        messages_since_applied=(
            messages.count_messages(s, session_id, "user", after=since) if since else 0
        ),
        exchanges=messages.count_messages(s, session_id, "assistant", answered=True),
        session_status=summary.status,
    )


def _fix_view(fix: SessionSuggestedFix) -> FixView:
    return FixView(
        id=fix.id,
        session_id=fix.session_id,
        title=fix.title,
        description=fix.description,
        confidence=fix.confidence,
        template_id=fix.template_id,
        # what would run: the edit, else the draft
        script=fix.edited_script or fix.ai_drafted_script,
        language=fix.script_language,
        parameters=dict(fix.ai_drafted_parameters or {}),
        decision=fix.user_decision,
        status=fix.status,
        applied_at=fix.applied_at,
        verified_at=fix.verified_at,
        partial_notes=fix.partial_notes,
        failure_reason=fix.failure_reason,
        pending_reason=fix.pending_reason,
        outcome_proposal=fix.ai_outcome_proposal,
        superseded_at=fix.superseded_at,
    )
