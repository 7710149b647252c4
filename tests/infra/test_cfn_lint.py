"""cfn-lint (AWS' own rules for resource types, properties, values and references) over the
template and over the artefact `chalice package` builds: what moto deploys without a word may
still be refused by CloudFormation, or deploy something other than meant."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from infra.stack import TEMPLATE_PATH


def cfn_lint(path: Path) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("cfn-lint")), str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_the_template_passes_cfn_lint() -> None:
    result = cfn_lint(TEMPLATE_PATH)

    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_the_packaged_artefact_passes_cfn_lint(packaged: Path) -> None:
    result = cfn_lint(packaged / "sam.json")

    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


def test_cfn_lint_refuses_what_moto_accepts(tmp_path: Path) -> None:
    """The check can fail: versioning "Enable" (not Enabled) deploys in moto, not in CloudFormation."""
    broken = tmp_path / "template.yaml"
    broken.write_text(TEMPLATE_PATH.read_text().replace("Status: Enabled\n", "Status: Enable\n", 1))

    result = cfn_lint(broken)

    assert result.returncode != 0
    assert "E3030 'Enable' is not one of ['Enabled', 'Suspended']" in result.stdout
