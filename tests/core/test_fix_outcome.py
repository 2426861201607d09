"""The outcome banner's mode and Apply's route are pure rules (SPEC §7, §8)."""

from __future__ import annotations

import pytest

from flowpilot_desktop.apply_route import ApplyRoute, apply_route
from flowpilot_desktop.fix_outcome import BannerMode, banner_mode


@pytest.mark.parametrize(
    ("status", "applied", "proposal", "messages", "mode"),
    [
        ("proposed", False, False, 0, BannerMode.PROPOSED),
        ("proposed", False, False, 5, BannerMode.PROPOSED),
        ("proposed", True, False, 0, BannerMode.VERIFYING),
        ("proposed", True, False, 2, BannerMode.VERIFYING),
        ("proposed", True, False, 3, BannerMode.NUDGE),
        ("applied_partial", True, False, 9, BannerMode.PARTIAL),
        ("applied_pending", True, False, 9, BannerMode.PENDING),
        ("proposed", True, True, 0, BannerMode.AI_CONFIRMING),
        ("applied_pending", True, True, 0, BannerMode.AI_CONFIRMING),
        ("applied_success", True, True, 0, BannerMode.HIDDEN),
        ("applied_failed", True, False, 0, BannerMode.HIDDEN),
        ("dismissed", False, False, 0, BannerMode.HIDDEN),
    ],
)
def test_banner_mode(status, applied, proposal, messages, mode) -> None:
    assert banner_mode(status, applied, proposal, messages) is mode


def test_apply_routes_by_template_then_script() -> None:
    assert apply_route("tpl-1", "echo hi") is ApplyRoute.TEMPLATE_MATCH
    assert apply_route(None, "echo hi") is ApplyRoute.NO_TEMPLATE
    assert apply_route(None, "   ") is ApplyRoute.SCRIPT_BUILDER
    assert apply_route(None, None) is ApplyRoute.SCRIPT_BUILDER


def test_recorded_text_says_what_was_written() -> None:
    from flowpilot_desktop.fix_outcome import FixStatus, recorded_text

    assert recorded_text(FixStatus.APPLIED_SUCCESS) == "Marked as worked"
    assert recorded_text(FixStatus.APPLIED_FAILED) == "Marked as didn't work"
    assert recorded_text(FixStatus.DISMISSED) == "Fix dismissed"
