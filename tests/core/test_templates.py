"""Template schema validation, typed values and rendering with sensitive values masked."""

from __future__ import annotations

import pytest

from flowpilot_desktop.scripts.templates import (
    Parameter,
    TemplateError,
    check_template,
    check_values,
    masked_values,
    parse_schema,
    placeholders,
    render,
)

BODY = "Set-Mailbox -Identity {{ mailbox }} -Quota {{quota_gb}}GB -Force:{{force}}"
SCHEMA = parse_schema(
    [
        {"name": "mailbox", "type": "string", "label": "Mailbox"},
        {"name": "quota_gb", "type": "int", "default": "50"},
        {"name": "force", "type": "bool", "required": False},
    ]
)


def test_placeholders_in_order_once() -> None:
    assert placeholders("{{a}} {{ b }} {{a}}") == ["a", "b"]


def test_a_valid_template_passes() -> None:
    check_template(BODY, SCHEMA, "powershell")


def test_every_problem_is_listed() -> None:
    schema = parse_schema(
        [
            {"name": "mailbox"},
            {"name": "mailbox"},
            {"name": "unused"},
            {"name": "kind", "type": "choice"},
            {"name": "when", "type": "colour"},
            {"name": "bad name"},
            {"name": "port", "type": "int", "default": "eighty"},
        ]
    )
    with pytest.raises(TemplateError) as raised:
        check_template("{{mailbox}} {{missing}} {{kind}} {{when}} {{port}}", schema, "cobol")
    problems = raised.value.problems
    assert any("“cobol” is not a script language" in p for p in problems)
    assert "The parameter “mailbox” is declared twice." in problems
    assert "The placeholder {{missing}} is not declared as a parameter." in problems
    assert "The parameter “unused” is declared but not used in the script." in problems
    assert "“kind” is a choice but lists no choices." in problems
    assert any("unknown type “colour”" in p for p in problems)
    assert any("“bad name” is not a parameter name" in p for p in problems)
    assert any("default of “port”" in p for p in problems)


@pytest.mark.parametrize(
    ("parameter", "raw", "expected"),
    [
        (Parameter("n", "string"), "jdoe@contoso.com", "jdoe@contoso.com"),
        (Parameter("n", "int"), " 42 ", "42"),
        (Parameter("n", "bool"), "Yes", "true"),
        (Parameter("n", "bool"), "", "false"),
        (Parameter("n", "choice", choices=("Low", "High")), "High", "High"),
        (Parameter("n", "secret"), "P@ss w0rd", "P@ss w0rd"),
        (Parameter("n", "date"), "2026-11-25", "2026-11-25"),
        (Parameter("n", "ip"), "10.0.0.1", "10.0.0.1"),
        (Parameter("n", "ip"), "fe80::1", "fe80::1"),
    ],
)
def test_values_by_type(parameter: Parameter, raw: str, expected: str) -> None:
    assert check_values([parameter], {"n": raw}) == {"n": expected}


@pytest.mark.parametrize(
    ("parameter", "raw", "words"),
    [
        (Parameter("n", "int"), "4.5", "not a whole number"),
        (Parameter("n", "bool"), "maybe", "not yes or no"),
        (Parameter("n", "choice", choices=("Low", "High")), "Medium", "not one of Low, High"),
        (Parameter("n", "date"), "25/11/2026", "not a date"),
        (Parameter("n", "ip"), "10.0.0.300", "not an IP address"),
    ],
)
def test_bad_values_are_refused(parameter: Parameter, raw: str, words: str) -> None:
    with pytest.raises(TemplateError, match=words):
        check_values([parameter], {"n": raw})


def test_missing_required_and_extra_values_are_refused_defaults_applied() -> None:
    with pytest.raises(TemplateError) as raised:
        check_values(SCHEMA, {"force": "yes", "colour": "red"})
    assert raised.value.problems == [
        "“colour” is not a parameter of this template.",
        "Mailbox is required.",
    ]
    values = check_values(SCHEMA, {"mailbox": "jdoe"})
    assert values == {"mailbox": "jdoe", "quota_gb": "50", "force": "false"}
    assert render(BODY, values) == "Set-Mailbox -Identity jdoe -Quota 50GB -Force:false"


def test_sensitive_values_are_masked_for_storage() -> None:
    schema = [Parameter("user"), Parameter("password", "secret"), Parameter("pin", sensitive=True)]
    values = check_values(schema, {"user": "jdoe", "password": "Hunter2!", "pin": "1234"})
    assert masked_values(schema, values) == {"user": "jdoe", "password": "•••", "pin": "•••"}


@pytest.mark.parametrize("extra", [{"type": "secret"}, {"type": "string", "sensitive": True}])
def test_a_secret_parameter_can_not_have_a_default(extra: dict) -> None:
    schema = parse_schema([{"name": "password", "default": "Winter-2026!", **extra}])
    with pytest.raises(TemplateError, match="can't have a default"):
        check_template("net user x {{password}}", schema, "batch")
