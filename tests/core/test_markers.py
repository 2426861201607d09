"""The marker protocol: parsing, stripping (also while streaming), and never raising."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from flowpilot_desktop.assistant.markers import (
    MARKER_NAMES,
    ActionItem,
    QuestionItem,
    parse_reply,
    visible_text_while_streaming,
)

REPLY = """The prompts started after the update, so the cached token is the likely culprit.

[QUESTIONS]
[{"text": "Does the prompt appear in Teams too?", "context": "token scope", "options": ["Yes", "No"]}]
[/QUESTIONS]
[ACTIONS]
[{"label": "List cached credentials", "command": "cmdkey /list", "description": "look for stale entries"},
 {"label": "Check the account in Settings", "command": null}]
[/ACTIONS]
[PROMOTE]
{"text": "Webmail signs in without prompts.", "source_ref": null}
[/PROMOTE]
[SUGGEST_FIX]
{"title": "Clear the cached Office token", "description": "Remove stale credentials", "confidence": 140,
 "template_id": null, "script": "cmdkey /delete:x", "language": "PowerShell", "parameters": {"target": "x"}}
[/SUGGEST_FIX]
"""


def _block(name: str, payload: object) -> str:
    return f"[{name}]\n{json.dumps(payload)}\n[/{name}]"


def test_a_full_reply_is_parsed_and_the_markers_are_stripped() -> None:
    parsed = parse_reply(REPLY)
    assert parsed.visible_text == (
        "The prompts started after the update, so the cached token is the likely culprit."
    )
    assert parsed.questions == (
        QuestionItem("Does the prompt appear in Teams too?", "token scope", ("Yes", "No")),
    )
    assert parsed.actions == (
        ActionItem("List cached credentials", "cmdkey /list", "look for stale entries"),
        ActionItem("Check the account in Settings", None, ""),
    )
    assert [p.text for p in parsed.promotions] == ["Webmail signs in without prompts."]
    fix = parsed.suggested_fix
    assert fix is not None and fix.confidence == 100, "confidence is clamped to 0-100"
    assert fix.language == "powershell" and fix.parameters == {"target": "x"}
    assert parsed.warnings == ()


def test_the_last_suggest_fix_wins_and_several_promotions_are_kept() -> None:
    reply = "\n".join(
        [
            "Two ideas.",
            _block("SUGGEST_FIX", {"title": "First", "confidence": 40}),
            _block("PROMOTE", {"text": "A"}),
            _block("PROMOTE", {"source_ref": "item-1"}),
            _block("SUGGEST_FIX", {"title": "Second", "confidence": -5}),
        ]
    )
    parsed = parse_reply(reply)
    assert parsed.suggested_fix.title == "Second" and parsed.suggested_fix.confidence == 0
    assert [(p.text, p.source_ref) for p in parsed.promotions] == [("A", None), (None, "item-1")]


def test_malformed_json_is_skipped_with_a_warning_and_never_shown() -> None:
    reply = 'Check this.\n[ACTIONS]\n[{"label": "x",]\n[/ACTIONS]'
    parsed = parse_reply(reply)
    assert parsed.visible_text == "Check this."
    assert parsed.actions is None
    assert any("malformed JSON" in w for w in parsed.warnings)


def test_an_unclosed_block_hides_the_rest_and_is_reported() -> None:
    parsed = parse_reply('Analysis.\n[QUESTIONS]\n[{"text": "Still there?"}]')
    assert parsed.visible_text == "Analysis."
    assert parsed.questions is None
    assert any("unclosed" in w for w in parsed.warnings)


def test_fix_outcome_is_kept_once_and_validated() -> None:
    reply = "\n".join(
        [
            "Good news.",
            _block("FIX_OUTCOME", {"fix_id": "f1", "outcome": "success", "reason": "works now"}),
            _block("FIX_OUTCOME", {"fix_id": "f1", "outcome": "failure"}),
        ]
    )
    parsed = parse_reply(reply)
    assert parsed.fix_outcome.outcome == "success"
    assert (
        parse_reply(_block("FIX_OUTCOME", {"fix_id": "f1", "outcome": "maybe"})).fix_outcome is None
    )


def test_options_need_at_least_two_answers_and_keep_at_most_four() -> None:
    parsed = parse_reply(
        _block(
            "QUESTIONS",
            [
                {"text": "One?", "options": ["Only"]},
                {"text": "Many?", "options": ["a", "b", "c", "d", "e"]},
                {"context": "no text"},
            ],
        )
    )
    assert [q.options for q in parsed.questions] == [(), ("a", "b", "c", "d")]


def test_a_block_in_a_code_fence_is_accepted() -> None:
    parsed = parse_reply('[PROMOTE]\n```json\n{"text": "Fenced"}\n```\n[/PROMOTE]')
    assert parsed.promotions[0].text == "Fenced"


def test_streaming_never_shows_a_half_received_tag_or_an_open_block() -> None:
    for cut in range(len(REPLY) + 1):
        shown = visible_text_while_streaming(REPLY[:cut])
        assert "[" not in shown and "{" not in shown, (cut, shown)
        assert parse_reply(REPLY).visible_text.startswith(shown)


def test_text_after_a_closed_block_is_visible_again() -> None:
    reply = f"Before.\n{_block('PROMOTE', {'text': 'x'})}\nAfter."
    assert parse_reply(reply).visible_text == "Before.\n\nAfter."
    assert visible_text_while_streaming(reply) == "Before.\n\nAfter."


def test_brackets_in_ordinary_text_are_left_alone() -> None:
    reply = "Run [this] then check [QUESTIONS] in the docs.\n[note] not a marker"
    assert parse_reply(reply).visible_text == reply
    assert visible_text_while_streaming(reply) == reply


marker_lines = st.sampled_from(
    [f"[{n}]" for n in MARKER_NAMES] + [f"[/{n}]" for n in MARKER_NAMES] + ["[QUEST", "[/ACT"]
)
json_like = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "text",
                    "label",
                    "options",
                    "confidence",
                    "title",
                    "fix_id",
                    "outcome",
                    "source_ref",
                    "parameters",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(st.text(max_size=40), marker_lines, json_like.map(json.dumps)), max_size=12)
)
def test_no_input_makes_the_parser_raise(pieces) -> None:
    raw = "\n".join(pieces)
    parsed = parse_reply(raw)
    assert isinstance(parsed.visible_text, str)
    if parsed.suggested_fix is not None:
        assert 0 <= parsed.suggested_fix.confidence <= 100
    visible_text_while_streaming(raw)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_arbitrary_text_never_raises(raw) -> None:
    parse_reply(raw)
    visible_text_while_streaming(raw)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=60))
def test_streaming_filter_shows_the_same_text_for_any_chunking(cuts) -> None:
    from flowpilot_desktop.assistant.markers import StreamingFilter

    stream = StreamingFilter()
    shown, position = [], 0
    for size in [*cuts, len(REPLY)]:
        piece = REPLY[position : position + size]
        position += size
        text = stream.feed(piece)
        shown.append(text)
        assert "[" not in text and "{" not in text
        if position >= len(REPLY):
            break
    assert "".join(shown).strip() == parse_reply(REPLY).visible_text


def test_streaming_filter_releases_a_bracket_line_that_is_not_a_tag() -> None:
    from flowpilot_desktop.assistant.markers import StreamingFilter

    stream = StreamingFilter()
    assert stream.feed("[QUES") == ""
    assert stream.feed("T] is not a tag\nnext") == "[QUEST] is not a tag\nnext"
