"""The installers' scripts, read and (where Linux can) run: the Windows installer is per user
without admin rights, registers flowpilot:// in the user's hive, upgrades in place and refuses
to run while FlowPilot runs; the Linux desktop entry handles flowpilot:// and its installer
script installs, upgrades and removes for one user; the macOS steps skip without credentials."""

from __future__ import annotations

import configparser
import os
import re
import runpy
import shutil
import subprocess
from pathlib import Path

import pytest

from flowpilot_desktop.app import RUNNING_MUTEX

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"


@pytest.fixture(scope="module")
def iss() -> str:
    return (PACKAGING / "windows" / "flowpilot.iss").read_text(encoding="utf-8")


def _setup_value(iss: str, key: str) -> str:
    match = re.search(rf"^{key}=(.*)$", iss, re.MULTILINE)
    assert match, f"{key} is not set"
    return match.group(1).strip()


def test_the_windows_installer_is_per_user_without_admin(iss) -> None:
    assert _setup_value(iss, "PrivilegesRequired") == "lowest"
    assert _setup_value(iss, "PrivilegesRequiredOverridesAllowed") == ""
    assert _setup_value(iss, "DefaultDirName") == r"{localappdata}\Programs\FlowPilot"
    assert re.search(r'^Name: "\{userprograms\}\\', iss, re.MULTILINE), "the user's Start menu"
    assert "HKLM" not in iss and "{commonprograms}" not in iss and "{autopf}" not in iss
    assert (REPO / _setup_value(iss, "SetupIconFile").replace("\\", "/")).is_file()
    assert r'Source: "dist\FlowPilot\*"' in iss


def test_the_windows_installer_registers_flowpilot_links_for_the_user(iss) -> None:
    registry = [line for line in iss.splitlines() if line.startswith("Root:")]
    assert registry and all(line.startswith("Root: HKCU;") for line in registry)
    keys = {re.search(r'Subkey: "([^"]+)"', line).group(1) for line in registry}
    assert keys == {
        r"Software\Classes\flowpilot",
        r"Software\Classes\flowpilot\DefaultIcon",
        r"Software\Classes\flowpilot\shell\open\command",
    }
    assert any('ValueName: "URL Protocol"' in line for line in registry)
    assert any(
        "uninsdeletekey" in line and r'Subkey: "Software\Classes\flowpilot";' in line
        for line in registry
    ), "the uninstaller removes the link handler"
    command = next(line for line in registry if r"shell\open\command" in line)
    assert 'ValueData: """{app}\\{#AppExe}"" ""%1"""' in command, "the link is one argument"


def test_the_windows_installer_upgrades_in_place_and_waits_for_the_app(iss) -> None:
    assert re.fullmatch(
        r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", _setup_value(iss, "AppId")
    )
    assert _setup_value(iss, "UsePreviousAppDir") == "yes"
    assert _setup_value(iss, "AppMutex") == RUNNING_MUTEX, "the mutex the app creates"


def test_the_windows_installer_is_signed_only_when_a_sign_tool_is_given(iss) -> None:
    block = re.search(r"#ifdef Sign\n(.*?)#endif", iss, re.DOTALL)
    assert block and "SignTool=flowpilot" in block.group(1)
    assert iss.count("SignTool=") == 1


def test_the_linux_desktop_entry_handles_flowpilot_links() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(PACKAGING / "linux" / "flowpilot.desktop", encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert "x-scheme-handler/flowpilot" in section["MimeType"].split(";")
    assert section["Exec"].endswith(" %u"), "the link is passed as one URL argument"
    assert section["Icon"] == "flowpilot"
    assert section["Terminal"] == "false"


def _fake_bundle(folder: Path) -> Path:
    bundle = folder / "FlowPilot"
    icons = bundle / "_internal" / "resources" / "icons"
    icons.mkdir(parents=True)
    for png in (REPO / "resources" / "icons").glob("flowpilot-*.png"):
        shutil.copy(png, icons / png.name)
    executable = bundle / "FlowPilot"
    executable.write_text("#!/bin/sh\necho FlowPilot\n")
    executable.chmod(0o755)
    return bundle


@pytest.mark.skipif(os.name != "posix", reason="a shell script for Linux")
def test_the_linux_installer_installs_upgrades_and_removes_for_one_user(tmp_path) -> None:
    home = tmp_path / "home"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    script = PACKAGING / "linux" / "install-desktop.sh"
    bundle = _fake_bundle(tmp_path / "dist")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(script), *args], env=env, capture_output=True, text=True, timeout=60
        )

    first = run(str(bundle))
    assert first.returncode == 0, first.stderr
    installed = home / "data" / "flowpilot-desktop"
    assert (installed / "FlowPilot").is_file()
    entry = (home / "data" / "applications" / "flowpilot.desktop").read_text()
    assert f'Exec="{installed}/FlowPilot" %u' in entry
    assert "MimeType=x-scheme-handler/flowpilot;" in entry
    assert (home / "data" / "icons" / "hicolor" / "256x256" / "apps" / "flowpilot.png").is_file()

    (bundle / "_internal" / "new-version.txt").write_text("2")
    (installed / "_internal" / "left-over.txt").write_text("old")
    assert run(str(bundle)).returncode == 0
    assert (installed / "_internal" / "new-version.txt").is_file()
    assert not (installed / "_internal" / "left-over.txt").exists(), "an upgrade replaces"

    missing = run(str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no FlowPilot bundle" in missing.stderr

    removed = run("--uninstall")
    assert removed.returncode == 0
    assert not installed.exists()
    assert not (home / "data" / "applications" / "flowpilot.desktop").exists()


def test_the_dmg_shows_the_app_beside_applications() -> None:
    settings = runpy.run_path(
        str(PACKAGING / "macos" / "dmg_settings.py"),
        init_globals={"defines": {"app": "dist/FlowPilot.app"}},
    )
    assert settings["files"] == ["dist/FlowPilot.app"]
    assert settings["symlinks"] == {"Applications": "/Applications"}
    assert set(settings["icon_locations"]) == {"FlowPilot.app", "Applications"}


@pytest.mark.skipif(os.name != "posix", reason="a shell script for macOS")
def test_notarizing_is_skipped_without_credentials(tmp_path) -> None:
    dmg = tmp_path / "FlowPilot.dmg"
    dmg.write_bytes(b"not really a dmg")
    done = subprocess.run(
        ["bash", str(PACKAGING / "macos" / "notarize.sh"), str(dmg)],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "FLOWPILOT_CODESIGN_IDENTITY is not set" in done.stdout
