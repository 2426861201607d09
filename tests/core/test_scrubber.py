"""The outbound scrubber: what it masks, what it leaves alone, numbering, idempotence, speed."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowpilot_desktop import logging_setup
from flowpilot_desktop.scrubbing import (
    KINDS,
    PLACEHOLDER_PATTERN,
    Scrubber,
    default_scrubber,
    find_credentials,
)
from tests.core.scrubber_corpus import CASES, Case

WITH_SECRETS = [case for case in CASES if case.secrets]
CLEAN = [case for case in CASES if not case.secrets]


def _scrubber() -> Scrubber:
    """A scrubber that knows no registered secrets (the corpus is about detection)."""
    return Scrubber(known_secrets=lambda: ())


@pytest.fixture
def registered() -> Iterator[str]:
    """A unique secret registered with the app's log redactor, removed again afterwards."""
    value = f"Reg1stered-{uuid.uuid4().hex}"
    logging_setup.register_secret(value)
    yield value
    logging_setup.forget_secret(value)


# --- corpus ---------------------------------------------------------------------------------


def test_the_corpus_is_big_and_varied() -> None:
    assert len(CASES) >= 40
    assert len(WITH_SECRETS) >= 20 and len(CLEAN) >= 15
    assert len({case.name for case in CASES}) == len(CASES)
    kinds = {kind for case in CASES for _, kind in case.secrets}
    assert kinds <= set(KINDS)
    assert kinds >= {"password", "private-key", "aws-key", "azure-key", "api-key", "token", "jwt"}


@pytest.mark.parametrize("case", WITH_SECRETS, ids=lambda case: case.name)
def test_every_secret_is_found_with_its_exact_span_and_kind(case: Case) -> None:
    found = {(case.text[f.start : f.end], f.kind) for f in find_credentials(case.text)}
    assert found == set(case.secrets)


@pytest.mark.parametrize("case", WITH_SECRETS, ids=lambda case: case.name)
def test_every_secret_is_replaced_by_a_placeholder_of_its_kind(case: Case) -> None:
    result = _scrubber().scrub(case.text, scope=case.name)
    for value, _ in case.secrets:
        assert value not in result.text
    placeholders = PLACEHOLDER_PATTERN.findall(result.text)
    assert {kind for kind, _ in placeholders} == {kind for _, kind in case.secrets}
    assert result.changed
    assert result.count == len(placeholders)


@pytest.mark.parametrize("case", CLEAN, ids=lambda case: case.name)
def test_must_not_mask_snippets_come_back_byte_identical(case: Case) -> None:
    result = _scrubber().scrub(case.text)
    assert result.text == case.text
    assert not result.changed
    assert result.count == 0
    assert find_credentials(case.text) == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_scrubbing_is_idempotent(case: Case) -> None:
    scrubber = _scrubber()
    once = scrubber.scrub(case.text, scope="s").text
    twice = scrubber.scrub(once, scope="s")
    assert twice.text == once
    assert not twice.changed
    assert _scrubber().scrub(once).text == once  # also for a scrubber that never saw the values


@pytest.mark.parametrize("case", WITH_SECRETS, ids=lambda case: case.name)
def test_masked_spans_point_at_the_placeholders_in_the_output(case: Case) -> None:
    result = _scrubber().scrub(case.text)
    assert [m.start for m in result.masked] == sorted(m.start for m in result.masked)
    for masked in result.masked:
        assert result.text[masked.start : masked.end] == masked.placeholder
        match = PLACEHOLDER_PATTERN.fullmatch(masked.placeholder)
        assert match is not None and match.group("kind") == masked.kind


# --- numbering and scopes -------------------------------------------------------------------


