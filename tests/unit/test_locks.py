"""The locks pin what pyproject.toml and requirements.txt ask for; `make lock` rewrites them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(lock: Path) -> dict[str, set[str]]:
    """Name to versions: a universal lock may pin a package once per environment marker."""
    found: dict[str, set[str]] = {}
    for name, version in _PIN.findall(lock.read_text(encoding="utf-8")):
        found.setdefault(canonicalize_name(name), set()).add(version)
    return found


def requirements_txt() -> list[Requirement]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in (line.split("#")[0].strip() for line in lines) if line]


def pyproject(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [
        *project["dependencies"],
        *(d for extra in extras for d in project["optional-dependencies"][extra]),
    ]
    return [Requirement(text) for text in declared]


@pytest.mark.parametrize(
    ("lock", "wanted"),
    [
        (RUNTIME_LOCK, requirements_txt()),
        (DEV_LOCK, [*requirements_txt(), *pyproject("dev")]),
    ],
    ids=["runtime", "dev"],
)
def test_every_requirement_is_pinned_within_its_range(lock: Path, wanted: list[Requirement]) -> None:
    locked = pins(lock)
    for requirement in wanted:
        versions = locked.get(canonicalize_name(requirement.name))
        assert versions, f"{requirement.name} is not in {lock.name}: run `make lock`"
        for version in versions:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"{lock.name} pins {requirement.name}=={version}, outside {requirement}: run `make lock`"
            )


def test_the_lambda_bundle_pins_the_versions_the_tests_ran() -> None:
    runtime, dev = pins(RUNTIME_LOCK), pins(DEV_LOCK)

    assert {name: versions for name, versions in runtime.items() if dev.get(name) != versions} == {}


def test_the_runtime_lock_holds_nothing_only_the_cli_and_tools_need() -> None:
    runtime = pins(RUNTIME_LOCK)
    tools = {canonicalize_name(r.name) for r in pyproject("dev")} - {
        canonicalize_name(r.name) for r in requirements_txt()
    }

    assert tools & runtime.keys() == set()


@pytest.mark.parametrize("lock", [RUNTIME_LOCK, DEV_LOCK], ids=["runtime", "dev"])
def test_every_pin_carries_hashes(lock: Path) -> None:
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text(encoding="utf-8"))

    assert [
        entry.split()[0] for entry in entries if _PIN.match(entry) and "--hash=sha256:" not in entry
    ] == []
