"""Keyring backends for tests: no test ever touches the machine's real keyring."""

from __future__ import annotations

import keyring.backend
from keyring.errors import InitError, NoKeyringError, PasswordDeleteError


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Keeps passwords in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class FailingKeyring(keyring.backend.KeyringBackend):
    """Behaves like a machine without a usable keyring: every call raises."""

    priority = 1  # type: ignore[assignment]

    def __init__(self, error: type[Exception] = NoKeyringError) -> None:
        super().__init__()
        self.error = error

    def _fail(self) -> None:
        raise self.error(
            "No recommended backend was available."
            if self.error is NoKeyringError
            else "Prompt dismissed"
        )

    def get_password(self, service: str, username: str) -> str | None:
        self._fail()
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._fail()

    def delete_password(self, service: str, username: str) -> None:
        self._fail()


__all__ = ["FailingKeyring", "InitError", "MemoryKeyring", "NoKeyringError"]
