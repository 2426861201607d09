"""The configured PSA, opened for one piece of work.

Settings can change while the app runs, so a provider is built from the current settings and
keyring secrets each time it is needed and closed afterwards. Settings' "Test connection" and
the status pickers use what is typed in the dialog before it is saved (``PsaOverrides``).
Which settings have worked outlives those providers (``WorkingSettings``): a 404 blames the
settings only while they never answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from flowpilot_desktop.config import AppConfig, ConfigStore, normalise
from flowpilot_desktop.credentials import CredentialStore, SecretName
from psa.connectwise_settings import (
    ConnectWiseSettings,
    WorkingSettings,
    check_settings,
    ticket_web_url,
)
from psa.errors import PsaConfigError
from psa.provider import BoardOption, PsaProvider, StatusOption

__all__ = ["BoardOption", "PsaAccess", "PsaConfigError", "PsaOverrides", "StatusOption"]

ProviderFactory = Callable[[ConnectWiseSettings], PsaProvider]


def connectwise_provider(
    settings: ConnectWiseSettings, worked: WorkingSettings | None = None
) -> PsaProvider:
    # imported on first use: the HTTP stack (httpx2) is not start-up work
    from psa.connectwise import ConnectWiseClient, ConnectWiseProvider

    return ConnectWiseProvider(ConnectWiseClient(settings, worked=worked))


@dataclass(frozen=True)
class PsaOverrides:
    """Unsaved values from the Settings dialog; a secret left None means "the stored one"."""

    config: AppConfig
    public_key: str | None = None
    private_key: str | None = None


class PsaAccess:
    def __init__(
        self,
        config_store: ConfigStore,
        credentials: CredentialStore,
        factory: ProviderFactory | None = None,
    ) -> None:
        """``factory``: how a provider is built (tests); by default a ConnectWise client that
        shares this access's record of the settings that worked."""
        self._config_store = config_store
        self._credentials = credentials
        self._worked = WorkingSettings()
        self._factory: ProviderFactory = factory or self._connectwise

    async def settings(self, overrides: PsaOverrides | None = None) -> ConnectWiseSettings:
        # keyring reads can block (D-Bus, an unlock prompt): not on the event loop
        return await asyncio.to_thread(self._settings, overrides)

    @asynccontextmanager
    async def open(self, overrides: PsaOverrides | None = None) -> AsyncIterator[PsaProvider]:
        """A provider for the current settings; PsaConfigError names what is missing."""
        settings = check_settings(await self.settings(overrides))
        provider = self._factory(settings)
        try:
            yield provider
        finally:
            await provider.aclose()

    async def test_connection(self, overrides: PsaOverrides | None = None) -> str:
        async with self.open(overrides) as provider:
            return await provider.test_connection()

    async def boards(self, overrides: PsaOverrides | None = None) -> list[BoardOption]:
        async with self.open(overrides) as provider:
            return await provider.boards()

    async def board_statuses(
        self, board_id: int, overrides: PsaOverrides | None = None
    ) -> list[StatusOption]:
        async with self.open(overrides) as provider:
            return await provider.board_statuses(board_id)

    def _connectwise(self, settings: ConnectWiseSettings) -> PsaProvider:
        return connectwise_provider(settings, self._worked)

    def _settings(self, overrides: PsaOverrides | None) -> ConnectWiseSettings:
        config = normalise(overrides.config if overrides else self._config_store.load())
        public = overrides.public_key if overrides else None
        private = overrides.private_key if overrides else None
        return ConnectWiseSettings(
            site_url=config.cw_site,
            company_id=config.cw_company_id,
            public_key=public or self._credentials.get(SecretName.CW_PUBLIC_KEY) or "",
            private_key=private or self._credentials.get(SecretName.CW_PRIVATE_KEY) or "",
            client_id=config.cw_client_id,
            member_identifier=config.cw_member_identifier,
        )

    def ticket_url(self, ticket_ref: str) -> str:
        """Where the ticket opens in ConnectWise's web UI."""
        config = normalise(self._config_store.load())
        if not config.cw_site:
            raise PsaConfigError("Set the ConnectWise site in Settings to open tickets.")
        return ticket_web_url(config.cw_site, config.cw_company_id, int(ticket_ref))
