"""The release workflow, read (it cannot run here): a version tag builds on the four targets,
checks the frozen bundle, makes the installer/dmg/tarball, and signs only with secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _steps(workflow: dict) -> list[dict]:
    return workflow["jobs"]["build"]["steps"]


def test_a_version_tag_builds_on_windows_both_macs_and_linux(workflow) -> None:
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["tags"] == ["v*"]
    targets = {
        entry["name"]: entry for entry in workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
    }
    assert set(targets) == {"windows-x64", "macos-arm64", "macos-x86_64", "linux-x86_64"}
    assert targets["macos-arm64"]["arch"] == "arm64" and targets["macos-x86_64"]["arch"] == "x86_64"
    assert targets["macos-x86_64"]["os"] == "macos-15-intel"


def test_every_step_is_well_formed(workflow) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert text.count("${{") == text.count("}}"), "every expression is closed"
    for job in workflow["jobs"].values():
        assert job["runs-on"]
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
            condition = step.get("if", "")
            assert "secrets." not in condition, "secrets can't be read in if: (use env)"


def test_the_frozen_bundle_is_checked_and_packaged(workflow) -> None:
    runs = "\n".join(step.get("run", "") for step in _steps(workflow))
    assert "pyinstaller --noconfirm --clean build.spec" in runs
    assert "packaging/check_frozen.py" in runs
    assert r"packaging\windows\flowpilot.iss" in runs
    assert "dmgbuild -s packaging/macos/dmg_settings.py" in runs
    assert "packaging/macos/notarize.sh" in runs
    assert "tar -C dist -czf" in runs
    assert '".[test,bundle]"' in runs, "PyInstaller comes pinned from pyproject.toml"


def test_signing_runs_only_when_its_secrets_are_set(workflow) -> None:
    for step in _steps(workflow):
        name = step.get("name", "")
        if "Signing certificate" in name or "Sign the executable" in name:
            assert re.search(r"env\.(MACOS|WINDOWS)_CERTIFICATE != ''", step["if"])
    iss_step = next(s for s in _steps(workflow) if s.get("name") == "Installer (Windows)")
    assert "if ($env:WINDOWS_CERTIFICATE)" in iss_step["run"]


def test_ci_mirrors_the_linux_part() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "packaging/check_frozen.py" in ci
    assert "make bundle" in ci
