"""Resolution notes and escalation packages composed without the model (SPEC §9).

Used when there is no API key or the model fails, and as the structure the model is asked to
follow. Headings, empty-case wording and the outcome-aware Resolution paragraph are exactly
the SPEC's.
"""

from __future__ import annotations

from flowpilot_desktop.conclusion.inputs import FixInput, NoteInputs
from flowpilot_desktop.errors import join_sentences
from flowpilot_desktop.fix_outcome import FixStatus

NOTHING_CONFIRMED = "Nothing confirmed yet."
NO_ACTIONS = "No diagnostic actions run yet."
ROOT_CAUSE_UNKNOWN = "Root cause not definitively isolated."


def resolution_paragraph(fix: FixInput | None) -> str:
    """What was done, in the tense the outcome allows."""
    if fix is None or fix.status == FixStatus.DISMISSED:
        return "Resolution not yet applied — no fix has been agreed."
    if fix.status == FixStatus.APPLIED_SUCCESS:
        return f"Applied {fix.title}; confirmed working."
    if fix.status == FixStatus.APPLIED_FAILED:
        reason = f" ({fix.failure_reason})" if fix.failure_reason else ""
        return f"Applied {fix.title}, but it did not resolve the issue{reason}."
    if fix.status == FixStatus.APPLIED_PARTIAL:
        notes = f": {fix.partial_notes}" if fix.partial_notes else ""
        return f"Applied {fix.title} in part{notes}."
    if fix.status == FixStatus.APPLIED_PENDING:
        reason = f" ({fix.pending_reason})" if fix.pending_reason else ""
        return f"Applied {fix.title}; provisional — awaiting verification{reason}."
    if fix.applied:
        return f"Applied {fix.title}; awaiting confirmation that it worked."
    return f"Resolution not yet applied — fix proposed: {fix.title}."


def root_cause(inputs: NoteInputs) -> str:
    fix = inputs.fix
    if fix is not None and fix.status == FixStatus.APPLIED_SUCCESS:
        return join_sentences(f"Addressed by {fix.title}", fix.description or "")
    suspected = fix.title if fix is not None and fix.status != FixStatus.DISMISSED else ""
    return ROOT_CAUSE_UNKNOWN + (f" Suspected: {suspected}." if suspected else "")


def compose_resolution_note(inputs: NoteInputs) -> str:
    inputs = inputs.redacted()
    return "\n\n".join(
        [
            "## Problem",
            inputs.problem,
            "## What we confirmed",
            _bullets([text for text, _source in inputs.facts]) or NOTHING_CONFIRMED,
            "## Root cause",
            root_cause(inputs),
            "## Resolution",
            resolution_paragraph(inputs.fix),
        ]
    )


def compose_escalation_package(inputs: NoteInputs) -> str:
    inputs = inputs.redacted()
    tried = [f"{check.label} — {check.result}" for check in inputs.checks]
    tried += [f"Ran script: {script.name}" for script in inputs.scripts]
    fix = inputs.fix
    if fix is not None and fix.applied and fix.status != FixStatus.DISMISSED:
        tried.append(f"Applied fix: {fix.title} — {resolution_paragraph(fix)}")
    return "\n\n".join(
        [
            "## Problem",
            inputs.problem,
            "## What we've confirmed",
            _bullets([text for text, _source in inputs.facts]) or NOTHING_CONFIRMED,
            "## What we've tried",
            _bullets(tried) or NO_ACTIONS,
            "## Current hypothesis",
            _hypothesis(fix),
            "## Suggested next steps",
            _next_steps(fix),
        ]
    )


def _hypothesis(fix: FixInput | None) -> str:
    if fix is None or fix.status == FixStatus.DISMISSED:
        return "No leading hypothesis yet."
    if fix.status == FixStatus.APPLIED_PENDING:
        return f"Leading hypothesis (fix applied, awaiting verification): {fix.title}."
    if fix.status == FixStatus.APPLIED_FAILED:
        return f"{fix.title} was tried and did not resolve it; the cause lies elsewhere."
    if fix.status == FixStatus.APPLIED_PARTIAL:
        return f"{fix.title} helped in part; the remaining symptoms need another look."
    return join_sentences(fix.title, fix.description or "")


def _next_steps(fix: FixInput | None) -> str:
    if fix is not None and fix.status == FixStatus.APPLIED_PENDING:
        return f"Confirm whether {fix.title} resolved it ({fix.pending_reason or 'pending'})."
    if fix is not None and fix.status == FixStatus.PROPOSED and not fix.applied:
        return f"Apply the proposed fix: {fix.title}, and confirm the result."
    return "Review the confirmed facts above and continue diagnosis from there."


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines if line.strip())
