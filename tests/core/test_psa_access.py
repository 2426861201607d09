"""PsaAccess builds a ConnectWise client per piece of work; what those clients learn about the
settings (that they work) outlives each of them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.credentials import CredentialStore, SecretName
from flowpilot_desktop.psa_access import PsaAccess, PsaOverrides
from psa.errors import PsaNotFoundError
from tests.connectwise_emulator import (
    CLIENT_ID,
    COMPANY,
    PRIVATE_KEY,
    PUBLIC_KEY,
    ConnectWiseEmulator,
    standard_setup,
)
from tests.fakes_keyring import MemoryKeyring

FIRST_CALL_HINT = "If this is the first call"


def _access(cw: ConnectWiseEmulator, tmp_path: Path) -> tuple[PsaAccess, AppConfig]:
    credentials = CredentialStore(MemoryKeyring())
    credentials.set(SecretName.CW_PUBLIC_KEY, PUBLIC_KEY)
    credentials.set(SecretName.CW_PRIVATE_KEY, PRIVATE_KEY)
    config = AppConfig(cw_site=cw.site, cw_company_id=COMPANY, cw_client_id=CLIENT_ID)
    store = ConfigStore(tmp_path / "settings.json")
    store.save(config)
    return PsaAccess(store, credentials), config


def test_a_404_after_a_successful_call_with_these_settings_has_no_first_call_hint(
    cw: ConnectWiseEmulator, tmp_path: Path
) -> None:
    standard_setup(cw)
    psa, _ = _access(cw, tmp_path)
    assert asyncio.run(psa.test_connection()).startswith("Connected to ConnectWise")
    cw.fail_next(404, path_contains="service/boards")
    with pytest.raises(PsaNotFoundError) as raised:
        asyncio.run(psa.boards())
    assert FIRST_CALL_HINT not in str(raised.value)
    assert "ConnectWise said: Injected 404." in str(raised.value)


def test_a_404_before_anything_worked_or_with_other_keys_keeps_the_hint(
    cw: ConnectWiseEmulator, tmp_path: Path
) -> None:
    standard_setup(cw)
    psa, config = _access(cw, tmp_path)
    cw.fail_next(404, path_contains="service/boards")
    with pytest.raises(PsaNotFoundError, match=FIRST_CALL_HINT):
        asyncio.run(psa.boards())
    asyncio.run(psa.test_connection())
    typed = PsaOverrides(config, public_key="aNewPublicKey", private_key="aNewPrivateKey")
    cw.fail_next(404, path_contains="service/boards")  # new keys: a 401 without the fault
    with pytest.raises(PsaNotFoundError, match=FIRST_CALL_HINT):
        asyncio.run(psa.boards(typed))
    saved = PsaOverrides(config)  # as typed, but the same as the stored settings
    cw.fail_next(404, path_contains="service/boards")
    with pytest.raises(PsaNotFoundError) as raised:
        asyncio.run(psa.boards(saved))
    assert FIRST_CALL_HINT not in str(raised.value)
