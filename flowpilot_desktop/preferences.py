"""Team preferences (account_settings) over the database, for the settings service."""

from __future__ import annotations

from typing import Any, Protocol

from storage.database import Database
from storage.repositories.account_settings import get_preferences, merge_preferences

# A desktop install is one account; a shared (PostgreSQL) database is one team.
DEFAULT_ACCOUNT_ID = "default"


class PreferencesGateway(Protocol):
    """The team's preferences (account_settings), read and merged key by key."""

    async def get_preferences(self) -> dict[str, Any]: ...

    async def merge_preferences(self, patch: dict[str, Any]) -> dict[str, Any]: ...


class DatabasePreferences:
    """Reads and merges the account's preferences through the unit-of-work thread."""

    def __init__(self, database: Database, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self._database = database
        self._account_id = account_id

    async def get_preferences(self) -> dict[str, Any]:
        return await self._database.run(lambda s: get_preferences(s, self._account_id))

    async def merge_preferences(self, patch: dict[str, Any]) -> dict[str, Any]:
        return await self._database.run(lambda s: merge_preferences(s, self._account_id, patch))