def test_same_value_same_placeholder_and_numbering_per_kind_in_order() -> None:
    scrubber = _scrubber()
    text = (
        "Password=Alpha#111; then Password=Bravo#222;\n"
        "aws_access_key_id = AKIA" + "IOSFODNN7EXAMPLE\n"
        "again Password=Alpha#111;"
    )
    result = scrubber.scrub(text, scope="ticket-1")
    assert result.text == (
        "Password=[password #1]; then Password=[password #2];\n"
        "aws_access_key_id = [aws-key #1]\n"
        "again Password=[password #1];"
    )
    assert [m.placeholder for m in result.masked] == [
        "[password #1]",
        "[password #2]",
        "[aws-key #1]",
        "[password #1]",
    ]
    # Later in the same scope: the known value keeps its number, a new one continues.
    later = scrubber.scrub("pwd=Bravo#222 and pwd=Charlie#333", scope="ticket-1")
    assert later.text == "pwd=[password #2] and pwd=[password #3]"


def test_a_different_scope_starts_at_one() -> None:
    scrubber = _scrubber()
    scrubber.scrub("Password=Alpha#111; Password=Bravo#222;", scope="a")
    other = scrubber.scrub("Password=Bravo#222;", scope="b")
    assert other.text == "Password=[password #1];"
    shared = scrubber.scrub("Password=Charlie#333;")
    assert shared.text == "Password=[password #1];"
    assert scrubber.scrub("Password=Charlie#333;", scope=None).text == shared.text


def test_a_value_masked_once_is_masked_wherever_it_turns_up_later_in_the_scope() -> None:
    scrubber = _scrubber()
    scrubber.scrub("Password=Sup3r$ecretSA!;TrustServerCertificate=True", scope="s")
    later = scrubber.scrub("They say it is still Sup3r$ecretSA!, right?", scope="s")
    assert later.text == "They say it is still [password #1], right?"
    other = "They say it is still Sup3r$ecretSA!, right?"
    assert scrubber.scrub(other, scope="other").text == other  # another session never saw it
    assert scrubber.scrub(other, scope="s", detect=False).text == other  # "Send unmasked"
    scrubber.scrub("pwd=Admin1;", scope="w")
    assert scrubber.scrub("Admin1stration, Admin1.", scope="w").text == (
        "Admin1stration, [password #1]."
    )


def test_forget_drops_the_value_map_of_a_scope() -> None:
    scrubber = _scrubber()
    scrubber.scrub("Password=Alpha#111; Password=Bravo#222;", scope="a")
    scrubber.forget("a")
    assert scrubber.scrub("Password=Bravo#222;", scope="a").text == "Password=[password #1];"


def test_seed_continues_numbering_after_stored_placeholders() -> None:
    stored = [
        "Mapped the drive with Password=[password #1]; and the key [aws-key #3].",
        "Then cmdkey /pass:[password #4] worked.",
    ]
    scrubber = _scrubber()
    scrubber.seed("session-9", stored)
    result = scrubber.scrub(
        "net user kiosk Fresh#Pass1 /add and AKIA" + "ABCDEFGHIJKLMNOP", scope="session-9"
    )
    assert result.text == "net user kiosk [password #5] /add and [aws-key #4]"
    # Idempotent with the seeded scope too, and stored history stays byte-identical.
    assert scrubber.scrub(result.text, scope="session-9").text == result.text
    for text in stored:
        assert scrubber.scrub(text, scope="session-9").text == text


def test_placeholders_in_the_text_itself_are_never_reused() -> None:
    result = _scrubber().scrub("Earlier: [password #2]. Now Password=New#Value9;", scope="x")
    assert result.text == "Earlier: [password #2]. Now Password=[password #3];"
    assert result.count == 1


def test_a_placeholder_is_never_detected_again() -> None:
    for text in (
        "Password=[password #1]",
        '"password": "[password #12]"',
        "net use \\\\fs01\\share [password #1] /user:CONTOSO\\bob",
        "Authorization: Bearer [token #3]",
        "Key Content            : [wifi-key #1]",
        "-Password '[password #7]'",
    ):
        assert find_credentials(text) == []
        assert _scrubber().scrub(text).text == text


# --- registered secrets and detect=False ----------------------------------------------------


