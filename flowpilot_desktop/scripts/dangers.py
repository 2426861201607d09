"""Destructive patterns the script check flags before Copy or "I ran this" (issue 18).

Regular expressions over each line, case-insensitive, for PowerShell, Bash and cmd alike: a
short list of things a technician almost never means to run on a client's machine. Each
finding says in one sentence why. Comment lines are skipped. A finding warns; it never blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flowpilot_desktop.scripts.check import Finding

_FLAGS = re.IGNORECASE

_DELETE_COMMANDS = frozenset({"remove-item", "ri", "rm", "rmdir", "rd", "del", "erase"})
# a bare root or profile folder, optionally with \ or /* after it (the folder's contents)
_PROTECTED_TARGET = re.compile(
    r"""(?:
        [a-z]:[\\/]?                                  # a drive: C: or C:\ (or C:/)
      | [a-z]:[\\/](?:users|windows|program\ files(?:\ \(x86\))?)[\\/]?
      | \$env:(?:userprofile|systemdrive|systemroot|windir|homedrive|programfiles|public)[\\/]?
      | \$\{env:(?:userprofile|systemdrive|systemroot|windir)\}[\\/]?
      | \$home[\\/]? | \$\{home\}[\\/]? | ~[\\/]? | ~\w+[\\/]?
      | /(?:home|root|etc|usr|var|boot|bin|lib|opt|srv)?/?
    )\*?(?:\.\*)?""",
    _FLAGS | re.VERBOSE,
)
# -Recurse and its abbreviations, rm's -r / -rf / -fR …, --recursive, and cmd's /s
_RECURSE_FLAG = re.compile(
    r"^(?:-r(?:e(?:c(?:u(?:r(?:s(?:e)?)?)?)?)?)?|-[fvi]*r[fvi]*|--recursive|/s)$", _FLAGS
)
_TOKEN = re.compile(r""""[^"]*"|'[^']*'|[^\s"']+""")
_SEGMENT_END = re.compile(r";|&&|\|\||\|")
_COMMENT = re.compile(r"^\s*(?:#|::|rem\b)", _FLAGS)


@dataclass(frozen=True)
class DangerPattern:
    name: str
    why: str
    matches: Callable[[str], re.Match[str] | None]


def _regex(pattern: str) -> Callable[[str], re.Match[str] | None]:
    return re.compile(pattern, _FLAGS).search


def _recursive_delete(line: str) -> re.Match[str] | None:
    """``Remove-Item -Recurse`` / ``rm -rf`` / ``rd /s`` whose target is a root or profile
    folder: checked token by token, so ``Remove-Item -Recurse C:\\Temp\\x`` is left alone."""
    start = 0
    for end_match in [*_SEGMENT_END.finditer(line), None]:
        end = end_match.start() if end_match else len(line)
        segment = line[start:end]
        tokens = list(_TOKEN.finditer(segment))
        words = [t.group(0).strip("\"'") for t in tokens]
        if words and words[0].lower() == "sudo":
            tokens, words = tokens[1:], words[1:]
        if words and words[0].lower() in _DELETE_COMMANDS:
            recursive = any(_RECURSE_FLAG.match(w) for w in words[1:])
            protected = any(_PROTECTED_TARGET.fullmatch(w) for w in words[1:])
            if recursive and protected:
                return re.compile(re.escape(tokens[0].group(0))).search(line, start)
        start = end_match.end() if end_match else len(line)
    return None


PATTERNS: tuple[DangerPattern, ...] = (
    DangerPattern(
        "recursive delete of a root or profile folder",
        "It deletes a whole drive, system or profile folder and everything under it.",
        _recursive_delete,
    ),
    DangerPattern(
        "Format-Volume",
        "It formats a volume: every file on it is lost.",
        _regex(r"\bFormat-Volume\b"),
    ),
    DangerPattern(
        "Clear-Disk",
        "It wipes a disk's partitions and data.",
        _regex(r"\bClear-Disk\b"),
    ),
    DangerPattern(
        "mkfs / dd to a disk",
        "It overwrites a disk or partition with a new file system or raw data.",
        _regex(r"\bmkfs(?:\.\w+)?\b|\bdd\b.*\bof=/dev/(?:sd|hd|vd|nvme|xvd|disk|mmcblk)"),
    ),
    DangerPattern(
        "disabling Defender",
        "It turns off Microsoft Defender's protection on this machine.",
        _regex(
            r"\bSet-MpPreference\b.*-Disable\w*\s*:?\s*(?:\$true|1)\b"
            r"|\bDisableAntiSpyware\b|\bDisableRealtimeMonitoring\b.*\b(?:1|\$true)\b"
            r"|\b(?:Stop|Set)-Service\b.*\bWinDefend\b|\bsc(?:\.exe)?\s+(?:stop|config)\s+WinDefend\b"
        ),
    ),
    DangerPattern(
        "disabling the firewall",
        "It turns the firewall off, leaving every port open to the network.",
        _regex(
            r"\bSet-NetFirewallProfile\b.*-Enabled\s*:?\s*(?:\$?false|0)\b"
            r"|\bnetsh\s+(?:advfirewall|firewall)\s+set\b.*\b(?:state\s+off|opmode\s+(?:mode=)?disable)"
            r"|\bufw\s+disable\b|\bsystemctl\s+(?:stop|disable|mask)\s+(?:firewalld|ufw)\b"
        ),
    ),
    DangerPattern(
        "Invoke-Expression of downloaded text",
        "It runs whatever a web address returns, unseen, with this session's rights.",
        _regex(
            r"\b(?:Invoke-WebRequest|iwr|Invoke-RestMethod|irm|curl|wget|DownloadString)\b"
            r".*\|\s*(?:iex|Invoke-Expression)\b"
            r"|\b(?:iex|Invoke-Expression)\b.*\b(?:DownloadString|Invoke-WebRequest|iwr"
            r"|Invoke-RestMethod|irm)\b"
        ),
    ),
    DangerPattern(
        "Set-ExecutionPolicy Unrestricted / Bypass",
        "It lets any script run on this machine, signed or not, from now on.",
        _regex(r"\bSet-ExecutionPolicy\b.*\b(?:Unrestricted|Bypass)\b"),
    ),
    DangerPattern(
        "download piped to a shell",
        "It runs whatever a web address returns, unseen, in a shell.",
        _regex(
            r"\b(?:curl|wget)\b[^|]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:ba|z|da|k)?sh\b"
            r"|\b(?:ba|z)?sh\b.*(?:<\(|\$\()\s*(?:curl|wget)\b"
        ),
    ),
)


def danger_findings(text: str) -> tuple[Finding, ...]:
    """One warning per dangerous pattern on a line, at where it starts."""
    findings: list[Finding] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if _COMMENT.match(line):
            continue
        for pattern in PATTERNS:
            match = pattern.matches(line)
            if match is not None:
                message = f"Dangerous: {pattern.name}. {pattern.why}"
                findings.append(Finding(number, match.start() + 1, "warning", message, "danger"))
    return tuple(findings)
