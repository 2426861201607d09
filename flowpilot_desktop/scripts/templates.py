"""Script templates: ``{{param}}`` placeholders, a typed parameter schema, validation, rendering.

Pure functions over plain values (no storage), so every rule is tested on its own. A schema is
valid when every placeholder is declared and every declared parameter is used; values are
checked by type and come back as the text that goes into the script. Sensitive values
(``secret`` parameters, or any marked sensitive) are masked in everything that is stored.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flowpilot_desktop.errors import UserFacingError
from flowpilot_desktop.logging_setup import MASK

PARAM_TYPES = ("string", "int", "bool", "choice", "secret", "date", "ip")
LANGUAGES = ("powershell", "bash", "batch", "python")
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


class TemplateError(UserFacingError):
    """A template or its values can't be used; the message lists every problem."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str = "string"
    label: str = ""
    description: str = ""
    required: bool = True
    default: str | None = None
    choices: tuple[str, ...] = field(default=())
    sensitive: bool = False

    @property
    def is_sensitive(self) -> bool:
        return self.sensitive or self.type == "secret"

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Parameter:
        default = data.get("default")
        return cls(
            name=str(data.get("name") or "").strip(),
            type=str(data.get("type") or "string").strip().lower(),
            label=str(data.get("label") or ""),
            description=str(data.get("description") or ""),
            required=bool(data.get("required", True)),
            default=None if default is None or default == "" else str(default),
            choices=tuple(str(c) for c in data.get("choices") or ()),
            sensitive=bool(data.get("sensitive", False)),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "label": self.label,
            "description": self.description,
            "required": self.required,
            "default": self.default,
            "choices": list(self.choices),
            "sensitive": self.sensitive,
        }


def placeholders(body: str) -> list[str]:
    """The placeholder names in order of first use."""
    return list(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(body)))


def parse_schema(raw: Iterable[Mapping[str, Any]]) -> list[Parameter]:
    return [Parameter.from_dict(item) for item in raw]


def check_template(body: str, parameters: list[Parameter], language: str) -> None:
    """TemplateError listing everything wrong with the body and its schema."""
    problems: list[str] = []
    if language not in LANGUAGES:
        problems.append(
            f"“{language}” is not a script language FlowPilot knows ({', '.join(LANGUAGES)})."
        )
    if not body.strip():
        problems.append("The script body is empty.")
    seen: set[str] = set()
    for parameter in parameters:
        name = parameter.name
        if not _NAME.fullmatch(name):
            problems.append(f"“{name}” is not a parameter name: letters, digits and _ only.")
            continue
        if name in seen:
            problems.append(f"The parameter “{name}” is declared twice.")
        seen.add(name)
        if parameter.type not in PARAM_TYPES:
            problems.append(
                f"“{name}” has the unknown type “{parameter.type}” ({', '.join(PARAM_TYPES)})."
            )
        elif parameter.type == "choice" and not parameter.choices:
            problems.append(f"“{name}” is a choice but lists no choices.")
        elif parameter.default is not None and parameter.is_sensitive:
            problems.append(
                f"“{name}” is secret, so it can't have a default: it would be stored in clear."
            )
        elif parameter.default is not None:
            try:
                _value(parameter, parameter.default)
            except ValueError as error:
                problems.append(f"The default of “{name}” is not valid: {error}")
    used = placeholders(body)
    for name in used:
        if name not in seen:
            problems.append(f"The placeholder {{{{{name}}}}} is not declared as a parameter.")
    for name in seen - set(used):
        problems.append(f"The parameter “{name}” is declared but not used in the script.")
    if problems:
        raise TemplateError(problems)


def check_values(parameters: list[Parameter], values: Mapping[str, Any]) -> dict[str, str]:
    """The values as script text, defaults applied; TemplateError listing every bad value."""
    problems: list[str] = []
    known = {p.name for p in parameters}
    problems += [
        f"“{name}” is not a parameter of this template." for name in values if name not in known
    ]
    clean: dict[str, str] = {}
    for parameter in parameters:
        raw = values.get(parameter.name)
        text = "" if raw is None else str(raw)
        if not text.strip() and parameter.type != "bool":
            if parameter.default is not None:
                text = parameter.default
            elif parameter.required:
                problems.append(f"{parameter.title} is required.")
                continue
            else:
                clean[parameter.name] = ""
                continue
        try:
            clean[parameter.name] = _value(parameter, text)
        except ValueError as error:
            problems.append(f"{parameter.title}: {error}")
    if problems:
        raise TemplateError(problems)
    return clean


def render(body: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def masked_values(parameters: list[Parameter], values: Mapping[str, str]) -> dict[str, str]:
    """The values as they may be stored: sensitive ones masked."""
    sensitive = {p.name for p in parameters if p.is_sensitive}
    return {k: (MASK if k in sensitive and v else v) for k, v in values.items()}


def _value(parameter: Parameter, text: str) -> str:
    kind = parameter.type
    if kind == "int":
        try:
            return str(int(text.strip()))
        except ValueError:
            raise ValueError(f"“{text}” is not a whole number.") from None
    if kind == "bool":
        lowered = text.strip().lower() or "false"
        if lowered in _TRUE:
            return "true"
        if lowered in _FALSE:
            return "false"
        raise ValueError(f"“{text}” is not yes or no.")
    if kind == "choice":
        if text not in parameter.choices:
            raise ValueError(f"“{text}” is not one of {', '.join(parameter.choices)}.")
        return text
    if kind == "date":
        try:
            return date.fromisoformat(text.strip()).isoformat()
        except ValueError:
            raise ValueError(f"“{text}” is not a date like 2026-11-25.") from None
    if kind == "ip":
        try:
            return str(ipaddress.ip_address(text.strip()))
        except ValueError:
            raise ValueError(f"“{text}” is not an IP address.") from None
    return text
