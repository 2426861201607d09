"""The Anthropic client a chat uses: one per key and base URL (one connection pool), built off
the event loop, closed at quit; and the team's model tiers for each call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.llm import create_client
from flowpilot_desktop.model_tiers import ModelTiers
from flowpilot_desktop.preferences import PreferencesGateway

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

# builds the client for the stored key and the configured base URL (tests pass their own)
ClientFactory = Callable[[CredentialStore, AppConfig], "AsyncAnthropic"]


class AssistantClient:
    def __init__(
        self,
        credentials: CredentialStore,
        config_store: ConfigStore,
        preferences: PreferencesGateway,
        client_factory: ClientFactory = create_client,
    ) -> None:
        self._credentials = credentials
        self._config_store = config_store
        self._preferences = preferences
        self.client_factory = client_factory
        self._cached: tuple[tuple[str | None, str | None, int], AsyncAnthropic] | None = None

    async def get(self) -> AsyncAnthropic:
        """One client while the key and the base URL stay the same. Raises MissingApiKeyError
        (no key) or KeyringLockedError before anything is sent."""
        config = self._config_store.load()
        key = await asyncio.to_thread(self._credentials.get, SecretName.ANTHROPIC_API_KEY)
        # A client's connections belong to the event loop they were opened on.
        identity = (key, config.anthropic_base_url, id(asyncio.get_running_loop()))
        if self._cached is not None and self._cached[0] == identity:
            return self._cached[1]
        client = await asyncio.to_thread(self.client_factory, self._credentials, config)
        previous, self._cached = self._cached, (identity, client)
        if previous is not None and previous[0][2] == identity[2]:
            await previous[1].close()
        return client

    async def tiers(self) -> ModelTiers:
        return ModelTiers.from_preferences(await self._preferences.get_preferences())

    async def has_api_key(self) -> bool:
        """Whether a key is set; KeyringLockedError when the keyring is locked."""
        # The keyring may block (D-Bus, an unlock prompt): never on the event loop.
        return await asyncio.to_thread(self._credentials.has, SecretName.ANTHROPIC_API_KEY)

    async def prepare(self) -> None:
        """Import the SDK ahead of the first message (it is heavy, and holds the GIL while it
        loads), so the first reply streams as smoothly as the rest."""
        await asyncio.to_thread(_import_sdk)

    async def aclose(self) -> None:
        """Close the HTTP connections (at quit)."""
        if self._cached is not None:
            client = self._cached[1]
            self._cached = None
            await client.close()


def _import_sdk() -> None:
    import anthropic  # noqa: F401
    import httpx2  # noqa: F401
