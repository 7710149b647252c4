"""The deployable artefact, built once for every infra test that reads it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("app.py", "chalicelib", ".chalice", "requirements.txt")


@pytest.fixture(scope="session")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`chalice package --stage dev` run once on a copy of what a clone holds; its output folder."""
    tmp_path = tmp_path_factory.mktemp("package")
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in SHIPPED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, clone / name, ignore=shutil.ignore_patterns("__pycache__", "deployed"))
        else:
            shutil.copy2(source, clone / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PACKAGER_", "STAGE"))}
    env["AWS_DEFAULT_REGION"] = "us-east-1"  # chalice asks for one; nothing is called
    chalice = Path(sys.executable).with_name("chalice")
    result = subprocess.run(
        [str(chalice), "package", "--stage", "dev", str(tmp_path / "out")],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return tmp_path / "out"
