"""The task lane and the suggested fix's outcome, from the keyboard (SPEC §8, §11)."""

from __future__ import annotations

from collections.abc import Callable

from flowpilot_desktop.fix_outcome import BannerMode, FixStatus
from flowpilot_desktop.task_lane_service import FixView
from ui.actions.registry import ActionSpec
from ui.chat_dock.outcome_banner import OutcomeBanner
from ui.fix_controller import FixController
from ui.session_state import SessionState
from ui.task_lane.dock import TaskLaneDock

UNDECIDED = (BannerMode.PROPOSED, BannerMode.VERIFYING, BannerMode.NUDGE)
OPEN_MODES = (*UNDECIDED, BannerMode.PARTIAL, BannerMode.PENDING)


def fix_actions(
    state: SessionState,
    fixes: FixController,
    apply: Callable[[FixView], None],
    banner: OutcomeBanner,
    lane: TaskLaneDock,
) -> list[ActionSpec]:
    def when(*modes: BannerMode) -> Callable[[], bool]:
        return lambda: state.active_fix is not None and state.banner_mode in modes

    def on_fix(handler: Callable[..., None], *args: str) -> Callable[[], None]:
        def run() -> None:
            fix = state.active_fix
            if fix is not None:
                handler(fix, *args)

        return run

    def show_history() -> None:
        if state.lane is not None:
            fixes.show_history(state.lane)

    return [
        ActionSpec(
            "lane.add_note",
            "Add a &note to What we know",
            "Triage",
            lane.open_note_editor,
            ("Ctrl+Shift+N",),
            enabled_when=lambda: state.current is not None,
            keywords=("fact", "what we know", "confirmed"),
        ),
        ActionSpec(
            "fix.apply",
            "&Apply the suggested fix",
            "Triage",
            on_fix(apply),
            enabled_when=lambda: state.active_fix is not None,
            description="Open the fix's script",
            keywords=("script", "run"),
        ),
        ActionSpec(
            "fix.dismiss",
            "&Dismiss the suggested fix",
            "Triage",
            on_fix(fixes.dismiss),
            enabled_when=when(*OPEN_MODES, BannerMode.AI_CONFIRMING),
        ),
        ActionSpec(
            "fix.history",
            "Earlier fix suggestions",
            "Triage",
            show_history,
            enabled_when=lambda: state.lane is not None and bool(state.lane.fix_history),
            keywords=("superseded", "history"),
        ),
        ActionSpec(
            "fix.worked",
            "The fix &worked",
            "Triage",
            on_fix(fixes.record_outcome, FixStatus.APPLIED_SUCCESS),
            enabled_when=when(*OPEN_MODES),
            keywords=("outcome", "success"),
        ),
        ActionSpec(
            "fix.failed",
            "The fix did&n't work",
            "Triage",
            on_fix(fixes.record_outcome, FixStatus.APPLIED_FAILED),
            enabled_when=when(*OPEN_MODES),
            keywords=("outcome", "failed"),
        ),
        ActionSpec(
            "fix.partial",
            "The fix was &partly applied…",
            "Triage",
            lambda: banner.ask_notes(FixStatus.APPLIED_PARTIAL),
            enabled_when=when(*UNDECIDED, BannerMode.PARTIAL),
            keywords=("outcome", "partial"),
        ),
        ActionSpec(
            "fix.pending",
            "Still &checking the fix…",
            "Triage",
            lambda: banner.ask_notes(FixStatus.APPLIED_PENDING),
            enabled_when=when(*UNDECIDED, BannerMode.PENDING),
            keywords=("outcome", "pending", "waiting"),
        ),
        ActionSpec(
            "fix.confirm_outcome",
            "&Confirm the assistant's outcome",
            "Triage",
            on_fix(fixes.confirm_proposal),
            enabled_when=when(BannerMode.AI_CONFIRMING),
        ),
        ActionSpec(
            "fix.reject_outcome",
            "&Reject the assistant's outcome",
            "Triage",
            on_fix(fixes.reject_proposal),
            enabled_when=when(BannerMode.AI_CONFIRMING),
        ),
        ActionSpec(
            "fix.toggle_banner",
            "Collapse/expand the fix &banner",
            "Triage",
            lambda: banner.set_collapsed(not banner.collapsed),
            enabled_when=lambda: state.banner_mode is not BannerMode.HIDDEN,
        ),
    ]
