"""Machine settings file: round trip, validation messages, a broken file never lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowpilot_desktop.config import AppConfig, ConfigError, ConfigStore, validate


def test_round_trip(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "config" / "settings.json")
    assert store.load() == AppConfig()
    config = AppConfig(cw_site="api-na.myconnectwise.net", cw_company_id="acme", cw_client_id="c1")
    store.save(config)
    assert ConfigStore(store.path).load() == config
    assert not list(store.path.parent.glob(".settings-*")), "no temporary file is left behind"


def test_corrupt_file_is_kept_aside_and_defaults_load(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json", encoding="utf-8")
    store = ConfigStore(path)
    assert store.load() == AppConfig()
    assert store.load_warning and "kept as settings.json.broken-" in store.load_warning
    kept = list(tmp_path.glob("settings.json.broken-*"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == "{not json"


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe{\x00\x00garbage", '{"cw_site": "caf\u00e9"}'.encode("latin-1"), b"[1, 2]"],
)
def test_a_non_utf8_or_garbage_file_is_kept_aside_and_the_warning_stays(
    tmp_path: Path, content: bytes
) -> None:
    """Not UTF-8 used to stop the app with a message blaming the database; a second load (the
    file is gone then) used to wipe the warning before anyone saw it."""
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    store = ConfigStore(path)
    assert store.load() == AppConfig()
    warning = store.load_warning
    assert warning and str(path) in warning and "kept as settings.json.broken-" in warning
    assert store.load() == AppConfig() and store.load_warning == warning, "until acknowledged"
    store.acknowledge_warning()
    assert store.load_warning is None
    (kept,) = tmp_path.glob("settings.json.broken-*")
    assert kept.read_bytes() == content


def test_wrong_types_and_unknown_keys_fall_back_per_field(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"cw_site": 42, "cw_company_id": "acme", "extra": 1}), encoding="utf-8"
    )
    assert ConfigStore(path).load() == AppConfig(cw_company_id="acme")


def test_pasted_site_url_is_reduced_to_the_host() -> None:
    config = validate(AppConfig(cw_site=" https://api-na.myconnectwise.net/ "))
    assert config.cw_site == "api-na.myconnectwise.net"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (AppConfig(anthropic_base_url="api.anthropic.com"), "must start with https://"),
        (AppConfig(anthropic_base_url="ftp://gateway"), "must start with https://"),
        (AppConfig(cw_site="my site"), "host name"),
        (AppConfig(database_url="flowpilot.db"), "SQLAlchemy URL"),
        (AppConfig(reply_stall_timeout_s=1), "5 to 300 seconds"),
        (AppConfig(reply_stall_timeout_s=3600), "got 3600"),
    ],
)
def test_unusable_values_are_refused_with_a_clear_message(config, message) -> None:
    with pytest.raises(ConfigError, match=message):
        validate(config)


def test_gateway_url_is_accepted_without_trailing_slash() -> None:
    config = validate(AppConfig(anthropic_base_url="http://127.0.0.1:8080/"))
    assert config.anthropic_base_url == "http://127.0.0.1:8080"


def test_a_loopback_site_keeps_http() -> None:
    """A local test server or proxy: http://127.0.0.1:port is kept; anything else is https."""
    assert validate(AppConfig(cw_site="http://127.0.0.1:8123/")).cw_site == "http://127.0.0.1:8123"
    assert validate(AppConfig(cw_site="http://localhost:81")).cw_site == "http://localhost:81"
    assert (
        validate(AppConfig(cw_site="http://eu.myconnectwise.net")).cw_site == "eu.myconnectwise.net"
    )


def test_the_stall_timeout_is_kept_as_a_number(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "settings.json")
    store.save(AppConfig(reply_stall_timeout_s=40))
    assert ConfigStore(store.path).load().reply_stall_timeout_s == 40.0
    store.path.write_text(json.dumps({"reply_stall_timeout_s": "soon"}), encoding="utf-8")
    assert ConfigStore(store.path).load().reply_stall_timeout_s == 25.0, "wrong type: default"
    store.path.write_text(json.dumps({"reply_stall_timeout_s": True}), encoding="utf-8")
    assert ConfigStore(store.path).load().reply_stall_timeout_s == 25.0
