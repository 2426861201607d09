"""How statuses read to a technician: a session's, and a fix's (with its notes)."""

from __future__ import annotations

from flowpilot_desktop.fix_outcome import FixStatus
from flowpilot_desktop.task_lane_service import FixView

SESSION_STATUS_LABELS = {
    "active": "Active",
    "paused": "Paused",
    "resolved": "Resolved",
    "escalated": "Escalated",
    "resolved_local": "Resolved (local)",
    "escalated_local": "Escalated (local)",
}

FIX_STATUS_LABELS = {
    FixStatus.PROPOSED: "Proposed",
    FixStatus.APPLIED_SUCCESS: "Worked",
    FixStatus.APPLIED_FAILED: "Didn't work",
    FixStatus.APPLIED_PARTIAL: "Partly applied",
    FixStatus.APPLIED_PENDING: "Still checking",
    FixStatus.DISMISSED: "Dismissed",
}


def fix_status_text(fix: FixView) -> str:
    """The fix's status as a technician reads it, with its notes."""
    label = FIX_STATUS_LABELS.get(fix.status, fix.status)
    if fix.status == FixStatus.PROPOSED and fix.applied_at is not None:
        label = "Applied — did it work?"
    detail = {
        FixStatus.APPLIED_PARTIAL: fix.partial_notes,
        FixStatus.APPLIED_PENDING: fix.pending_reason,
        FixStatus.APPLIED_FAILED: fix.failure_reason,
    }.get(fix.status)
    return f"{label}: {detail}" if detail else label
