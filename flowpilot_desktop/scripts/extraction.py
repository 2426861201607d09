"""Template extraction (SPEC §7): a concrete script the technician ran becomes a draft
template, with a parameter schema proposed by the template-extraction model tier.

Conservative by construction: the model must also return the concrete value of every
parameter, and the templated body filled with those values must give back the original
script exactly. Bad JSON, an invalid schema, a mismatch, no key or a failed call: the draft
is the original script with no parameters, and the reason is kept.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from flowpilot_desktop.assistant.layout import OneShotPrompt
from flowpilot_desktop.scripts.templates import (
    Parameter,
    TemplateError,
    check_template,
    parse_schema,
    render,
)

log = logging.getLogger(__name__)
Ask = Callable[[OneShotPrompt], Awaitable[str | None]]
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.MULTILINE)


@dataclass(frozen=True)
class Extraction:
    name: str
    templated_body: str
    parameters: list[Parameter]
    fell_back: bool = False
    reason: str | None = None  # why the original script was kept


EXTRACTION_INSTRUCTIONS = (
    "Turn this script into a reusable team template. Replace only values that would change "
    "from one ticket to the next (user names, host names, paths, addresses, passwords) with "
    "{{snake_case}} placeholders; leave everything else byte for byte. Mark passwords, keys and "
    "tokens as type secret. Types: string, int, bool, choice, secret, date, ip. Reply with JSON "
    'only: {"name": "...", "templated_body": "...", "parameters": [{"name": "...", "type": '
    '"string", "label": "...", "description": "...", "required": true, "default": null, '
    '"choices": [], "sensitive": false}], "values": {"<name>": "<the value in the script>"}}'
)


def extraction_prompt(script: str, language: str, title: str) -> OneShotPrompt:
    """The stable instructions (cached), then this script."""
    return OneShotPrompt(
        EXTRACTION_INSTRUCTIONS, (f"Fix: {title}\nLanguage: {language}\nScript:\n{script}",)
    )


async def extract_template(ask: Ask, script: str, language: str, title: str) -> Extraction:
    """A draft template from ``script``; never raises for what the model does."""
    name = title.strip() or "Script"

    def original(reason: str) -> Extraction:
        log.info("template extraction kept the original script: %s", reason)
        return Extraction(name, script, [], True, reason)

    try:
        answer = await ask(extraction_prompt(script, language, title))
    except Exception as error:
        return original(f"the model could not answer ({type(error).__name__})")
    if not answer:
        return original("no Anthropic API key is set")
    try:
        data = json.loads(_FENCE.sub("", answer.strip()))
        if not isinstance(data, dict):
            raise ValueError("not an object")
    except ValueError:
        return original("the model's answer was not valid JSON")
    body = data.get("templated_body")
    raw_parameters = data.get("parameters")
    values = data.get("values")
    if (
        not isinstance(body, str)
        or not isinstance(raw_parameters, list)
        or not isinstance(values, dict)
    ):
        return original("the model's answer lacked the body, the parameters or their values")
    try:
        parameters = [
            # a proposed default must never carry a concrete secret into the library
            Parameter(**{**p.to_dict(), "choices": p.choices, "default": None})
            if p.is_sensitive
            else p
            for p in parse_schema(p for p in raw_parameters if isinstance(p, dict))
        ]
        check_template(body, parameters, language)
    except TemplateError as error:
        return original(f"the proposed template is not valid ({error.problems[0]})")
    concrete = {str(k): str(v) for k, v in values.items()}
    if render(body, concrete) != script:
        return original("the proposed template does not give back the original script")
    return Extraction(str(data.get("name") or name).strip() or name, body, parameters)
