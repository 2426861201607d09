"""The fix outcome state machine (SPEC §8), in one place.

proposed → applied_success | applied_failed | applied_partial | applied_pending | dismissed.
applied_partial (notes required) and applied_pending (reason required) are parked: they move
to success, failed or dismissed, or are recorded again with new notes. Success, failed and
dismissed are terminal. Anything else is refused with a message saying why.

The outcome banner's mode is chosen here too, so the rule is tested without a window.
"""

from __future__ import annotations

from enum import StrEnum

from flowpilot_desktop.errors import UserFacingError
from storage.models import FixStatus as FixStatus  # defined with the column that stores it

TERMINAL = frozenset({FixStatus.APPLIED_SUCCESS, FixStatus.APPLIED_FAILED, FixStatus.DISMISSED})
PARKED = frozenset({FixStatus.APPLIED_PARTIAL, FixStatus.APPLIED_PENDING})
OUTCOMES = frozenset({*TERMINAL, *PARKED})
LABELS: dict[str, str] = {
    FixStatus.PROPOSED: "proposed",
    FixStatus.APPLIED_SUCCESS: "worked",
    FixStatus.APPLIED_FAILED: "didn't work",
    FixStatus.APPLIED_PARTIAL: "partly applied",
    FixStatus.APPLIED_PENDING: "still being checked",
    FixStatus.DISMISSED: "dismissed",
}


def allowed_outcomes(current: str) -> frozenset[FixStatus]:
    """The outcomes that may be recorded from ``current`` (a FixStatus, or its text)."""
    if current == FixStatus.PROPOSED:
        return OUTCOMES
    if current in PARKED:
        return TERMINAL | {FixStatus(current)}  # conclude it, or update the notes / reason
    return frozenset()


def parse_outcome(outcome: str) -> FixStatus:
    """The outcome a screen asked for, as a FixStatus; refused when it is not an outcome."""
    if outcome not in OUTCOMES:
        raise UserFacingError(f"“{outcome}” is not an outcome FlowPilot knows.")
    return FixStatus(outcome)


def check_transition(current: str, outcome: str, notes: str | None) -> str | None:
    """Validate a requested outcome; return the cleaned notes (None when not needed)."""
    wanted = parse_outcome(outcome)
    if wanted not in allowed_outcomes(current):
        raise UserFacingError(
            f"This fix is already marked “{LABELS.get(current, current)}”, so it can't be "
            f"marked “{LABELS[wanted]}”."
            + (" That outcome is final." if current in TERMINAL else "")
        )
    cleaned = (notes or "").strip() or None
    if wanted == FixStatus.APPLIED_PARTIAL and cleaned is None:
        raise UserFacingError("Say what was applied and what was not: partial needs notes.")
    if wanted == FixStatus.APPLIED_PENDING and cleaned is None:
        raise UserFacingError(
            "Say what you are still waiting for: “still checking” needs a reason."
        )
    return cleaned


def recorded_text(status: str) -> str:
    """What the status bar says once ``status`` was written: "Marked as worked", "Fix dismissed"."""
    if status == FixStatus.DISMISSED:
        return "Fix dismissed"
    return f"Marked as {LABELS.get(status, status)}"


NUDGE_AFTER_MESSAGES = 3  # technician messages after applying before the passive nudge


class BannerMode(StrEnum):
    """What the outcome banner above the composer asks (SPEC §8)."""

    HIDDEN = "hidden"  # no active fix, or its outcome is final
    PROPOSED = "proposed"  # Apply or Dismiss
    VERIFYING = "verifying"  # applied: worked, didn't work, partly
    NUDGE = "nudge"  # verifying, and the technician has talked on for a while
    PARTIAL = "partial"  # parked: update the notes or conclude
    PENDING = "pending"  # parked: update the reason or conclude
    AI_CONFIRMING = "ai_confirming"  # the assistant proposed an outcome: confirm or reject


def banner_mode(
    status: str, applied: bool, has_proposal: bool, messages_since_applied: int
) -> BannerMode:
    """The banner's mode for the active fix."""
    if status in TERMINAL:
        return BannerMode.HIDDEN
    if has_proposal:
        return BannerMode.AI_CONFIRMING
    if status == FixStatus.APPLIED_PARTIAL:
        return BannerMode.PARTIAL
    if status == FixStatus.APPLIED_PENDING:
        return BannerMode.PENDING
    if not applied:
        return BannerMode.PROPOSED
    if messages_since_applied >= NUDGE_AFTER_MESSAGES:
        return BannerMode.NUDGE
    return BannerMode.VERIFYING
