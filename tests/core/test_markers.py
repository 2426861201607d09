"""The marker protocol: parsing, stripping (also while streaming), and never raising."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowpilot_desktop.assistant.markers import (
    MARKER_NAMES,
    MAX_CHECKS,
    MAX_PROMOTIONS,
    MAX_QUESTIONS,
    ActionItem,
    QuestionItem,
    StreamingFilter,
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


# ---- Caps per reply, and the cost of a hostile reply


def test_3000_promotions_keep_20_with_one_warning(caplog) -> None:
    reply = "Noted.\n" + "\n".join(_block("PROMOTE", {"text": f"Fact {n}"}) for n in range(3000))
    with caplog.at_level("WARNING", logger="flowpilot_desktop.assistant.markers"):
        parsed = parse_reply(reply)
    assert [p.text for p in parsed.promotions] == [f"Fact {n}" for n in range(MAX_PROMOTIONS)]
    assert parsed.warnings == ("2980 [PROMOTE] blocks over the limit of 20 dropped",)
    assert len(caplog.records) == 1
    assert parsed.visible_text == "Noted."


def test_invalid_promotions_do_not_count_against_the_cap() -> None:
    blocks = [_block("PROMOTE", {"source_ref": None})] * 5 + [
        _block("PROMOTE", {"text": f"F{n}"}) for n in range(25)
    ]
    parsed = parse_reply("\n".join(blocks))
    assert len(parsed.promotions) == MAX_PROMOTIONS
    assert parsed.warnings == (
        "[PROMOTE] without text or source_ref; skipped (5 times)",
        "5 [PROMOTE] blocks over the limit of 20 dropped",
    )


def test_50_questions_keep_10() -> None:
    parsed = parse_reply(_block("QUESTIONS", [{"text": f"Q{n}?"} for n in range(50)]))
    assert [q.text for q in parsed.questions] == [f"Q{n}?" for n in range(MAX_QUESTIONS)]
    assert parsed.warnings == ("40 questions over the limit of 10 dropped",)


def test_30_checks_keep_10_also_across_blocks() -> None:
    reply = "\n".join(
        _block("ACTIONS", [{"label": f"Check {n}", "command": "whoami"} for n in range(k, k + 10)])
        for k in (0, 10, 20)
    )
    parsed = parse_reply(reply)
    assert [a.label for a in parsed.actions] == [f"Check {n}" for n in range(MAX_CHECKS)]
    assert parsed.warnings == ("20 diagnostic checks over the limit of 10 dropped",)


def test_questions_of_several_blocks_are_merged_once_each() -> None:
    reply = "\n".join(
        [
            _block("QUESTIONS", [{"text": "A?"}, {"text": "B?"}]),
            _block("QUESTIONS", [{"text": "B?"}, {"text": "C?"}]),
        ]
    )
    assert [q.text for q in parse_reply(reply).questions] == ["A?", "B?", "C?"]


def test_extra_fix_blocks_give_one_warning_per_kind() -> None:
    reply = "\n".join(
        [_block("SUGGEST_FIX", {"title": f"Fix {n}"}) for n in range(4)]
        + [_block("FIX_OUTCOME", {"fix_id": "f1", "outcome": "success"})] * 30
    )
    parsed = parse_reply(reply)
    assert parsed.suggested_fix.title == "Fix 3" and parsed.fix_outcome.fix_id == "f1"
    assert parsed.warnings == (
        "29 more [FIX_OUTCOME] blocks dropped; only the first is kept",
        "3 earlier [SUGGEST_FIX] blocks dropped; the last one is kept",
    )


def _hostile_replies() -> dict[str, str]:
    filler = "x" * 650
    block = _block("PROMOTE", {"text": filler})
    return {
        "3000 blocks": "Hi.\n" + "\n".join([block] * 3000),
        "3000 inline blocks": "Hi. " + " ".join(block.replace("\n", "") for _ in range(3000)),
        "3000 unclosed blocks": "Hi.\n"
        + ("[PROMOTE]\n" + json.dumps({"text": filler}) + "\n") * 3000,
        "tags that open nothing": "[PROMOTE] x " * 170_000,
        "brackets": "[" * 2_000_000,
        "stray closing tags": "[/QUESTIONS]" * 170_000,
        "blank runs": "a\n" + " " * 1_000_000 + "\n" + " " * 1_000_000 + "x",
        "3000 inline blocks without closing tags": "Hi. "
        + " ".join("[PROMOTE]" + json.dumps({"text": filler}) for _ in range(3000)),
        "an inline block of bracket pairs": "Hi [PROMOTE][" + "[]" * 1_000_000,
        "an inline block of closing-tag starts": "Hi [PROMOTE][" + "[[/" * 700_000,
        "inline blocks of empty objects": "Hi " + "[PROMOTE]{}" * 180_000,
    }


@pytest.mark.parametrize("name", list(_hostile_replies()))
def test_a_2_mb_hostile_reply_parses_in_well_under_a_second(name) -> None:
    reply = _hostile_replies()[name]
    assert len(reply) >= 1_900_000
    started = time.perf_counter()
    parsed = parse_reply(reply)
    assert time.perf_counter() - started < 1.0, name
    assert len(parsed.promotions) <= MAX_PROMOTIONS
    assert "[PROMOTE]\n{" not in parsed.visible_text


def test_streaming_a_hostile_reply_costs_the_size_of_each_delta() -> None:
    reply = _hostile_replies()["3000 blocks"] + " [PROMOTE]" + " " * 200 + "x" * 10_000
    stream, started = StreamingFilter(), time.perf_counter()
    shown = "".join(stream.feed(reply[i : i + 5]) for i in range(0, len(reply), 5))
    assert time.perf_counter() - started < 3.0  # 400,000 feeds
    assert shown.startswith("Hi.\n") and "{" not in shown


@pytest.mark.parametrize(
    "name", ["an inline block of bracket pairs", "inline blocks of empty objects"]
)
def test_streaming_a_hostile_inline_reply_costs_the_size_of_each_delta(name) -> None:
    reply = _hostile_replies()[name]
    stream, started = StreamingFilter(), time.perf_counter()
    shown = "".join(stream.feed(reply[i : i + 5]) for i in range(0, len(reply), 5))
    assert time.perf_counter() - started < 3.0  # 400,000 feeds
    assert shown == "Hi " and stream.finish() == ""


# ---- Inline blocks: applied, never shown

INLINE = (
    'Noted. [PROMOTE]{"text": "Webmail works", "source_ref": null}[/PROMOTE] Next, the VPN.\n'
    'Also [PROMOTE] {"text": "Token is stale"} [/PROMOTE]\n'
    "Try this:\n"
    '[ACTIONS][{"label": "List tokens", "command": "cmdkey /list"}][/ACTIONS]\n'
    '[QUESTIONS]\n[{"text": "Does Teams prompt?"}][/QUESTIONS]\n'
    "Done."
)


def test_inline_blocks_are_applied_and_hidden() -> None:
    parsed = parse_reply(INLINE)
    assert [p.text for p in parsed.promotions] == ["Webmail works", "Token is stale"]
    assert parsed.actions == (ActionItem("List tokens", "cmdkey /list", ""),)
    assert [q.text for q in parsed.questions] == ["Does Teams prompt?"]
    # the space before a removed block stays; markdown shows no difference
    assert parsed.visible_text == "Noted. Next, the VPN.\nAlso \nTry this:\n\nDone."
    assert parsed.warnings == ()


def test_an_inline_block_with_a_fence_is_applied() -> None:
    parsed = parse_reply('Fact: [PROMOTE]```json {"text": "Fenced"} ```[/PROMOTE]')
    assert parsed.promotions[0].text == "Fenced" and parsed.visible_text == "Fact:"


def test_a_marker_named_in_prose_is_not_a_block() -> None:
    reply = "Use [QUESTIONS] for questions and [PROMOTE] (with JSON) for facts. [ACTIONS] [later]"
    parsed = parse_reply(reply)
    assert parsed.visible_text == reply
    assert parsed.questions is None and parsed.actions is None and not parsed.promotions
    assert parsed.suggested_fix is None and parsed.fix_outcome is None
    assert visible_text_while_streaming(reply) == reply


def test_an_inline_block_cut_short_is_hidden_and_reported() -> None:
    parsed = parse_reply('Noted. [PROMOTE]{"text": "Webmail wo')
    assert parsed.visible_text == "Noted." and parsed.promotions == ()
    assert parsed.warnings == ("unclosed [PROMOTE] block skipped",)
    assert parse_reply("Noted. [PROMOTE]").visible_text == "Noted."


def test_stray_closing_tags_are_never_shown() -> None:
    assert parse_reply("Done.[/PROMOTE]\n[/QUESTIONS]\nBye.").visible_text == "Done.\n\nBye."


def test_streaming_holds_an_inline_open_tag_until_the_block_closes() -> None:
    stream = StreamingFilter()
    assert stream.feed("Noted. [PRO") == "Noted. "
    assert stream.feed("MOTE]") == ""
    assert stream.feed(' {"te') == ""
    assert stream.feed('xt": "x"}[/PROM') == ""
    assert stream.feed("OTE] Next") == "Next"
    assert stream.feed(" [PROMOTE] is a marker") == " [PROMOTE] is a marker"
    assert stream.feed(" [QUES") == " "
    assert stream.finish() == "[QUES"


prose_words = st.text(alphabet="abcdefgh .,:;!?()-'\"", min_size=1, max_size=12)
separators = st.sampled_from(["", " ", "  ", "\n", "\n\n", " \n", "\t"])


@st.composite
def replies_with_inline_blocks(draw) -> tuple[str, int]:
    """A reply mixing prose, inline and own-line blocks, and markers named in prose."""
    pieces, facts = [], 0
    for _ in range(draw(st.integers(min_value=1, max_value=10))):
        kind = draw(st.sampled_from(["prose", "inline", "own-line", "mention"]))
        if kind == "prose":
            pieces.append(draw(prose_words))
        elif kind == "mention":
            pieces.append(f"see [{draw(st.sampled_from(MARKER_NAMES[:2]))}] docs")
        else:
            payload = json.dumps({"text": f"fact {facts}"})
            if kind == "inline":
                before, after = draw(separators), draw(separators)
                pieces.append(f"[PROMOTE]{before}{payload}{after}[/PROMOTE]")
            else:
                pieces.append(f"\n{_block('PROMOTE', {'text': f'fact {facts}'})}\n")
            facts += 1
        pieces.append(draw(separators) or " ")
    return "".join(pieces), facts


@settings(max_examples=300, deadline=None)
@given(replies_with_inline_blocks(), st.lists(st.integers(min_value=1, max_value=12), max_size=80))
def test_streaming_in_random_chunks_never_shows_a_block(reply_and_facts, cuts) -> None:
    reply, facts = reply_and_facts
    parsed = parse_reply(reply)
    assert [p.text for p in parsed.promotions] == [f"fact {n}" for n in range(facts)]
    stream, shown, position = StreamingFilter(), [], 0
    for size in [*cuts, len(reply)]:
        piece = reply[position : position + size]
        position += size
        shown.append(stream.feed(piece))
        if position >= len(reply):
            break
    shown.append(stream.finish())
    visible = "".join(shown)
    assert "[PROMOTE]" not in visible and '{"text"' not in visible and "[/" not in visible
    assert visible.split() == parsed.visible_text.split()  # the same words, as they stream


def test_streaming_inline_blocks_never_shows_json_at_any_cut() -> None:
    final = parse_reply(INLINE).visible_text
    for cut in range(len(INLINE) + 1):
        shown = visible_text_while_streaming(INLINE[:cut])
        assert "{" not in shown and "[PROMOTE]" not in shown and "[/" not in shown, (cut, shown)
        assert final.startswith(shown), (cut, shown)


stream_atoms = st.sampled_from(
    [
        *("[PROMOTE]", "[/PROMOTE]", "[QUESTIONS]", "[/QUESTIONS]", "[PRO", "[/", "[", "]"),
        *("{", "}", '"', '{"text": "a"}', "```", " ", "\n", "\t", "x", "hello", "[{", "[]"),
        " " * 300,
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(stream_atoms, max_size=25), st.lists(st.integers(1, 9), max_size=60))
def test_streaming_filter_output_does_not_depend_on_the_chunking(parts, cuts) -> None:
    def stream(text: str, sizes: list[int]) -> str:
        streaming, out, position = StreamingFilter(), [], 0
        for size in sizes:
            out.append(streaming.feed(text[position : position + size]))
            position += size
        return "".join([*out, streaming.feed(text[position:]), streaming.finish()])

    reply = "".join(parts)
    whole = stream(reply, [])
    assert stream(reply, cuts) == whole
    assert whole.split() == parse_reply(reply).visible_text.split()


# ---- Lenient inline blocks (issue 17): applied when they can be, never shown as JSON

VPN = '{"text": "The VPN client is 5.2"}'


def _streamed(reply: str, size: int = 1) -> str:
    stream = StreamingFilter()
    return "".join(stream.feed(reply[i : i + size]) for i in range(0, len(reply), size)) + (
        stream.finish()
    )


@pytest.mark.parametrize(
    "reply",
    [
        f"Noted. [PROMOTE]{VPN} Next, check it.",  # no closing tag
        f"Noted. [PROMOTE]{VPN}[/SUGGEST_FIX] Next, check it.",  # another block's closing tag
        f"Noted. [PROMOTE]: {VPN}[/PROMOTE] Next, check it.",  # a separator before the JSON
        f"Noted. [PROMOTE] - {VPN} Next, check it.",
        f"Noted. [PROMOTE] => {VPN}\n[/PROMOTE] Next, check it.",
    ],
)
def test_an_inline_block_is_applied_even_when_its_tags_are_sloppy(reply: str) -> None:
    parsed = parse_reply(reply)
    assert [p.text for p in parsed.promotions] == ["The VPN client is 5.2"]
    assert parsed.visible_text.split() == ["Noted.", "Next,", "check", "it."]
    for size in (1, 3, 7, len(reply)):
        assert _streamed(reply, size).split() == parsed.visible_text.split(), size


def test_an_inline_block_ends_at_its_json_and_the_next_block_opens() -> None:
    reply = f'Noted. [PROMOTE]{VPN} [PROMOTE]{{"text": "Split tunnel off"}}[/PROMOTE] Next.'
    parsed = parse_reply(reply)
    assert [p.text for p in parsed.promotions] == ["The VPN client is 5.2", "Split tunnel off"]
    assert parsed.visible_text == "Noted. Next." and _streamed(reply) == "Noted. Next."


def test_a_closing_tag_inside_a_json_string_does_not_end_an_inline_block() -> None:
    reply = 'Noted. [PROMOTE]{"text": "The log shows [/PROMOTE] twice"}[/PROMOTE] Next.'
    parsed = parse_reply(reply)
    assert [p.text for p in parsed.promotions] == ["The log shows [/PROMOTE] twice"]
    assert parsed.visible_text == "Noted. Next." and _streamed(reply) == "Noted. Next."


@pytest.mark.parametrize(
    "block",
    [
        "[PROMOTE]{text: The VPN client is 5.2}[/PROMOTE]",  # unquoted keys
        "[PROMOTE]{'text': 'The VPN client is 5.2'}",  # single quotes, no closing tag
        '[PROMOTE]{"text": "The VPN client is 5.2"[/PROMOTE]',  # the object never closes
        '[PROMOTE]{"text": "The VPN client is 5.2\n"}[/PROMOTE]',  # a line break in a string
    ],
)
def test_an_inline_block_that_cannot_be_parsed_is_hidden_and_logged(block: str, caplog) -> None:
    reply = f"Noted. {block} Next."
    parsed = parse_reply(reply)
    assert parsed.promotions == () and parsed.visible_text == "Noted. Next."
    assert _streamed(reply) == "Noted. Next." and _streamed(reply, 4) == "Noted. Next."
    assert parsed.warnings == ("[PROMOTE] block holds malformed JSON; skipped",)
    assert "malformed JSON" in caplog.text


def test_text_after_an_inline_block_streams_without_waiting() -> None:
    """Only what could still be the block's closing tag is held, and only briefly."""
    stream = StreamingFilter()
    assert stream.feed(f"Noted. [PROMOTE]{VPN}") == "Noted. "
    assert stream.feed(" [see below] and more") == "[see below] and more"
    assert stream.feed(" Costs [about") == " Costs [about"
    assert stream.feed(f" Also [PROMOTE]{VPN} ") == " Also "
    assert stream.feed("[/PRO") == ""
    assert stream.feed("BLEM] here") == "[/PROBLEM] here"
    assert stream.finish() == ""
