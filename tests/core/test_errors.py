"""Which errors speak for themselves (the message is all the technician needs) and which are
unexpected (the message points at the log)."""

from __future__ import annotations

import pytest

from flowpilot_desktop.config import ConfigError
from flowpilot_desktop.errors import UserFacingError, is_expected
from psa.errors import (
    PsaAmbiguousError,
    PsaAuthError,
    PsaConfigError,
    PsaNotFoundError,
    PsaRejectedError,
    PsaUnavailableError,
    PsaUnexpectedError,
    StatusNotAppliedError,
)


@pytest.mark.parametrize(
    "error",
    [
        UserFacingError("Give the session a title or a ticket number."),
        ConfigError("The base URL must start with https://."),
        PsaConfigError("ConnectWise is not set up: add the site in Settings."),
        PsaAuthError("ConnectWise refused the credentials."),
        PsaNotFoundError("Ticket #999 was not found in ConnectWise."),
        PsaRejectedError("ConnectWise refused the request."),
        PsaUnavailableError("ConnectWise timed out on its side; try again in a moment."),
        PsaAmbiguousError("It may or may not have been stored."),
        StatusNotAppliedError("Still “In Progress”.", kept_status="In Progress", wanted_status="9"),
    ],
)
def test_our_own_and_the_psas_known_failures_are_expected(error: Exception) -> None:
    assert is_expected(error)


@pytest.mark.parametrize(
    "error",
    [
        PsaUnexpectedError("ConnectWise sent an answer FlowPilot can't read (HTTP 200)."),
        RuntimeError("boom"),
        KeyError("status"),
    ],
)
def test_anything_else_is_unexpected(error: Exception) -> None:
    assert not is_expected(error)
