"""Secrets (Anthropic API key, ConnectWise keys) in the OS keyring, and nowhere else.

When no keyring is usable (headless Linux without Secret Service, a locked keychain) secrets
can be kept in this process's memory for this run only; they are never written to a file.
keyring is imported lazily: its backend discovery stays off the start-up path.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from flowpilot_desktop import APP_NAME
from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.logging_setup import register_secret

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)


class SecretName(StrEnum):
    ANTHROPIC_API_KEY = "anthropic_api_key"
    CW_PUBLIC_KEY = "cw_public_key"
    CW_PRIVATE_KEY = "cw_private_key"


SECRET_LABELS = {
    SecretName.ANTHROPIC_API_KEY: "Anthropic API key",
    SecretName.CW_PUBLIC_KEY: "ConnectWise public key",
    SecretName.CW_PRIVATE_KEY: "ConnectWise private key",
}

NO_KEYRING_MESSAGE = (
    "No system keyring is available (on Linux this usually means no Secret Service such as "
    "GNOME Keyring or KeePassXC is running). FlowPilot can keep secrets for this run only: "
    "they stay in memory and are forgotten when FlowPilot closes. Nothing is written to disk."
)


class CredentialError(UserFacingError):
    """A secret could not be stored or removed; the message never contains the secret."""


class KeyringLockedError(CredentialError):
    """The keyring exists but is locked (or its unlock prompt was dismissed): the secret is
    there, FlowPilot just can't read it until the technician unlocks it."""

    def __init__(self) -> None:
        super().__init__(LOCKED_MESSAGE)


LOCKED_MESSAGE = "The system keyring is locked, so FlowPilot can't read its keys. " + (
    "Unlock the login keychain (Keychain Access, or log in again), then try again."
    if sys.platform == "darwin"
    else "Unlock it (GNOME: the \u201cLogin\u201d keyring in Passwords and Keys; KeePassXC: "
    "unlock the database with Secret Service integration on), then try again."
)


@dataclass(frozen=True)
class KeyringStatus:
    available: bool
    backend_name: str
    message: str


class CredentialStore:
    """Get, set and delete the app's secrets in the keyring, with a run-only fallback."""

    def __init__(self, backend: KeyringBackend | None = None, service: str = APP_NAME) -> None:
        self._backend = backend
        self._service = service
        self._run_only: dict[SecretName, str] = {}

    def status(self) -> KeyringStatus:
        """Whether the keyring can be used, probed with a harmless read."""
        try:
            backend = self._keyring()
            name = _describe(backend)
            if _is_unusable(backend):
                return KeyringStatus(False, name, NO_KEYRING_MESSAGE)
            backend.get_password(self._service, "__probe__")
        except Exception as error:  # a broken backend must not crash the app
            log.warning("keyring probe failed: %s", type(error).__name__)
            return KeyringStatus(False, type(error).__name__, _keyring_failure_message(error))
        return KeyringStatus(True, name, f"Secrets are stored in {name}.")

    def get(self, name: SecretName) -> str | None:
        """The secret, or None when it is not set or no keyring exists. A locked keyring raises
        KeyringLockedError: "no key" would send the technician to re-enter a key they have."""
        if name in self._run_only:
            return self._run_only[name]
        try:
            value = self._keyring().get_password(self._service, name.value)
        except Exception as error:  # backends raise anything from D-Bus to ctypes
            if _is_locked(error):
                log.warning("the keyring is locked: %s not read", name.value)
                raise KeyringLockedError() from None
            # No keyring at all is a known state (Settings explains it); anything else is odd.
            level = logging.DEBUG if type(error).__name__ == "NoKeyringError" else logging.WARNING
            log.log(
                level, "could not read %s from the keyring: %s", name.value, type(error).__name__
            )
            return None
        register_secret(value)
        return value

    def set(self, name: SecretName, value: str, *, run_only: bool = False) -> None:
        register_secret(value)
        if run_only:
            self._run_only[name] = value
            return
        try:
            self._keyring().set_password(self._service, name.value, value)
        except Exception as error:  # backends raise anything from D-Bus to ctypes
            log.warning("could not store %s in the keyring: %s", name.value, type(error).__name__)
            raise CredentialError(
                f"The {SECRET_LABELS[name]} could not be stored in the system keyring "
                f"({type(error).__name__}). {NO_KEYRING_MESSAGE}"
            ) from None
        self._run_only.pop(name, None)

    def delete(self, name: SecretName) -> None:
        self._run_only.pop(name, None)
        from keyring.errors import PasswordDeleteError

        try:
            self._keyring().delete_password(self._service, name.value)
        except PasswordDeleteError:
            pass  # it was not there: nothing to delete
        except Exception as error:  # backends raise anything from D-Bus to ctypes
            if self.status().available:
                raise CredentialError(
                    f"The {SECRET_LABELS[name]} could not be removed from the system keyring "
                    f"({type(error).__name__})."
                ) from None

    def has(self, name: SecretName) -> bool:
        return self.get(name) is not None

    def is_run_only(self, name: SecretName) -> bool:
        return name in self._run_only

    def _keyring(self) -> KeyringBackend:
        if self._backend is None:
            import keyring

            return keyring.get_keyring()
        return self._backend


def _is_unusable(backend: KeyringBackend) -> bool:
    from keyring.backends import chainer, fail

    if isinstance(backend, fail.Keyring):
        return True
    return isinstance(backend, chainer.ChainerBackend) and not backend.backends


def _describe(backend: KeyringBackend) -> str:
    name = getattr(backend, "name", "") or type(backend).__name__
    friendly = {
        "Windows WinVaultKeyring": "Windows Credential Manager",
        "macOS Keyring": "the macOS Keychain",
        "SecretService Keyring": "the Secret Service keyring",
    }
    return friendly.get(name, name)


def _is_locked(error: Exception) -> bool:
    """KeyringLocked (Secret Service, macOS), or InitError from a dismissed unlock prompt."""
    return type(error).__name__ in ("KeyringLocked", "InitError")


def _keyring_failure_message(error: Exception) -> str:
    if _is_locked(error):
        return LOCKED_MESSAGE + " Or keep secrets for this run only."
    return NO_KEYRING_MESSAGE
