"""What can go wrong talking to a PSA, in words a technician can act on.

The message is always plain and never holds a secret; `retryable` says whether trying the same
call later may work (rate limits, outages, timeouts), as opposed to bad credentials or input;
`expected` whether the message alone is enough (False only for answers FlowPilot can't place).
Messages glued from parts (ours and ConnectWise's) go through `join_sentences`.
"""

from __future__ import annotations

_SENTENCE_ENDS = (".", "!", "?", "…")
_CLOSERS = "\"'”’»)]"


def end_sentence(text: str) -> str:
    """``text`` ending with a full stop, unless it already ends a sentence (``.`` ``!`` ``?``
    or ``…``, also inside closing quotes or brackets). ConnectWise's words often end bare."""
    text = text.strip()
    if not text or text.rstrip(_CLOSERS).endswith(_SENTENCE_ENDS):
        return text
    return text + "."


def join_sentences(*parts: str) -> str:
    """Parts of a message as sentences, one space apart; empty parts are left out."""
    return " ".join(end_sentence(part) for part in parts if part.strip())


class PsaError(Exception):
    """A PSA call failed; ``str(error)`` is the message to show."""

    retryable = False
    expected = True
    """A known kind of failure whose message says all the technician needs (no log hunt)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PsaConfigError(PsaError):
    """Not configured, or configured wrongly (unknown company id, wrong site)."""


class PsaAuthError(PsaError):
    """Credentials refused (401) or not allowed (403)."""


class PsaNotFoundError(PsaError):
    """No such ticket (or, on first use, possibly a wrong site or credentials)."""


class PsaRejectedError(PsaError):
    """The PSA refused the input (400): e.g. a status not valid for the ticket's board."""


class PsaUnavailableError(PsaError):
    """Rate limited, down, or unreachable even after retries: try again later."""

    retryable = True


class PsaAmbiguousError(PsaUnavailableError):
    """A write may or may not have been stored (the connection broke after sending).

    Before writing again, read back whether it arrived."""


class PsaUnexpectedError(PsaError):
    """ConnectWise answered in a way FlowPilot does not know (an unreadable body, an unusual
    status): a bug or a change on their side, so the details in the log matter."""

    expected = False


class StatusNotAppliedError(PsaError):
    """The PSA answered 200 but the ticket kept another status (the "false 200")."""

    def __init__(self, message: str, *, kept_status: str, wanted_status: str) -> None:
        super().__init__(message)
        self.kept_status = kept_status
        self.wanted_status = wanted_status
