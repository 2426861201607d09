"""Long unbroken text (registry paths, GUIDs, UNC paths, e-mail addresses, URLs) wraps instead of
widening its dock: a zero-width space after the characters such text breaks at, and inside any
run that is still too long. Display only — copy buttons copy the original text."""

from __future__ import annotations

import re

ZERO_WIDTH_SPACE = "\u200b"
LONG_RUN = 28  # characters without a break opportunity before one is added
_BREAK_AFTER = re.compile(r"([\\/._\-@:=&?,;|+])(?=\S)")
_LONG_RUN = re.compile(rf"[^\s{ZERO_WIDTH_SPACE}]{{{LONG_RUN},}}")


def breakable(text: str) -> str:
    """``text`` with break opportunities in long unbroken runs (short words are untouched)."""
    if len(text) < LONG_RUN:
        return text

    def soften(match: re.Match[str]) -> str:
        run = _BREAK_AFTER.sub(lambda m: m.group(1) + ZERO_WIDTH_SPACE, match.group(0))
        pieces = run.split(ZERO_WIDTH_SPACE)
        return ZERO_WIDTH_SPACE.join(_chop(piece) for piece in pieces)

    return _LONG_RUN.sub(soften, text)


def _chop(piece: str) -> str:
    if len(piece) <= LONG_RUN:
        return piece
    return ZERO_WIDTH_SPACE.join(piece[i : i + LONG_RUN] for i in range(0, len(piece), LONG_RUN))
