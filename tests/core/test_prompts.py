"""Anti-parrot rule (SPEC §5): prompt texts show placeholders only, never literal examples."""

from __future__ import annotations

import re

import pytest

from flowpilot_desktop.assistant.prompts import (
    PROMPT_FILES,
    SessionContext,
    prompt_text,
    render_context,
    system_prompt,
)
from flowpilot_desktop.tickets import TicketSnapshot
from resources import resource_path

# Tokens the web version saw recited on unrelated tickets, and other literal giveaways.
LEAKED_TOKENS = (
    "jsmith",
    "DC01",
    "ADSync",
    "Dnscache",
    "google.com",
    "Outlook keeps",
    "Teams drops",
)
MARKER_BLOCK = re.compile(
    r"(?:^|\n)\[(QUESTIONS|ACTIONS|SUGGEST_FIX|FIX_OUTCOME|PROMOTE|FORK|TREE_UPDATE|STEPS_UPDATE|"
    r"INTAKE_FORM|METADATA|DELTA)\]\s*\n(\s*[\[{][\s\S]*?)\s*\n\[/\1\]"
)
JSON_KEY = re.compile(r'"[a-z_]+"\s*:')
PLACEHOLDER = re.compile(r'"?<[^<>\n]+>"?')


def _all_prompt_files():
    folder = resource_path("prompts")
    return sorted(path.name for path in folder.iterdir() if path.is_file())


def test_every_prompt_file_is_known_to_the_code() -> None:
    assert set(_all_prompt_files()) == set(PROMPT_FILES)


@pytest.mark.parametrize("name", _all_prompt_files())
def test_no_known_leaked_tokens(name: str) -> None:
    text = prompt_text(name)
    for token in LEAKED_TOKENS:
        assert token.lower() not in text.lower(), token


FENCED_BLOCK = re.compile(r"```[^\n]*\n([\s\S]*?)```")


@pytest.mark.parametrize("name", _all_prompt_files())
def test_fenced_examples_hold_placeholders_only(name: str) -> None:
    """The Script Builder's answer format shows a script and its parameters: placeholders only,
    so no example command is recited on an unrelated ticket."""
    for body in FENCED_BLOCK.findall(prompt_text(name)):
        leftover = PLACEHOLDER.sub("", body)
        assert re.fullmatch(r"[\s\[\]{},:]*", leftover), f"literal in an example: {leftover!r}"


def test_the_script_builder_prompt_asks_for_one_script_and_its_parameters() -> None:
    text = prompt_text("script_builder.md")
    assert "ONE fenced code block" in text and "```parameters" in text
    assert len(FENCED_BLOCK.findall(text)) == 2


def test_marker_blocks_hold_placeholders_only() -> None:
    name = "system.md"
    blocks = MARKER_BLOCK.findall(prompt_text(name))
    assert {b[0] for b in blocks} >= {
        "QUESTIONS",
        "ACTIONS",
        "PROMOTE",
        "SUGGEST_FIX",
        "FIX_OUTCOME",
    }
    for marker, body in blocks:
        leftover = PLACEHOLDER.sub("", JSON_KEY.sub("", body))
        leftover = re.sub(r"\bnull\b", "", leftover)
        assert re.fullmatch(r"[\s\[\]{},:]*", leftover), (
            f"[{marker}] has a literal value: {leftover!r}"
        )


def test_the_system_prompt_has_no_session_data_and_the_context_renders_it() -> None:
    context = SessionContext(
        "Printer offline", "48190", TicketSnapshot(company="Calder"), ("Fact one",), None, None
    )
    stable = system_prompt()
    assert "Printer offline" not in stable and "48190" not in stable
    rendered = render_context(context)
    assert "Printer offline" in rendered and "Fact one" in rendered and "Calder" in rendered
