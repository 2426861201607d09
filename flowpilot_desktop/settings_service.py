"""Settings as the Settings dialog sees them: machine config, team model tiers, and which
secrets are stored (never their values)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from flowpilot_desktop.anthropic_check import (
    CHECK_TIMEOUT_S,
    AnthropicCheck,
    AnthropicOverrides,
    check_anthropic,
)
from flowpilot_desktop.conclusion.targets import StatusChoices
from flowpilot_desktop.config import AppConfig, ConfigStore, validate
from flowpilot_desktop.credentials import (
    CredentialStore,
    KeyringLockedError,
    KeyringStatus,
    SecretName,
)
from flowpilot_desktop.model_tiers import ModelTiers
from flowpilot_desktop.preferences import PreferencesGateway
from flowpilot_desktop.scripts.drafts import TEMPLATIZE_PROMPT
from flowpilot_desktop.time_entries import SKIP_PREFERENCE as SKIP_TIME_ENTRIES


@dataclass(frozen=True)
class SettingsSnapshot:
    config: AppConfig
    tiers: ModelTiers
    secrets_present: dict[SecretName, bool]
    secrets_run_only: dict[SecretName, bool]
    keyring: KeyringStatus
    config_warning: str | None = None
    statuses: StatusChoices = field(default_factory=StatusChoices)
    templatize_prompt: bool = True  # offer the session's scripts as templates after Resolve
    time_entries: bool = True  # offer a ConnectWise time entry on Resolve and Escalate


@dataclass(frozen=True)
class SettingsUpdate:
    """What Save asks for. ``secrets``: a name absent = unchanged, "" or None = remove it."""

    config: AppConfig
    tiers: ModelTiers
    secrets: dict[SecretName, str | None]
    run_only: bool = False
    statuses: StatusChoices | None = None  # None = unchanged
    templatize_prompt: bool | None = None  # None = unchanged
    time_entries: bool | None = None  # None = unchanged


class SettingsService:
    def __init__(
        self,
        config_store: ConfigStore,
        credentials: CredentialStore,
        preferences: PreferencesGateway,
        *,
        anthropic_timeout_s: float = CHECK_TIMEOUT_S,
    ) -> None:
        self._config_store = config_store
        self.credentials = credentials
        self._preferences = preferences
        self._anthropic_timeout_s = anthropic_timeout_s

    @property
    def settings_file_warning(self) -> str | None:
        """Why the settings file could not be read at start (None: it was fine), until the
        technician acknowledges it."""
        return self._config_store.load_warning

    def acknowledge_settings_file_warning(self) -> None:
        self._config_store.acknowledge_warning()

    async def load(self) -> SettingsSnapshot:
        # Keyring calls can block (D-Bus, unlock prompts): keep them off the event loop.
        keyring_status, present, run_only = await asyncio.to_thread(self._secret_state)
        preferences = await self._preferences.get_preferences()
        config = self._config_store.load()
        return SettingsSnapshot(
            config=config,
            tiers=ModelTiers.from_preferences(preferences),
            secrets_present=present,
            secrets_run_only=run_only,
            keyring=keyring_status,
            config_warning=self._config_store.load_warning,
            statuses=StatusChoices.from_preferences(preferences),
            templatize_prompt=preferences.get(TEMPLATIZE_PROMPT, True) is not False,
            time_entries=preferences.get(SKIP_TIME_ENTRIES) is not True,
        )

    async def save(self, update: SettingsUpdate) -> None:
        """Validate everything first, then write secrets, config and tiers.

        Raises ConfigError (nothing written) or CredentialError (the config is not written
        either, so a failed save can be retried as it is).
        """
        config = validate(update.config)
        await asyncio.to_thread(self._write_secrets, update.secrets, update.run_only)
        self._config_store.save(config)
        patch = update.tiers.to_preferences()
        if update.statuses is not None:
            patch.update(update.statuses.to_preferences())
        if update.templatize_prompt is not None:
            patch[TEMPLATIZE_PROMPT] = update.templatize_prompt
        if update.time_entries is not None:
            patch[SKIP_TIME_ENTRIES] = not update.time_entries
        await self._preferences.merge_preferences(patch)

    async def test_anthropic(self, overrides: AnthropicOverrides) -> AnthropicCheck:
        """Test connection with what is typed (the stored key if none is): does the key work,
        and which models may it use. Writes nothing; a locked keyring raises its own error."""
        key = overrides.api_key or await asyncio.to_thread(
            self.credentials.get, SecretName.ANTHROPIC_API_KEY
        )
        return await check_anthropic(key, overrides.base_url, timeout_s=self._anthropic_timeout_s)

    def _secret_state(
        self,
    ) -> tuple[KeyringStatus, dict[SecretName, bool], dict[SecretName, bool]]:
        status = self.credentials.status()
        # A locked keyring: the status says so; whether a key is there is unknown (shown unset).
        present = {name: self._has(name) for name in SecretName}
        run_only = {name: self.credentials.is_run_only(name) for name in SecretName}
        return status, present, run_only

    def _has(self, name: SecretName) -> bool:
        try:
            return self.credentials.has(name)
        except KeyringLockedError:
            return False

    def _write_secrets(self, secrets: dict[SecretName, str | None], run_only: bool) -> None:
        for name, value in secrets.items():
            if value:
                self.credentials.set(name, value, run_only=run_only)
            else:
                self.credentials.delete(name)
