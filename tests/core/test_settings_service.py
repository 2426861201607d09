"""The settings service behind the dialog: load what is there, save all or nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from flowpilot_desktop.config import AppConfig, ConfigError, ConfigStore
from flowpilot_desktop.credentials import CredentialError, CredentialStore, SecretName
from flowpilot_desktop.model_tiers import HAIKU, ModelTiers
from flowpilot_desktop.preferences import DatabasePreferences
from flowpilot_desktop.settings_service import SettingsService, SettingsUpdate
from storage.database import Database
from tests.fakes_keyring import FailingKeyring, MemoryKeyring

SECRET = "cw-private-key-0123456789"


@pytest.fixture
def database(engine):
    db = Database(engine)
    yield db
    db.close()


def _service(tmp_path: Path, database: Database, backend: Any) -> SettingsService:
    return SettingsService(
        ConfigStore(tmp_path / "settings.json"),
        CredentialStore(backend),
        DatabasePreferences(database),
    )


def test_save_then_load(tmp_path: Path, database: Database) -> None:
    service = _service(tmp_path, database, MemoryKeyring())
    update = SettingsUpdate(
        config=AppConfig(cw_site="api-eu.myconnectwise.net", cw_company_id="acme"),
        tiers=ModelTiers(chat="claude-opus-5-5"),
        secrets={SecretName.CW_PRIVATE_KEY: SECRET},
    )

    async def scenario():
        await service.save(update)
        return await service.load()

    snapshot = asyncio.run(scenario())
    assert snapshot.config.cw_site == "api-eu.myconnectwise.net"
    assert snapshot.tiers.chat == "claude-opus-5-5" and snapshot.tiers.fact_synthesis == HAIKU
    assert snapshot.secrets_present[SecretName.CW_PRIVATE_KEY]
    assert not snapshot.secrets_present[SecretName.ANTHROPIC_API_KEY]
    assert snapshot.keyring.available
    assert SECRET not in (tmp_path / "settings.json").read_text(encoding="utf-8")


def test_tiers_merge_into_team_preferences_without_dropping_other_keys(
    tmp_path: Path, database: Database
) -> None:
    service = _service(tmp_path, database, MemoryKeyring())
    preferences = DatabasePreferences(database)

    async def scenario():
        await preferences.merge_preferences({"cw_resolved_status_id": 42})
        await service.save(SettingsUpdate(AppConfig(), ModelTiers(), {}))
        return await preferences.get_preferences()

    stored = asyncio.run(scenario())
    assert stored["cw_resolved_status_id"] == 42 and stored["model_tiers"]["chat"]


def test_invalid_config_writes_nothing(tmp_path: Path, database: Database) -> None:
    backend = MemoryKeyring()
    service = _service(tmp_path, database, backend)
    update = SettingsUpdate(
        AppConfig(anthropic_base_url="nope"), ModelTiers(), {SecretName.CW_PRIVATE_KEY: SECRET}
    )
    with pytest.raises(ConfigError):
        asyncio.run(service.save(update))
    assert backend.passwords == {} and not (tmp_path / "settings.json").exists()


def test_keyring_failure_is_reported_and_the_config_is_not_half_written(
    tmp_path: Path, database: Database
) -> None:
    service = _service(tmp_path, database, FailingKeyring())
    update = SettingsUpdate(
        AppConfig(cw_company_id="acme"), ModelTiers(), {SecretName.CW_PRIVATE_KEY: SECRET}
    )
    with pytest.raises(CredentialError) as raised:
        asyncio.run(service.save(update))
    assert SECRET not in str(raised.value)
    assert not (tmp_path / "settings.json").exists()


def test_run_only_save_without_keyring(tmp_path: Path, database: Database) -> None:
    service = _service(tmp_path, database, FailingKeyring())
    update = SettingsUpdate(
        AppConfig(), ModelTiers(), {SecretName.ANTHROPIC_API_KEY: SECRET}, run_only=True
    )

    async def scenario():
        await service.save(update)
        return await service.load()

    snapshot = asyncio.run(scenario())
    assert not snapshot.keyring.available
    assert snapshot.secrets_present[SecretName.ANTHROPIC_API_KEY]
    assert snapshot.secrets_run_only[SecretName.ANTHROPIC_API_KEY]
    assert service.credentials.get(SecretName.ANTHROPIC_API_KEY) == SECRET
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_clearing_a_secret_removes_it(tmp_path: Path, database: Database) -> None:
    backend = MemoryKeyring()
    service = _service(tmp_path, database, backend)
    service.credentials.set(SecretName.ANTHROPIC_API_KEY, SECRET)
    asyncio.run(
        service.save(
            SettingsUpdate(AppConfig(), ModelTiers(), {SecretName.ANTHROPIC_API_KEY: None})
        )
    )
    assert backend.passwords == {}


def test_model_tiers_ignore_blank_and_foreign_values() -> None:
    tiers = ModelTiers.from_preferences(
        {"model_tiers": {"chat": "  ", "fact_synthesis": 3, "x": "y"}}
    )
    assert tiers == ModelTiers()
    assert ModelTiers.from_preferences({"model_tiers": "broken"}) == ModelTiers()


def test_the_templatize_prompt_is_a_team_preference_turned_back_on_in_settings(
    tmp_path: Path, database: Database
) -> None:
    from flowpilot_desktop.scripts.drafts import DraftService

    service = _service(tmp_path, database, MemoryKeyring())
    drafts = DraftService(database, DatabasePreferences(database), "tech")

    async def scenario():
        assert (await service.load()).templatize_prompt, "on by default"
        await drafts.set_prompt_enabled(False)  # "Don't ask again for this team"
        off = (await service.load()).templatize_prompt
        await service.save(SettingsUpdate(AppConfig(), ModelTiers(), {}))  # untouched
        still_off = (await service.load()).templatize_prompt
        await service.save(SettingsUpdate(AppConfig(), ModelTiers(), {}, templatize_prompt=True))
        return off, still_off, await drafts.prompt_enabled()

    assert asyncio.run(scenario()) == (False, False, True)


def test_the_time_entry_offer_is_the_teams_skip_preference(
    tmp_path: Path, database: Database
) -> None:
    service = _service(tmp_path, database, MemoryKeyring())
    preferences = DatabasePreferences(database)

    async def scenario():
        on = (await service.load()).time_entries
        await service.save(SettingsUpdate(AppConfig(), ModelTiers(), {}, time_entries=False))
        stored = (await preferences.get_preferences()).get("skip_time_entries")
        await service.save(SettingsUpdate(AppConfig(), ModelTiers(), {}))  # untouched
        return on, stored, (await service.load()).time_entries

    assert asyncio.run(scenario()) == (True, True, False)


# ---- Test connection (Anthropic): the typed key against the emulator, through the real SDK

TYPED_KEY = "sk-ant-typed-but-not-saved-0123"


def _check(service: SettingsService, base_url: str, key: str | None = TYPED_KEY):
    from flowpilot_desktop.anthropic_check import AnthropicOverrides

    return asyncio.run(service.test_anthropic(AnthropicOverrides(base_url, key)))


def test_anthropic_test_lists_the_models_and_saves_nothing(
    tmp_path: Path, database: Database, api, caplog
) -> None:
    from tests.anthropic_emulator import DEFAULT_MODELS

    backend = MemoryKeyring()
    service = _service(tmp_path, database, backend)
    with caplog.at_level("DEBUG"):
        check = _check(service, api.base_url + "/")
    assert check.ok and check.kind == "ok"
    assert check.message == "The key works. 7 models available."
    assert check.model_ids == [m.id for m in DEFAULT_MODELS]
    assert check.models[0].display_name == DEFAULT_MODELS[0].display_name
    assert api.model_requests[0].headers["authorization"] == f"Bearer {TYPED_KEY}"
    assert backend.passwords == {} and not (tmp_path / "settings.json").exists()
    assert "model_tiers" not in asyncio.run(DatabasePreferences(database).get_preferences())
    assert TYPED_KEY not in check.message and TYPED_KEY not in caplog.text


def test_anthropic_test_uses_the_stored_key_when_none_is_typed(
    tmp_path: Path, database: Database, api
) -> None:
    service = _service(tmp_path, database, MemoryKeyring())
    service.credentials.set(SecretName.ANTHROPIC_API_KEY, "sk-ant-stored-key-456")
    assert _check(service, api.base_url, key=None).ok
    assert api.model_requests[0].headers["authorization"] == "Bearer sk-ant-stored-key-456"


def test_anthropic_test_follows_the_pages(tmp_path: Path, database: Database, api) -> None:
    from tests.anthropic_emulator import ModelEntry

    api.models = [ModelEntry(f"m-{n:03}", f"M {n}", "2026-01-01T00:00:00Z") for n in range(150)]
    check = _check(_service(tmp_path, database, MemoryKeyring()), api.base_url)
    assert check.message == "The key works. 150 models available."
    assert check.model_ids[-1] == "m-149" and len(api.model_requests) == 2


@pytest.mark.parametrize(
    ("key", "kind", "words"),
    [
        ("sk-ant-bad-key", "auth", "The key was refused (401)"),
        ("sk-ant-no-permission", "permission", "may not list the models (403)"),
    ],
)
def test_anthropic_test_says_why_the_key_is_refused(
    tmp_path: Path, database: Database, api, key: str, kind: str, words: str
) -> None:
    check = _check(_service(tmp_path, database, MemoryKeyring()), api.base_url, key)
    assert not check.ok and check.kind == kind and words in check.message
    assert check.models == () and key not in check.message


def test_anthropic_test_of_an_unreachable_base_url(tmp_path: Path, database: Database) -> None:
    from tests.anthropic_emulator import AnthropicEmulator

    gone = AnthropicEmulator()
    gone.close_unstarted()
    check = _check(_service(tmp_path, database, MemoryKeyring()), gone.base_url)
    host = gone.base_url.removeprefix("http://")
    assert not check.ok and check.kind == "offline"
    assert check.message == (
        f"Can't reach {host}: offline, a proxy in the way, or the API base URL is wrong."
    )


def test_anthropic_test_of_a_slow_or_failing_or_wrong_service(
    tmp_path: Path, database: Database, api
) -> None:
    from tests.anthropic_emulator import ScriptedReply

    service = SettingsService(
        ConfigStore(tmp_path / "settings.json"),
        CredentialStore(MemoryKeyring()),
        DatabasePreferences(database),
        anthropic_timeout_s=0.3,
    )
    api.model_faults.append(ScriptedReply(delay_s=1.0))
    slow = _check(service, api.base_url)
    assert slow.kind == "timeout" and "did not answer within 0.3 s" in slow.message
    api.model_faults.append(ScriptedReply(status=500))
    failing = _check(service, api.base_url)
    assert failing.kind == "server" and "server error (500)" in failing.message
    wrong = _check(service, api.base_url + "/gateway")  # answers 404 to the models list
    assert wrong.kind == "base_url" and "is the API base URL right?" in wrong.message


def test_anthropic_test_without_a_key_or_with_an_unusable_base_url(
    tmp_path: Path, database: Database, api
) -> None:
    service = _service(tmp_path, database, MemoryKeyring())
    assert _check(service, api.base_url, key=None).kind == "no_key"
    typo = _check(service, "gateway.local")
    assert typo.kind == "base_url" and "must start with https://" in typo.message
    assert api.requests == [], "nothing was sent"


def test_anthropic_test_of_a_base_url_that_is_some_web_page(
    tmp_path: Path, database: Database
) -> None:
    """A portal or a proxy's login page answers 200 with HTML: a wrong base URL, said so."""
    import threading
    from http.server import BaseHTTPRequestHandler

    from tests.emulator_server import EmulatorServer

    class Page(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = b"<html><body>Sign in</body></html>"
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = EmulatorServer(Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        host, port = server.server_address[:2]
        service = _service(tmp_path, database, MemoryKeyring())
        check = _check(service, f"http://{host}:{port}")
    finally:
        server.shutdown()
        server.server_close()
    assert not check.ok and check.kind == "base_url"
    assert "not as the Anthropic API does (200): is the API base URL right?" in check.message


def test_anthropic_test_leaves_retired_models_out(tmp_path: Path, database: Database, api) -> None:
    from tests.anthropic_emulator import ModelEntry

    api.models = [
        ModelEntry("claude-new", "New", "2026-01-01T00:00:00Z"),
        ModelEntry(
            "claude-old", "Old", "2025-01-01T00:00:00Z", "deprecated", "2026-01-01T00:00:00Z"
        ),
        ModelEntry(
            "claude-gone", "Gone", "2024-01-01T00:00:00Z", "retired", "2025-01-01T00:00:00Z"
        ),
    ]
    check = _check(_service(tmp_path, database, MemoryKeyring()), api.base_url)
    assert check.model_ids == ["claude-new", "claude-old"]
    assert check.message == "The key works. 2 models available."
