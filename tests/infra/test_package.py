"""`chalice package` builds the deployable artefact from a fresh clone: nothing at import needs a
deployed stack, and the packager consumes the queue the template names for that stage."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra.stack import load_template

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("app.py", "chalicelib", ".chalice", "requirements.txt")


def test_the_packager_queue_follows_the_template_naming_for_each_stage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chalicelib.settings import packager_queue_name  # noqa: PLC0415 - reads the environment

    rule = load_template()["Resources"]["PackagerQueue"]["Properties"]["QueueName"]["Fn::Sub"]
    monkeypatch.delenv("PACKAGER_QUEUE", raising=False)
    for stage in ("dev", "prod", "local"):
        monkeypatch.setenv("STAGE", stage)
        assert packager_queue_name() == rule.replace("${Stage}", stage)
    monkeypatch.setenv("PACKAGER_QUEUE", "deployed-name")
    assert packager_queue_name() == "deployed-name"


def test_chalice_package_works_on_a_fresh_clone(tmp_path: Path) -> None:
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

    template = json.loads((tmp_path / "out" / "sam.json").read_text())
    events = template["Resources"]["PackageSources"]["Properties"]["Events"]
    queue = events["PackageSourcesSqsEventSource"]["Properties"]["Queue"]["Fn::Sub"]
    assert queue.endswith(":igny8-plugins-dev-packager")
    with zipfile.ZipFile(tmp_path / "out" / "deployment.zip") as bundle:
        names = bundle.namelist()
    assert "app.py" in names and "chalicelib/settings.py" in names
    assert not any(n.startswith(("tests/", "igny8_cli/", "plugins/", "infra/")) for n in names)