def test_registered_secrets_are_masked_even_without_detection(registered: str) -> None:
    scrubber = Scrubber()
    text = f"Run it with Password=Other#Pass1; and the PSA key {registered} (twice: {registered})"
    result = scrubber.scrub(text, scope="r", detect=False)
    assert registered not in result.text
    assert "Other#Pass1" in result.text  # detection is off: "Send unmasked" on a false positive
    assert result.text.count("[secret #1]") == 2
    detected = scrubber.scrub(text, scope="r2")
    assert registered not in detected.text and "Other#Pass1" not in detected.text
    assert "[secret #1]" in detected.text and "[password #1]" in detected.text


def test_a_registered_secret_wins_over_a_detected_kind(registered: str) -> None:
    result = Scrubber().scrub(f"api_key={registered}")
    assert result.text == "api_key=[secret #1]"


def test_longest_registered_secret_first() -> None:
    scrubber = Scrubber(known_secrets=lambda: ["abcd", "abcdefgh"])
    result = scrubber.scrub("x abcdefgh y abcd z", detect=False)
    assert result.text == "x [secret #1] y [secret #2] z"


def test_the_default_scrubber_is_one_instance_reading_the_app_secrets(registered: str) -> None:
    assert default_scrubber() is default_scrubber()
    assert registered not in default_scrubber().scrub_value(f"token {registered}", scope="d")


def test_scrub_value_is_scrub_text() -> None:
    scrubber = _scrubber()
    assert scrubber.scrub_value("Pwd=S3cret!x;") == "Pwd=[password #1];"
    assert scrubber.scrub_value("") == ""


# --- robustness and speed -------------------------------------------------------------------

_FRAGMENTS = st.sampled_from(
    [
        "Password=",
        "pwd: ",
        "net use \\\\fs\\s ",
        " /user:D\\u ",
        "-Password ",
        "'",
        '"',
        ";",
        " ",
        "\n",
        "[password #1]",
        "[secret #2]",
        "AKIA" + "IOSFODNN7EXAMPLE",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        "https://u:",
        "@host/",
        "Bearer ",
        "Key Content : ",
        "-----BEGIN PRIVATE KEY-----",
        "-----END PRIVATE KEY-----",
        "Hunter#22",
        "$env:PASS",
        "%PASSWORD%",
        "{{pw}}",
        "*",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_never_raises_on_any_text(text: str) -> None:
    findings = find_credentials(text)
    assert all(0 <= f.start < f.end <= len(text) for f in findings)
    assert all(a.end <= b.start for a, b in pairwise(findings))
    result = _scrubber().scrub(text)
    assert isinstance(result.text, str)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_FRAGMENTS, st.text(max_size=12)), max_size=25))
def test_idempotent_on_mixed_fragments(parts: list[str]) -> None:
    scrubber = Scrubber(known_secrets=lambda: ["Hunter#22"])
    once = scrubber.scrub("".join(parts), scope="h").text
    assert scrubber.scrub(once, scope="h").text == once
    assert "Hunter#22" not in once


def test_a_100_kb_log_scrubs_in_well_under_a_second() -> None:
    block = "\n".join(case.text for case in CASES)
    log = (block + "\n") * (100_000 // len(block) + 1)
    assert len(log) >= 100_000
    scrubber = _scrubber()
    scrubber.scrub("warm-up: AKIA" + "IOSFODNN7EXAMPLE")  # the one-off library import
    started = time.perf_counter()
    result = scrubber.scrub(log, scope="perf")
    elapsed = time.perf_counter() - started
    assert result.changed
    assert elapsed < 1.0


def test_importing_the_package_does_not_import_detect_secrets() -> None:
    code = (
        "import sys\n"
        "import flowpilot_desktop.scrubbing as s\n"
        "assert 'detect_secrets' not in sys.modules, 'imported eagerly'\n"
        "out = s.Scrubber(known_secrets=lambda: ()).scrub('key AKIA' + 'IOSFODNN7EXAMPLE').text\n"
        "assert 'detect_secrets' in sys.modules, 'not used on first scrub'\n"
        "assert out == 'key [aws-key #1]', out\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
