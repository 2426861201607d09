"""Where Apply on a suggested fix leads (SPEC §7). Apply itself records nothing.

A fix naming a template opens the Template Match panel; a drafted script without a template
opens the NoTemplate choice; a fix without a drafted script needs one written first (the
Script Builder).
"""

from __future__ import annotations

from enum import StrEnum


class ApplyRoute(StrEnum):
    TEMPLATE_MATCH = "template_match"
    NO_TEMPLATE = "no_template"
    SCRIPT_BUILDER = "script_builder"


def apply_route(template_id: str | None, drafted_script: str | None) -> ApplyRoute:
    if template_id:
        return ApplyRoute.TEMPLATE_MATCH
    if (drafted_script or "").strip():
        return ApplyRoute.NO_TEMPLATE
    return ApplyRoute.SCRIPT_BUILDER
