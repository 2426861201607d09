"""Settings' "Test connection" for Anthropic: is the key accepted, and which models may it use.

It asks the real API (``GET /v1/models`` through the SDK) with what is typed in Settings, before
anything is saved, so a wrong key or base URL shows up here and not in the middle of a chat.
The SDK is imported only when a test runs (it stays off the start-up path, as in ``llm.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from flowpilot_desktop.config import AppConfig, ConfigError, validate
from flowpilot_desktop.llm import CONNECT_TIMEOUT_S, describe_llm_error
from flowpilot_desktop.logging_setup import MASK, redact, register_secret

if TYPE_CHECKING:
    import httpx2
    from anthropic import AsyncAnthropic

log = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 10.0  # a button press: answer within seconds, not a chat turn's minute
PAGE_SIZE = 100  # models per request, following ``has_more`` for the rest
MAX_PAGES = 20  # a gateway that always says "has more" does not keep the test running
DEFAULT_HOST = "api.anthropic.com"


@dataclass(frozen=True)
class AnthropicOverrides:
    """Unsaved values from the Settings dialog; ``api_key`` None (or "") = the stored key."""

    base_url: str = ""
    api_key: str | None = None


@dataclass(frozen=True)
class ModelOption:
    """A model the key may use, as the API lists it."""

    id: str
    display_name: str


@dataclass(frozen=True)
class AnthropicCheck:
    """What the test found, in a technician's words.

    ``kind``: ok | no_key | base_url, or an ``AssistantFailure.kind`` (auth, permission,
    rate_limited, overloaded, server, offline, timeout, other).
    """

    ok: bool
    message: str
    models: tuple[ModelOption, ...] = ()
    kind: str = "ok"

    @property
    def model_ids(self) -> list[str]:
        return [model.id for model in self.models]


async def check_anthropic(
    api_key: str | None, base_url: str | None, *, timeout_s: float = CHECK_TIMEOUT_S
) -> AnthropicCheck:
    """List the models ``api_key`` may use at ``base_url`` (empty: Anthropic's own API).

    The answers of the outside service (refused, unreachable, slow, failing) come back as a
    failed check with a plain message; anything else is a bug and is raised. The key is never
    in a message or a log line.
    """
    if not api_key:
        return AnthropicCheck(
            False,
            "No API key to test: type it in API key (or save one first).",
            kind="no_key",
        )
    register_secret(api_key)  # from here on the logs mask it, even if it is never saved
    try:
        url = validate(AppConfig(anthropic_base_url=base_url)).anthropic_base_url
    except ConfigError as error:
        return AnthropicCheck(False, str(error), kind="base_url")
    host = urlparse(url).netloc if url else DEFAULT_HOST

    import anthropic
    import httpx2

    client = anthropic.AsyncAnthropic(
        api_key=api_key,
        base_url=url,
        max_retries=0,  # the technician sees the answer and can press again
        timeout=httpx2.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s)),
    )
    try:
        async with client:
            models = await _list_models(client)
    except (anthropic.APIError, httpx2.TransportError, NotTheApiError) as error:
        kind, message = _describe(error, host, timeout_s)
        status = getattr(error, "status_code", None)
        log.warning("Anthropic test connection to %s failed: %s (%s)", host, kind, status)
        return AnthropicCheck(False, _without(api_key, message), kind=kind)
    log.info("Anthropic test connection to %s: %d models", host, len(models))
    count = len(models)
    if count == 0:
        message = "The key works, but it may use no models: check its workspace."
    else:
        message = f"The key works. {count} model{'s' if count != 1 else ''} available."
    return AnthropicCheck(True, message, models)


class NotTheApiError(Exception):
    """The base URL answered 2xx, but not with the Anthropic models list (a portal, a proxy)."""

    def __init__(self, status_code: int) -> None:
        super().__init__(f"not an Anthropic models list ({status_code})")
        self.status_code = status_code


async def _list_models(client: AsyncAnthropic) -> tuple[ModelOption, ...]:
    """Every model the key may use (retired ones left out), newest first, page by page.

    The pages are read as JSON, not as the SDK's typed page: only ``id`` (and the display
    name) matter here, and a new field value (another lifecycle stage) must not fail the test.
    """
    from anthropic import omit

    models: list[ModelOption] = []
    after_id: str | None = None
    for _page in range(MAX_PAGES):
        raw = await client.models.with_raw_response.list(limit=PAGE_SIZE, after_id=after_id or omit)
        page = _page_items(raw.http_response)
        for item in page["data"]:
            if item.get("lifecycle") != "retired":
                name = item.get("display_name")
                models.append(ModelOption(item["id"], name if isinstance(name, str) else ""))
        last_id = page.get("last_id")
        if page.get("has_more") is not True or not isinstance(last_id, str) or last_id == after_id:
            break
        after_id = last_id
    return tuple(models)


def _page_items(response: httpx2.Response) -> dict[str, Any]:
    """The page as a dict whose ``data`` items all have a string ``id``, or NotTheApiError."""
    try:
        page: object = response.json()
    except ValueError:
        raise NotTheApiError(response.status_code) from None
    if not isinstance(page, dict):
        raise NotTheApiError(response.status_code)
    data = page.get("data")
    if not isinstance(data, list) or not all(
        isinstance(item, dict) and isinstance(item.get("id"), str) for item in data
    ):
        raise NotTheApiError(response.status_code)
    return page


def _describe(error: BaseException, host: str, timeout_s: float) -> tuple[str, str]:
    """(kind, message): ``describe_llm_error``'s verdict, worded for Settings, not a chat."""
    if isinstance(error, NotTheApiError):
        return "base_url", _not_the_api(host, error.status_code)
    failure = describe_llm_error(error)
    status = getattr(error, "status_code", None)
    if failure.kind == "auth":
        return failure.kind, (
            "The key was refused (401): it is wrong, revoked, or was not copied whole."
        )
    if failure.kind == "permission":
        return failure.kind, (
            "The key is known but may not list the models (403): check its workspace and "
            "permissions in the Anthropic Console."
        )
    if failure.kind == "timeout":
        return failure.kind, (
            f"{host} did not answer within {timeout_s:g} s: a slow network or proxy, or the "
            "API base URL is wrong."
        )
    if failure.kind == "offline":
        return failure.kind, (
            f"Can't reach {host}: offline, a proxy in the way, or the API base URL is wrong."
        )
    if failure.kind == "server":
        return failure.kind, f"Anthropic had a server error ({status}). Test again in a moment."
    if failure.kind == "overloaded":
        return failure.kind, "Anthropic is overloaded (529). Test again in a moment."
    if status == 404:
        return "base_url", _not_the_api(host, status)
    return failure.kind, failure.message


def _not_the_api(host: str, status: int | None) -> str:
    return (
        f"{host} answered, but not as the Anthropic API does ({status}): is the API base URL "
        "right? Leave it empty for Anthropic's own API."
    )


def _without(api_key: str, message: str) -> str:
    """The message with the key masked: a server may echo what it was sent."""
    return redact(message).replace(api_key, MASK)
