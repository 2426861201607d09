"""The outbound scrubber: credential-shaped strings become stable typed placeholders.

Qt-free and cheap to import (detect-secrets is loaded on the first scrub).
"""

from __future__ import annotations

from flowpilot_desktop.scrubbing.detectors import KINDS, Finding, find_credentials
from flowpilot_desktop.scrubbing.scrubber import (
    PLACEHOLDER_PATTERN,
    Masked,
    Scrubbed,
    Scrubber,
    default_scrubber,
    registered_secrets,
)

__all__ = [
    "KINDS",
    "PLACEHOLDER_PATTERN",
    "Finding",
    "Masked",
    "Scrubbed",
    "Scrubber",
    "default_scrubber",
    "find_credentials",
    "registered_secrets",
]
