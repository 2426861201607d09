"""The kill drill's worker: ``python -m tests.core.stream_child SEED BASE_URL DB:SESSION ...``.

Imports everything once, then for each database forks a process that runs one chat turn
against the emulator at BASE_URL, waits until the reply is streaming, and SIGKILLs it at a
random moment. Prints "done" when every run was killed (or finished)."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from pathlib import Path

import anthropic  # noqa: F401 - imported once here, not in every forked run
import httpx2  # noqa: F401

from flowpilot_desktop.assistant.chat import ChatService
from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.preferences import DatabasePreferences
from storage.database import Database
from storage.engine import create_database_engine
from tests.fakes_keyring import MemoryKeyring


def run_turn(database_file: str, base_url: str, session_id: str, ready: int) -> None:
    """In the forked child: one turn, telling the parent (through ``ready``) once it streams."""
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
    told = False

    def on_text(_text: str) -> None:
        nonlocal told
        if not told:
            told = True
            os.write(ready, b"s")

    asyncio.run(chat.send(session_id, "Outlook keeps prompting", on_text=on_text))
    os.write(ready, b"f")


def main() -> None:
    rng = random.Random(int(sys.argv[1]))
    base_url = sys.argv[2]
    for target in sys.argv[3:]:
        database_file, session_id = target.rsplit(":", 1)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            try:
                run_turn(database_file, base_url, session_id, write_end)
            finally:
                os._exit(0)
        os.close(write_end)
        started = os.read(read_end, 1)
        if started == b"s":
            time.sleep(rng.uniform(0.0, 0.4))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_end)
    print("done", flush=True)


if __name__ == "__main__":
    main()
