"""Messages glued from several parts (ours and ConnectWise's) read as separate sentences."""

from __future__ import annotations

import pytest

from psa.errors import end_sentence, join_sentences


@pytest.mark.parametrize(
    ("text", "ended"),
    [
        ("ConnectWise said: Gateway Timeout", "ConnectWise said: Gateway Timeout."),
        ("Stored.", "Stored."),
        ("Really?", "Really?"),
        ("Stop!", "Stop!"),
        ("Waiting…", "Waiting…"),
        ("It is still “Closed.”", "It is still “Closed.”"),
        ("(see the log.)", "(see the log.)"),
        ("answered 418 (HTTP 418)", "answered 418 (HTTP 418)."),
        ("  trailing space  ", "trailing space."),
        ("", ""),
    ],
)
def test_a_sentence_gets_a_full_stop_only_when_it_has_no_ending(text: str, ended: str) -> None:
    assert end_sentence(text) == ended


def test_sentences_are_joined_with_one_space_and_empty_parts_left_out() -> None:
    assert (
        join_sentences(
            "ConnectWise said: Gateway Timeout", "", "  ", "It may or may not be stored."
        )
        == "ConnectWise said: Gateway Timeout. It may or may not be stored."
    )
    assert join_sentences() == ""
