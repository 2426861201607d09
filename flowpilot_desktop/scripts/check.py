"""The script check (issue 18): what a technician should know before copying or running a script.

Three sources, none of which runs the script:

- **syntax**: PowerShell and Bash through their tree-sitter grammars (ERROR and MISSING nodes),
  Python through ``ast``; Batch is not covered.
- **analyzer**: PSScriptAnalyzer at Warning and Error, only where ``pwsh`` (or Windows
  PowerShell) and the module are installed, and only from ``check_script_async``.
- **danger**: a short list of destructive patterns (``dangers.py``).

A check warns; it never blocks. Positions are 1-based lines and columns, in characters.
"""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Literal

from flowpilot_desktop.scripts.templates import PLACEHOLDER

if TYPE_CHECKING:
    import tree_sitter

    from flowpilot_desktop.scripts.analyzer import CommandRunner

Severity = Literal["error", "warning"]
Source = Literal["syntax", "analyzer", "danger"]

MAX_SYNTAX_FINDINGS = 10
"""Past the first few, a parser's errors mostly echo the first one."""
BATCH_NOTE = "The check does not cover Batch syntax: dangerous patterns only."
# Two things valid PowerShell writes that the grammar does not know, rewritten to the same
# length before parsing: numeric multipliers after an operator ($size / 1GB), and bare words
# in a comma list of command arguments (Select-Object Name, Status).
_MULTIPLIER = re.compile(r"(?<=\d)(KB|MB|GB|TB|PB)\b", re.IGNORECASE)
_BARE_WORD = r"[A-Za-z0-9_*?.\\/:~%+][\w*?.\\/:~%+\-]*"
_BARE_WORD_LIST = re.compile(
    rf"(?:(?<=[\s,])|^)({_BARE_WORD})(?=\s*,)|(?<=,)(\s*)({_BARE_WORD})(?=$|[\s,|;}}])",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Finding:
    line: int
    column: int
    severity: Severity
    message: str
    source: Source


@dataclass(frozen=True)
class ScriptCheck:
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = field(default=())
    """What the check did not cover ("PSScriptAnalyzer not installed: syntax only")."""

    @property
    def dangers(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.source == "danger")

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


def check_script(text: str, language: str) -> ScriptCheck:
    """Syntax and dangerous patterns, synchronously (no analyzer: that starts a process)."""
    from flowpilot_desktop.scripts.dangers import danger_findings

    findings, notes = syntax_findings(text, language)
    return _sorted(ScriptCheck((*findings, *danger_findings(text)), notes))


async def check_script_async(
    text: str, language: str, *, run_command: CommandRunner | None = None
) -> ScriptCheck:
    """``check_script`` off the event loop's thread, plus PSScriptAnalyzer for PowerShell where
    it is installed. ``run_command`` replaces the process runner (tests pass a fake)."""
    from flowpilot_desktop.scripts import analyzer

    check = await asyncio.to_thread(check_script, text, language)
    if language != "powershell" or not text.strip():
        return check
    found, note = await analyzer.analyze(text, run_command)
    notes = check.notes + ((note,) if note else ())
    return _sorted(ScriptCheck(check.findings + found, notes))


def syntax_findings(text: str, language: str) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    """The syntax errors, and a note when the language has no syntax check."""
    if language == "python":
        return _python_findings(text), ()
    if language in ("powershell", "bash"):
        return _tree_sitter_findings(_neutral_placeholders(text, language), language), ()
    if language == "batch":
        return (), (BATCH_NOTE,)
    name = language or "this language"
    return (), (f"The check does not cover {name}: dangerous patterns only.",)


# ---- Python


def _python_findings(text: str) -> tuple[Finding, ...]:
    try:
        ast.parse(_neutral_placeholders(text, "python"))
    except SyntaxError as error:
        column = max(error.offset or 1, 1)
        message = error.msg[:1].upper() + error.msg[1:]
        return (Finding(error.lineno or 1, column, "error", message, "syntax"),)
    return ()


# ---- tree-sitter


@cache
def _parser(language: str) -> tree_sitter.Parser:
    """One parser per grammar, loaded when first needed (not at start-up)."""
    import tree_sitter

    if language == "powershell":
        import tree_sitter_powershell as grammar
    else:
        import tree_sitter_bash as grammar  # type: ignore[no-redef]
    return tree_sitter.Parser(tree_sitter.Language(grammar.language()))


_OPENERS = {"(": ")", "@(": ")", "$(": ")", "{": "}", "@{": "}", "${": "}", "[": "]"}
_CLOSERS = frozenset(_OPENERS.values())
_QUOTES = ('"', "'", '@"', "@'")


def _tree_sitter_findings(text: str, language: str) -> tuple[Finding, ...]:
    source = text.encode("utf-8")
    tree = _parser(language).parse(source)
    lines = source.split(b"\n")
    findings: list[Finding] = []
    seen_lines: set[int] = set()
    for node in _problem_nodes(tree.root_node):
        if node.is_missing:
            (row, byte_column), message = node.start_point, f"Missing `{node.type}`"
        else:
            (row, byte_column), message = _describe_error(node, source)
        if row in seen_lines:
            continue
        seen_lines.add(row)
        line = lines[row] if row < len(lines) else b""
        column = len(line[:byte_column].decode("utf-8", "replace")) + 1
        findings.append(Finding(row + 1, column, "error", message, "syntax"))
        if len(findings) >= MAX_SYNTAX_FINDINGS:
            break
    return tuple(findings)


def _problem_nodes(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """MISSING nodes, and the outermost ERROR nodes (the span the parser gave up on)."""
    if node.is_missing or node.is_error:
        yield node
        return
    for child in node.children:
        if child.has_error or child.is_missing:
            yield from _problem_nodes(child)


def _describe_error(node: tree_sitter.Node, source: bytes) -> tuple[tuple[int, int], str]:
    """Where and why, in a technician's words. Tree-sitter only says "error here", so look
    for the usual causes in order: a bracket left open or closed twice, a string left open
    (the quote swallowed the rest), else the first token where the parser stumbled."""
    leaves = [leaf for leaf in _leaves(node) if leaf.end_byte > leaf.start_byte]
    opened: list[tree_sitter.Node] = []
    for leaf in leaves:
        token = leaf.type if leaf.type in _OPENERS or leaf.type in _CLOSERS else _text(leaf)
        if token in _OPENERS:
            opened.append(leaf)
        elif token in _CLOSERS:
            if opened and _OPENERS[_text(opened[-1])] == token:
                opened.pop()
            else:
                return _point(leaf), f"Unexpected `{token}`: nothing to close"
    if opened:
        leaf = opened[-1]
        return _point(leaf), f"`{_text(leaf)}` is not closed: missing `{_OPENERS[_text(leaf)]}`"
    for leaf in leaves:
        if leaf.type in _QUOTES:
            return _point(leaf), f"Unclosed string: no matching {leaf.type[-1]}"
    # the lexer may drop an unclosed string altogether: look past the last token it kept
    after = source[leaves[-1].end_byte if leaves else node.start_byte :].lstrip()
    if after[:1] in (b'"', b"'"):
        position = len(source) - len(after)
        row = source.count(b"\n", 0, position)
        column = position - (source.rfind(b"\n", 0, position) + 1)
        return (row, column), f"Unclosed string: no matching {after[:1].decode()}"
    innermost = _innermost_error(node)
    for leaf in _leaves(innermost):
        token = _text(leaf)
        if token[:1] in ('"', "'"):
            return _point(leaf), f"Unclosed string: no matching {token[0]}"
        if token:
            first = token.splitlines()[0]
            shown = first[:40] + ("…" if len(first) > 40 else "")
            return _point(leaf), f"Unexpected `{shown}`"
    return _point(innermost), "Unexpected end of the script"


def _innermost_error(node: tree_sitter.Node) -> tree_sitter.Node:
    for child in node.children:
        if child.is_error or child.has_error:
            return _innermost_error(child)
    return node


def _leaves(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    if not node.children:
        yield node
    for child in node.children:
        yield from _leaves(child)


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace").strip()


def _point(node: tree_sitter.Node) -> tuple[int, int]:
    row, column = node.start_point
    return row, column


def _neutral_placeholders(text: str, language: str) -> str:
    """A template's ``{{name}}`` becomes a plain word of the same length (so positions stay
    right), and PowerShell's grammar gaps are rewritten (see ``_BARE_WORD_LIST``)."""
    text = PLACEHOLDER.sub(lambda m: "x" * len(m.group(0)), text)
    if language == "powershell":
        text = _MULTIPLIER.sub("00", text)
        text = _BARE_WORD_LIST.sub(_as_number, text)
    return text


def _as_number(match: re.Match[str]) -> str:
    if match.group(1):
        return "0" * len(match.group(1))
    return match.group(2) + "0" * len(match.group(3))


def _sorted(check: ScriptCheck) -> ScriptCheck:
    findings = sorted(check.findings, key=lambda f: (f.line, f.column, f.source))
    return ScriptCheck(tuple(findings), check.notes)
