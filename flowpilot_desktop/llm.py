"""The one place that builds the Anthropic client, and what its errors mean to a technician.

The SDK (anthropic 2.x on httpx2) is imported only here and only when first needed, so it
stays off the start-up path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flowpilot_desktop.config import AppConfig
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.errors import UserFacingError

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

REQUEST_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 5.0
MAX_RETRIES = 2


class MissingApiKeyError(UserFacingError):
    """No Anthropic API key: the assistant can't answer, everything else still works."""

    def __init__(self) -> None:
        super().__init__(
            "No Anthropic API key is set. Add it in Settings (Ctrl+,) to talk to the assistant; "
            "everything else in FlowPilot works without it."
        )


def create_client(credentials: CredentialStore, config: AppConfig) -> AsyncAnthropic:
    """An AsyncAnthropic for the key in the keyring and the configured base URL (a gateway)."""
    key = credentials.get(SecretName.ANTHROPIC_API_KEY)
    if not key:
        raise MissingApiKeyError()
    import httpx2
    from anthropic import AsyncAnthropic

    return AsyncAnthropic(
        api_key=key,
        base_url=config.anthropic_base_url or None,
        max_retries=MAX_RETRIES,
        timeout=httpx2.Timeout(REQUEST_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
    )


class ReplyStalledError(Exception):
    """The reply stream sent nothing for ``seconds`` while its connection stayed open: a
    stalled upstream, told apart from a connection that closed."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no data on the reply stream for {seconds:g} s")
        self.seconds = seconds


@dataclass(frozen=True)
class AssistantFailure:
    """An LLM failure in a technician's words, and whether Retry makes sense now."""

    # no_key | auth | permission | rate_limited | overloaded | server | offline | timeout |
    # stalled | stream | other
    kind: str
    message: str
    retryable: bool
    retry_after_s: float | None = None


def describe_llm_error(error: BaseException, *, text_arrived: bool = False) -> AssistantFailure:
    """Map an SDK exception to what the chat shows inline. ``text_arrived``: some of the reply
    was shown (and is kept); a message never promises a partial reply that isn't there."""
    import anthropic
    import httpx2

    if isinstance(error, MissingApiKeyError):
        return AssistantFailure("no_key", str(error), retryable=False)
    if isinstance(error, anthropic.AuthenticationError):
        return AssistantFailure(
            "auth",
            "The Anthropic API key was refused (401). Check it in Settings (Ctrl+,).",
            retryable=False,
        )
    if isinstance(error, anthropic.PermissionDeniedError):
        return AssistantFailure(
            "permission",
            "This API key may not use this model or feature (403). Check the key's workspace "
            "or pick another model in Settings.",
            retryable=False,
        )
    if isinstance(error, anthropic.RateLimitError):
        wait = _retry_after(error)
        when = f" Try again in {wait:.0f} s." if wait else " Try again in a moment."
        return AssistantFailure(
            "rate_limited", "Rate limited by Anthropic (429)." + when, True, wait
        )
    kept = _partial(text_arrived)
    if isinstance(error, ReplyStalledError | httpx2.ReadTimeout):
        # httpx2's read timeout mid-stream (the SDK wraps it only before the stream) is the
        # same silence, noticed by the HTTP client first
        seconds = error.seconds if isinstance(error, ReplyStalledError) else _read_timeout(error)
        return AssistantFailure(
            "stalled",
            f"No data from the assistant for {seconds:g} s: the reply stalled. {kept}"
            "Retry to ask again.",
            True,
        )
    if isinstance(error, anthropic.APIStatusError) and (
        error.status_code == 529 or getattr(error, "type", None) == "overloaded_error"
    ):
        where = " mid-reply" if error.status_code == 200 and text_arrived else ""
        return AssistantFailure(
            "overloaded", f"Anthropic is overloaded{where} (529). {kept}Retry in a moment.", True
        )
    if isinstance(error, anthropic.APIStatusError) and error.status_code == 200:
        kind = getattr(error, "type", None) or "error"
        what = "broke off" if text_arrived else "failed before any text arrived"
        return AssistantFailure(
            "stream",
            f"The reply {what} with an error from Anthropic ({kind}). {kept}Retry in a moment.",
            True,
        )
    if isinstance(error, anthropic.APIStatusError) and error.status_code >= 500:
        return AssistantFailure(
            "server",
            f"Anthropic had a server error ({error.status_code}). Retry in a moment.",
            True,
        )
    if isinstance(error, anthropic.APITimeoutError):
        return AssistantFailure("timeout", "Anthropic did not answer in time. Retry?", True)
    if isinstance(error, anthropic.APIConnectionError):
        return AssistantFailure(
            "offline",
            "Can't reach Anthropic: offline, a proxy, or the base URL in Settings is wrong. "
            "The conversation is kept; Retry when the connection is back.",
            True,
        )
    if isinstance(error, httpx2.TransportError):  # the SDK lets these through mid-stream
        where = "mid-reply" if text_arrived else "before any text of the reply arrived"
        return AssistantFailure(
            "offline",
            f"The connection to Anthropic dropped {where}. {kept}Retry when the connection is "
            "back.",
            True,
        )
    if isinstance(error, anthropic.APIStatusError):
        return AssistantFailure(
            "other", f"Anthropic refused the request ({error.status_code}): {error.message}", False
        )
    return AssistantFailure("other", f"The assistant failed: {type(error).__name__}.", True)


def _partial(text_arrived: bool) -> str:
    """The sentence about the partial reply: only when there is one."""
    return "The partial reply is kept; " if text_arrived else ""


def _read_timeout(error: BaseException) -> float:
    """The read timeout the request ran with (the client's, or a per-request one)."""
    try:
        timeout = error.request.extensions["timeout"]["read"]  # type: ignore[attr-defined]
    except (AttributeError, KeyError, RuntimeError, TypeError):
        return REQUEST_TIMEOUT_S
    return float(timeout) if isinstance(timeout, int | float) else REQUEST_TIMEOUT_S


def _retry_after(error: BaseException) -> float | None:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return float(value) * scale
            except ValueError:
                continue
    return None
