"""PSScriptAnalyzer's findings, where a technician's machine has it (issue 18's script check).

``pwsh`` (or Windows PowerShell) analyses a temporary copy of the script with
``Invoke-ScriptAnalyzer -Severity Warning,Error``; the script itself never runs. The process
has 10 s; when PowerShell or the module is missing, the check says so and goes on with syntax
only. The runner is injected, so tests read canned JSON without PowerShell.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from flowpilot_desktop.scripts.check import Finding, Severity

CommandRunner = Callable[[Sequence[str], float], Awaitable[str]]
"""(argv, timeout in seconds) → standard output; raises TimeoutError or OSError."""

TIMEOUT_SECONDS = 10.0
NOT_INSTALLED = "PSScriptAnalyzer not installed: syntax only"
TOO_SLOW = "PSScriptAnalyzer took longer than 10 s: syntax only"
UNREADABLE = "PSScriptAnalyzer's answer could not be read: syntax only"
_MISSING_MARK = "FLOWPILOT-NO-ANALYZER"
_SEVERITIES: dict[object, Severity] = {
    "warning": "warning",
    "error": "error",
    "parseerror": "error",
    1: "warning",
    2: "error",
    3: "error",
}
_known_missing = False  # asked once per run of the app: PowerShell starts slowly


def powershell_executable() -> str | None:
    return shutil.which("pwsh") or shutil.which("powershell")


async def analyze(
    text: str, run_command: CommandRunner | None = None
) -> tuple[tuple[Finding, ...], str | None]:
    """The analyzer's findings, and a note when it could not run."""
    global _known_missing
    executable = powershell_executable()
    if run_command is None:
        if executable is None or _known_missing:
            return (), NOT_INSTALLED
        run_command = run_process
    with tempfile.TemporaryDirectory(prefix="flowpilot-check-") as folder:
        path = Path(folder) / "script.ps1"
        path.write_text(text, encoding="utf-8-sig")  # the BOM: Windows PowerShell reads UTF-8
        argv = [executable or "pwsh", "-NoProfile", "-NonInteractive", "-Command", _command(path)]
        try:
            output = await run_command(argv, TIMEOUT_SECONDS)
        except TimeoutError:
            return (), TOO_SLOW
        except OSError:
            return (), NOT_INSTALLED
    if output.strip() == _MISSING_MARK:
        _known_missing = run_command is run_process
        return (), NOT_INSTALLED
    return parse_analyzer_output(output)


def parse_analyzer_output(output: str) -> tuple[tuple[Finding, ...], str | None]:
    """``ConvertTo-Json`` of the diagnostics (an array, or one object when PowerShell unwrapped
    it); Information-level records are dropped."""
    if not output.strip():
        return (), None
    try:
        records = json.loads(output)
    except json.JSONDecodeError:
        return (), UNREADABLE
    if isinstance(records, dict):
        records = [records]
    if not isinstance(records, list):
        return (), UNREADABLE
    findings = []
    for record in records:
        if not isinstance(record, dict):
            continue
        raw = record.get("Severity")
        severity = _SEVERITIES.get(raw.lower() if isinstance(raw, str) else raw)
        if severity is None:
            continue
        rule = record.get("RuleName") or record.get("Rule") or ""
        message = str(record.get("Message") or rule or "PSScriptAnalyzer finding").strip()
        if rule:
            message = f"{message} ({rule})"
        line, column = _number(record.get("Line")), _number(record.get("Column"))
        findings.append(Finding(line, column, severity, message, "analyzer"))
    return tuple(findings), None


async def run_process(argv: Sequence[str], timeout: float) -> str:
    """The process in a worker thread (subprocess.run kills it at the timeout): works on any
    event loop, qasync's included, and opens no console window on Windows."""

    def run() -> str:
        flags: int = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # Windows only
        try:
            done = subprocess.run(
                list(argv),
                capture_output=True,
                stdin=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
                creationflags=flags,
            )
        except subprocess.TimeoutExpired as error:
            raise TimeoutError from error
        return done.stdout.decode("utf-8", "replace")

    return await asyncio.to_thread(run)


def _command(path: Path) -> str:
    quoted = str(path).replace("'", "''")
    return (
        "$ErrorActionPreference = 'Stop'; "
        "[Console]::OutputEncoding = [Text.Encoding]::UTF8; "
        "if (-not (Get-Module -ListAvailable -Name PSScriptAnalyzer)) "
        f"{{ '{_MISSING_MARK}'; exit 0 }}; "
        f"$found = @(Invoke-ScriptAnalyzer -Path '{quoted}' -Severity Warning,Error | "
        "ForEach-Object { [pscustomobject]@{ Line = $_.Line; Column = $_.Column; "
        'Severity = "$($_.Severity)"; RuleName = $_.RuleName; Message = $_.Message } }); '
        "ConvertTo-Json -InputObject $found -Compress"
    )


def _number(value: object) -> int:
    return value if isinstance(value, int) and value > 0 else 1
