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
