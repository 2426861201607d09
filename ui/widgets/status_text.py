"""How statuses read to a technician: a session's, and a fix's (with its notes)."""

from __future__ import annotations

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
    "proposed": "Proposed",
    "applied_success": "Worked",
    "applied_failed": "Didn't work",
    "applied_partial": "Partly applied",
    "applied_pending": "Still checking",
    "dismissed": "Dismissed",
}


def fix_status_text(fix: FixView) -> str:
    """The fix's status as a technician reads it, with its notes."""
    label = FIX_STATUS_LABELS.get(fix.status, fix.status)
    if fix.status == "proposed" and fix.applied_at is not None:
        label = "Applied — did it work?"
    detail = {
        "applied_partial": fix.partial_notes,
        "applied_pending": fix.pending_reason,
        "applied_failed": fix.failure_reason,
    }.get(fix.status)
    return f"{label}: {detail}" if detail else label
