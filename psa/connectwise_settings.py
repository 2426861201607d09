"""Where and who for ConnectWise Manage, without the HTTP client: what Settings, the ticket link
and the start-up path need (importing the client's httpx2 stack is left to the first call)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from psa.errors import PsaConfigError


@dataclass(frozen=True)
class ConnectWiseSettings:
    """Where and who. ``site_url`` is ``https://host`` (``http://`` only for a local test)."""

    site_url: str
    company_id: str
    public_key: str = field(repr=False)
    private_key: str = field(repr=False)
    client_id: str
    member_identifier: str = ""


class WorkingSettings:
    """The ConnectWise settings that answered a signed call at least once in this run.

    Clients are built per piece of work and thrown away, but "has this configuration ever
    worked?" decides whether a 404 may mean wrong settings, so it is kept here (by whoever
    builds the clients). It holds only hashes keyed with a random key made for this run, in
    memory: never the keys themselves.
    """

    def __init__(self) -> None:
        self._salt = secrets.token_bytes(32)
        self._seen: set[str] = set()

    def add(self, settings: ConnectWiseSettings) -> None:
        self._seen.add(self._fingerprint(settings))

    def __contains__(self, settings: object) -> bool:
        return (
            isinstance(settings, ConnectWiseSettings) and self._fingerprint(settings) in self._seen
        )

    def _fingerprint(self, settings: ConnectWiseSettings) -> str:
        # what decides where a call goes and who signs it (the member identifier does not)
        parts = (
            site_url(settings.site_url).lower(),
            settings.company_id.strip().lower(),
            settings.public_key,
            settings.private_key,
            settings.client_id.strip(),
        )
        message = "\0".join(parts).encode()
        return hmac.new(self._salt, message, hashlib.sha256).hexdigest()


def check_settings(settings: ConnectWiseSettings) -> ConnectWiseSettings:
    """The settings, or PsaConfigError naming every missing one."""
    missing = [
        label
        for label, value in (
            ("site", settings.site_url),
            ("company id", settings.company_id),
            ("public key", settings.public_key),
            ("private key", settings.private_key),
            ("client id", settings.client_id),
        )
        if not value.strip()
    ]
    if missing:
        raise PsaConfigError(
            "ConnectWise is not set up: add the " + ", ".join(missing) + " in Settings."
        )
    return settings


def site_url(site: str) -> str:
    """The base URL for a configured site: https unless a full http(s) URL was given."""
    site = site.strip().rstrip("/")
    return site if site.startswith(("http://", "https://")) else f"https://{site}"


def ticket_web_url(site: str, company_id: str, ticket_id: int) -> str:
    """The ticket in ConnectWise's web UI (the API host without its "api-" prefix; the
    v4_6_release path redirects to the company's codebase)."""
    base = site_url(site)
    scheme, _, host = base.partition("://")
    host = host.removeprefix("api-")
    return (
        f"{scheme}://{host}/v4_6_release/services/system_io/Service/fv_sr100_request.rails"
        f"?service_recid={int(ticket_id)}&companyName={company_id}"
    )
