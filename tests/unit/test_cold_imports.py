"""What each function's cold start imports: the public function only what its routes need.

A module imported at start is paid for by every cold start of the public function (README: Cold
starts), so these run a fresh interpreter, as Lambda does, and look at what importing the app
loaded. The control plane's request bodies and the OpenAPI generator must not be among them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Only what the public routes can need at start; each is loaded on first use where it is needed.
NOT_AT_START = ("chalicelib.logic.commands", "chalicelib.api.openapi_document", "boto3")


def loaded_by(statement: str) -> set[str]:
    """The modules a fresh interpreter holds after ``statement``."""
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_public_app_loads_no_control_plane_request_model_nor_the_openapi_generator() -> None:
    loaded = loaded_by("import app")
    assert "chalicelib.logic.site_inputs" in loaded  # what its routes read
    assert loaded.isdisjoint(NOT_AT_START), sorted(loaded & set(NOT_AT_START))


def test_the_openapi_generator_is_loaded_by_the_first_request_for_the_document() -> None:
    loaded = loaded_by(
        "from chalice.test import Client\n"
        "from app import app\n"
        "with Client(app) as client:\n"
        "    assert client.http.get('/openapi.json').status_code == 200"
    )
    assert "chalicelib.api.openapi_document" in loaded


def test_the_control_plane_loads_its_own_request_models() -> None:
    assert "chalicelib.logic.commands" in loaded_by("import admin.app")
