"""The deployable artefact, built once for every infra test that reads it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("app.py", "admin", "chalicelib", ".chalice", "requirements.txt")


def package(tmp_path: Path, project: str) -> Path:
    """`chalice package --stage dev` of one Chalice project (``.``: the public edge, ``admin``: the
    control plane) on a copy of what a clone holds (``admin/chalicelib`` stays a link); its output."""
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in SHIPPED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(
                source,
                clone / name,
                symlinks=True,
                ignore=shutil.ignore_patterns("__pycache__", "deployed", "deployments"),
            )
        else:
            shutil.copy2(source, clone / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PACKAGER_", "STAGE"))}
    env["AWS_DEFAULT_REGION"] = "us-east-1"  # chalice asks for one; nothing is called
    chalice = Path(sys.executable).with_name("chalice")
    result = subprocess.run(
        [str(chalice), "package", "--stage", "dev", str(tmp_path / "out")],
        cwd=clone / project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return tmp_path / "out"


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The public edge's artefact (``app.py``), built once."""
    return package(tmp_path_factory.mktemp("package"), ".")


@pytest.fixture(scope="session")
def packaged_admin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The control plane's artefact (``admin/app.py``: admin API, packager, jobs), built once."""
    return package(tmp_path_factory.mktemp("package-admin"), "admin")
