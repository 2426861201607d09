"""Non-secret settings of this machine, kept as JSON in the user config folder.

Secrets never come here: they live in the OS keyring (credentials.py). Stdlib only, so reading
the settings costs nothing at start-up.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from flowpilot_desktop.errors import UserFacingError

log = logging.getLogger(__name__)


class ConfigError(UserFacingError):
    """A setting has a value FlowPilot cannot use; the message says which and why."""


# No event on a reply stream for this long is a stall: well under the 60 s HTTP read timeout,
# and long enough for a slow gateway between two events.
STALL_TIMEOUT_S = 25.0
STALL_TIMEOUT_RANGE_S = (5, 300)


@dataclass
class AppConfig:
    """Per-machine connection settings."""

    database_url: str | None = None  # SQLAlchemy URL; None = the local SQLite file
    anthropic_base_url: str | None = None  # None = Anthropic's own API; set for a gateway
    cw_site: str = ""  # ConnectWise API host, e.g. api-na.myconnectwise.net
    cw_company_id: str = ""
    cw_client_id: str = ""
    cw_member_identifier: str = ""
    # a reply stream silent this long is ended as stalled (Retry asks again)
    reply_stall_timeout_s: float = STALL_TIMEOUT_S


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def normalise(config: AppConfig) -> AppConfig:
    """Trim what was typed; a pasted "https://host/" site becomes "host"; blanks become None.

    ConnectWise is only reached over https, except a site on this machine (a local test
    server or proxy), whose "http://127.0.0.1:port" is kept as typed.
    """
    site = config.cw_site.strip()
    if "://" in site:
        parsed = urlparse(site)
        if parsed.scheme == "http" and parsed.hostname in LOOPBACK_HOSTS:
            site = f"http://{parsed.netloc}"
        else:
            site = parsed.netloc or site.split("://", 1)[1]
    return AppConfig(
        database_url=(config.database_url or "").strip() or None,
        anthropic_base_url=(config.anthropic_base_url or "").strip().rstrip("/") or None,
        cw_site=site.strip().strip("/"),
        cw_company_id=config.cw_company_id.strip(),
        cw_client_id=config.cw_client_id.strip(),
        cw_member_identifier=config.cw_member_identifier.strip(),
        reply_stall_timeout_s=config.reply_stall_timeout_s,
    )


def validate(config: AppConfig) -> AppConfig:
    """The normalised config, or ConfigError naming the first unusable field."""
    config = normalise(config)
    if config.anthropic_base_url is not None:
        parsed = urlparse(config.anthropic_base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ConfigError(
                "The Anthropic API base URL must start with https:// (or http:// for a local "
                f"gateway), like https://api.anthropic.com — got “{config.anthropic_base_url}”."
            )
    site = config.cw_site
    if site and not site.startswith("http://") and ("/" in site or " " in site or "." not in site):
        raise ConfigError(
            "The ConnectWise site is a host name such as api-na.myconnectwise.net "
            f"(no path, no spaces) — got “{config.cw_site}”."
        )
    low, high = STALL_TIMEOUT_RANGE_S
    if not low <= config.reply_stall_timeout_s <= high:
        raise ConfigError(
            f"A reply counts as stalled after {low} to {high} seconds of silence — got "
            f"{config.reply_stall_timeout_s:g}."
        )
    if config.database_url is not None and "://" not in config.database_url:
        raise ConfigError(
            "The database URL must be a SQLAlchemy URL such as "
            "postgresql+psycopg://user@host/flowpilot — or leave it empty for the local file."
        )
    return config


class ConfigStore:
    """Loads and saves AppConfig at ``path``; never loses a file it could not read.

    A problem reading the file is kept in ``load_warning`` until the technician acknowledges
    it: the window says so at start, and later loads (which find no file any more, since the
    unreadable one was kept aside) don't wipe the warning.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.load_warning: str | None = None

    def load(self) -> AppConfig:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return AppConfig()
        except OSError as error:
            self._warn(
                f"FlowPilot could not read its settings file {self.path} ({error.strerror}), "
                "so default settings are in use."
            )
            return AppConfig()
        try:
            parsed = json.loads(data.decode("utf-8"))
            if not isinstance(parsed, dict):
                raise ValueError("not a JSON object")
        except ValueError:  # not UTF-8, not JSON, or not an object
            kept = self._keep_aside()
            self._warn(
                f"The settings file {self.path} could not be read (it is damaged or not "
                "FlowPilot's), so default settings are in use. The old file was kept as "
                f"{kept.name} beside it; your keys in the keyring are untouched."
            )
            log.warning("unreadable settings file moved to %s", kept)
            return AppConfig()
        return _from_mapping(parsed)

    def acknowledge_warning(self) -> None:
        """The technician has read the warning."""
        self.load_warning = None

    def _warn(self, message: str) -> None:
        self.load_warning = message

    def save(self, config: AppConfig) -> None:
        """Write atomically: a crash mid-save leaves the previous file intact."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".settings-", dir=self.path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(asdict(config), stream, indent=2, sort_keys=True)
                stream.write("\n")
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _keep_aside(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.broken-{stamp}")
        os.replace(self.path, target)
        return target


def _from_mapping(data: dict[str, object]) -> AppConfig:
    """Known keys of the right type; anything else falls back to the default."""
    defaults = AppConfig()
    values: dict[str, object] = {}
    for field in fields(AppConfig):
        value = data.get(field.name, getattr(defaults, field.name))
        default = getattr(defaults, field.name)
        if isinstance(default, float):
            number = isinstance(value, int | float) and not isinstance(value, bool)
            values[field.name] = float(value) if number else default  # type: ignore[arg-type]
        elif isinstance(value, str) or (default is None and value is None):
            values[field.name] = value
        else:
            values[field.name] = getattr(defaults, field.name)
    return AppConfig(**values)  # type: ignore[arg-type]
