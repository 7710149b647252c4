"""axe-core, from the npm registry, run on a page in the browser: the console's accessibility check.

axe-core is installed once per machine into a cache directory outside the repository (npm, no
package.json of ours, nothing in the tree); a machine without npm skips loudly, and fails in CI,
like the browser itself (``tests/e2e/browser.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import missing

#: Major version 4: its rule set and result shape (``violations[].impact``, ``nodes[].target``).
AXE_PACKAGE = "axe-core@4"
#: What fails the check: axe's two highest impacts ("moderate" and "minor" are reported by axe
#: tools as advice, and the issue asks for none of the serious or critical ones).
FAILING_IMPACTS = frozenset({"serious", "critical"})


def cache_dir() -> Path:
    return Path(os.environ.get("IGNY8_AXE_DIR") or Path.home() / ".cache" / "igny8-axe")


def axe_script() -> Path:
    """The path of ``axe.min.js``, installing axe-core with npm the first time."""
    script = cache_dir() / "node_modules" / "axe-core" / "axe.min.js"
    if script.exists():
        return script
    npm = shutil.which("npm")
    if npm is None:
        missing("npm is not installed (Debian: apt-get install nodejs npm)", "the console's accessibility")
    cache_dir().mkdir(parents=True, exist_ok=True)
    installed = subprocess.run(
        [npm, "install", "--prefix", str(cache_dir()), "--no-audit", "--no-fund", "--silent", AXE_PACKAGE],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if installed.returncode != 0 or not script.exists():
        missing(f"npm could not install {AXE_PACKAGE}: {installed.stderr.strip()[-500:]}", "accessibility")
    return script


@pytest.fixture(scope="session")
def axe() -> Path:
    """axe-core's script, installed once per machine (the first session installs it)."""
    return axe_script()


def violations(page: Any, script: Path) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now (dialogs open included).

    ``add_script_tag`` inserts an inline script, which the console's nonce CSP refuses: the page
    must come from a context made with ``bypass_csp=True`` (see ``axe_context``)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(script))
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": found["id"],
            "impact": found["impact"],
            "help": found["help"],
            "targets": [node["target"] for node in found["nodes"]],
        }
        for found in results["violations"]
        if found["impact"] in FAILING_IMPACTS
    ]


def assert_accessible(page: Any, script: Path, what: str) -> None:
    """No serious or critical violation on ``page``; on failure each one's id, impact and targets."""
    found = violations(page, script)
    assert not found, f"{what}: axe found serious/critical violations:\n" + "\n".join(
        json.dumps(one) for one in found
    )
