"""Fixtures the service tests share: a ChatService talking to the Anthropic emulator, built
the way the app builds it (credentials in an in-memory keyring, settings in tmp_path)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from flowpilot_desktop.assistant.chat import ChatService
from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.preferences import DatabasePreferences
from storage.database import Database
from tests.anthropic_emulator import AnthropicEmulator
from tests.fakes_keyring import MemoryKeyring

DEFAULT_KEY = "sk-ant-emulator-key-123"

MakeChat = Callable[..., ChatService]


def build_chat(
    db: Database,
    base_url: str,
    folder: Path,
    *,
    key: str | None = DEFAULT_KEY,
    **options: Any,
) -> ChatService:
    """A ChatService for ``db`` whose client talks to ``base_url``; no key when ``key`` is None."""
    credentials = CredentialStore(MemoryKeyring())
    if key:
        credentials.set(SecretName.ANTHROPIC_API_KEY, key)
    store = ConfigStore(folder / "settings.json")
    store.save(AppConfig(anthropic_base_url=base_url))
    return ChatService(
        db, credentials, store, DatabasePreferences(db), folder / "attachments", **options
    )


@pytest.fixture
def make_chat(db: Database, api: AnthropicEmulator, tmp_path: Path) -> MakeChat:
    """``make_chat(key=..., client_factory=..., autosave_interval_s=...)`` → a ChatService."""

    def make(**options: Any) -> ChatService:
        return build_chat(db, api.base_url, tmp_path, **options)

    return make
