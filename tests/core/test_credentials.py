"""Secrets: only the keyring, a run-only fallback when there is none, never crashing."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from flowpilot_desktop.credentials import (
    NO_KEYRING_MESSAGE,
    CredentialError,
    CredentialStore,
    SecretName,
)
from flowpilot_desktop.logging_setup import configure_logging
from tests.fakes_keyring import FailingKeyring, InitError, MemoryKeyring

SECRET = "sk-ant-test-9f8e7d6c5b4a"


def test_secrets_round_trip_through_the_keyring() -> None:
    backend = MemoryKeyring()
    store = CredentialStore(backend)
    assert store.status().available
    assert not store.has(SecretName.ANTHROPIC_API_KEY)
    store.set(SecretName.ANTHROPIC_API_KEY, SECRET)
    assert backend.passwords[("FlowPilot Desktop", "anthropic_api_key")] == SECRET
    assert store.get(SecretName.ANTHROPIC_API_KEY) == SECRET
    store.delete(SecretName.ANTHROPIC_API_KEY)
    store.delete(SecretName.ANTHROPIC_API_KEY)  # deleting what is not there is fine
    assert store.get(SecretName.ANTHROPIC_API_KEY) is None


def test_no_keyring_is_reported_in_plain_words_and_never_raises_on_read() -> None:
    store = CredentialStore(FailingKeyring())
    status = store.status()
    assert not status.available and status.message == NO_KEYRING_MESSAGE
    assert store.get(SecretName.CW_PRIVATE_KEY) is None


def test_locked_keychain_gets_its_own_message() -> None:
    status = CredentialStore(FailingKeyring(InitError)).status()
    assert not status.available and "locked" in status.message


def test_the_fail_backend_counts_as_no_keyring() -> None:
    from keyring.backends import fail

    assert not CredentialStore(fail.Keyring()).status().available


def test_storing_without_a_keyring_fails_without_revealing_the_secret() -> None:
    store = CredentialStore(FailingKeyring())
    with pytest.raises(CredentialError) as raised:
        store.set(SecretName.ANTHROPIC_API_KEY, SECRET)
    assert SECRET not in str(raised.value)
    assert "this run only" in str(raised.value)


def test_run_only_secrets_live_in_memory_and_nowhere_else(tmp_path: Path) -> None:
    store = CredentialStore(FailingKeyring())
    store.set(SecretName.ANTHROPIC_API_KEY, SECRET, run_only=True)
    assert store.get(SecretName.ANTHROPIC_API_KEY) == SECRET
    assert store.is_run_only(SecretName.ANTHROPIC_API_KEY)
    assert CredentialStore(FailingKeyring()).get(SecretName.ANTHROPIC_API_KEY) is None
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes()


def test_a_secret_never_reaches_the_log_file(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "flowpilot.log"
    configure_logging(log_file)
    store = CredentialStore(MemoryKeyring())
    store.set(SecretName.CW_PRIVATE_KEY, SECRET)
    logging.getLogger("test").warning("request failed with key %s", SECRET)
    try:
        raise RuntimeError(f"auth header Bearer {SECRET}")
    except RuntimeError:
        logging.getLogger("test").exception("boom")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")
    for handler in list(logging.getLogger().handlers):
        if getattr(handler, "_flowpilot", False):
            logging.getLogger().removeHandler(handler)
            handler.close()
    assert SECRET not in text
    assert "request failed with key •••" in text and "Bearer •••" in text


def test_a_locked_keyring_says_locked_and_how_to_unlock_not_no_key() -> None:
    """Reading a secret from a locked keyring raises KeyringLockedError (the chat then says the
    keyring is locked) instead of returning None (which read as "no API key set")."""
    from keyring.errors import KeyringLocked

    from flowpilot_desktop.credentials import KeyringLockedError

    store = CredentialStore(FailingKeyring(KeyringLocked))
    with pytest.raises(KeyringLockedError, match="locked") as raised:
        store.get(SecretName.ANTHROPIC_API_KEY)
    assert "Unlock" in str(raised.value)
    status = store.status()
    assert not status.available and "locked" in status.message and "Unlock" in status.message
    assert "No system keyring" not in status.message
