"""A chat turn in its own process, for the kill drill: ``python -m tests.core.stream_child
DB BASE_URL SESSION_ID``. Prints "streaming" once the first text arrives, then streams on
until the parent kills it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from flowpilot_desktop.assistant.chat import ChatService
from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.preferences import DatabasePreferences
from storage.database import Database
from storage.engine import create_database_engine
from tests.fakes_keyring import MemoryKeyring


def main() -> None:
    database_file, base_url, session_id = sys.argv[1:4]
    folder = Path(database_file).parent
    database = Database(create_database_engine(f"sqlite:///{database_file}"))
    credentials = CredentialStore(MemoryKeyring())
    credentials.set(SecretName.ANTHROPIC_API_KEY, "sk-ant-kill-drill")
    store = ConfigStore(folder / "settings.json")
    store.save(AppConfig(anthropic_base_url=base_url))
    chat = ChatService(
        database,
        credentials,
        store,
        DatabasePreferences(database),
        folder / "attachments",
        autosave_interval_s=0.05,
    )
    announced = False

    def on_text(_text: str) -> None:
        nonlocal announced
        if not announced:
            announced = True
            print("streaming", flush=True)

    asyncio.run(chat.send(session_id, "Outlook keeps prompting", on_text=on_text))
    print("finished", flush=True)


if __name__ == "__main__":
    main()
