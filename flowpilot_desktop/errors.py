"""Errors a technician can act on: their message is shown as it is.

Two kinds speak for themselves: our own refusals (``UserFacingError``) and the PSA's known
failures (``psa.errors.PsaError`` with ``expected``). The PSA layer may not import this package,
so ``is_expected`` is where the two meet; anything else is unexpected, and the log has it.
Messages glued from parts use ``join_sentences`` (kept beside the PSA's errors, which need it
too).
"""

from __future__ import annotations

from psa.errors import PsaError, end_sentence, join_sentences

__all__ = ["UserFacingError", "end_sentence", "is_expected", "join_sentences"]


class UserFacingError(Exception):
    """Bad input or a refused action; ``str(error)`` is a complete, plain-language message."""


def is_expected(error: BaseException) -> bool:
    """Whether ``str(error)`` alone tells the technician what happened and what to do, with
    no need to point at the log file."""
    if isinstance(error, UserFacingError):
        return True
    return isinstance(error, PsaError) and error.expected
