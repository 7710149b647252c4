"""The deployable artefacts: ``chalice package`` for each Chalice project, then made fast to start.

    python -m infra.package --stage dev [--out build/]     # build/public/ and build/admin/

The service is two Chalice projects sharing ``chalicelib/`` (README: Architecture): the public
edge (``.``) and the control plane (``admin/``, whose ``chalicelib`` is a link that ``chalice
package`` follows). Each output folder holds Chalice's ``sam.json`` and ``deployment.zip``, which
this step rewrites, for two measured reasons (``bench/coldstart_bench.py``, ``bench/RESULTS.md``):

- **No second AWS SDK.** ``requirements.txt`` pins pynamodb, which depends on botocore, so Chalice
  bundles botocore (2,000+ files) and its dependencies although Lambda's Python runtime has them.
  The public edge's bundle drops them and uses the runtime's. The control plane keeps them,
  pinned on purpose: its packager writes packages with S3 conditional writes (``IfNoneMatch``),
  which a runtime's older botocore may not know, and write-once is a guarantee of this service.
- **Compiled bytecode.** Lambda's file system is read-only, so without ``.pyc`` in the bundle every
  cold start compiles every module it imports. Every module is compiled here for the runtime's
  Python (3.11, the same as the build's: checked) with ``unchecked-hash`` invalidation, so the
  zip's timestamps do not matter and the interpreter never re-reads the sources to validate.

The public edge's ``sam.json`` is rewritten in one place: Chalice names its API function's handler
``app.app``, the whole app, whose import alone costs a cold start most of its time; that function's
handler becomes ``chalicelib.api.entry.handler`` (``chalicelib/api/entry.py`` says why), which
answers the checks it can without importing the app and hands everything else to it. The rest of
Chalice's template is kept as it wrote it.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalice.utils import serialize_to_json

ROOT = Path(__file__).resolve().parent.parent
#: The Lambda runtime these artefacts are compiled for (``.chalice/config.json`` has no override).
RUNTIME = (3, 11)
#: The logical id Chalice gives the function serving every route of a project's REST API.
API_FUNCTION = "APIHandler"
#: What Lambda's Python runtime provides: the AWS SDK and what it depends on (top-level names in
#: the bundle: packages, their ``.dist-info`` folders, single modules).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
_DIST_INFO = {"dateutil": "python_dateutil"}


@dataclass(frozen=True)
class Project:
    """One Chalice project and what its artefact keeps of the runtime's SDK."""

    name: str
    directory: Path
    keeps_sdk: bool
    #: The API function's Lambda handler, when not Chalice's own ``app.app``.
    api_handler: str | None = None

    @property
    def app_name(self) -> str:
        config: dict[str, Any] = json.loads((self.directory / ".chalice" / "config.json").read_text())
        return str(config["app_name"])


PROJECTS = (
    Project("public", ROOT, keeps_sdk=False, api_handler="chalicelib.api.entry.handler"),
    Project("admin", ROOT / "admin", keeps_sdk=True),
)


def chalice_package(project: Project, stage: str, out: Path) -> None:
    """``chalice package`` as CI runs it: from the project's folder, no AWS call, no stack needed."""
    chalice = Path(sys.executable).with_name("chalice")
    # Chalice asks for a region even to package; nothing is called, so a fresh machine needs none.
    env = {**os.environ}
    env.setdefault("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))
    subprocess.run(  # noqa: S603 - our own command line
        [str(chalice), "package", "--stage", stage, str(out)], cwd=project.directory, check=True, env=env
    )


def _provided_by_runtime(name: str) -> bool:
    top = name.split("/", 1)[0]
    for dist in RUNTIME_PROVIDED:
        info = _DIST_INFO.get(dist, dist)
        if top in (dist, f"{dist}.py") or (top.startswith(f"{info}-") and top.endswith(".dist-info")):
            return True
    return False


def api_handler(output: Path) -> str:
    """The handler ``output``'s template (``sam.json``) gives the API function: what Lambda imports."""
    template: dict[str, Any] = json.loads((output / "sam.json").read_text())
    return str(template["Resources"][API_FUNCTION]["Properties"]["Handler"])


def point_api_function(template_path: Path, handler: str) -> None:
    """Rewrite the template's API function to start at ``handler``, in Chalice's own JSON layout."""
    template: dict[str, Any] = json.loads(template_path.read_text())
    template["Resources"][API_FUNCTION]["Properties"]["Handler"] = handler
    template_path.write_text(serialize_to_json(template))


def finish(project: Project, output: Path) -> None:
    """What this step makes of ``chalice package``'s ``output`` for ``project``: its handler, if
    not Chalice's, and its bundle optimised."""
    if project.api_handler is not None:
        point_api_function(output / "sam.json", project.api_handler)
    optimise(output / "deployment.zip", keep_sdk=project.keeps_sdk)


def optimise(bundle: Path, *, keep_sdk: bool) -> None:
    """Rewrite ``bundle`` (Chalice's deployment.zip) in place: without the runtime's SDK unless
    ``keep_sdk``, with every module compiled. Entry order and dates are fixed, so the same
    sources give the same bytes."""
    if sys.version_info[:2] != RUNTIME:
        raise SystemExit(f"compile with Python {RUNTIME[0]}.{RUNTIME[1]}, the Lambda runtime's")
    with tempfile.TemporaryDirectory(prefix="igny8-bundle-") as workdir:
        tree = Path(workdir)
        with zipfile.ZipFile(bundle) as source:
            kept = [n for n in source.namelist() if keep_sdk or not _provided_by_runtime(n)]
            for name in kept:
                source.extract(name, tree)
        compileall.compile_dir(
            tree, quiet=2, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH, workers=0
        )
        rewritten = bundle.with_suffix(".tmp")
        with zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED) as target:
            for path in sorted(p for p in tree.rglob("*") if p.is_file()):
                entry = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=(1980, 1, 1, 0, 0, 0))
                entry.external_attr = 0o644 << 16
                entry.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(entry, path.read_bytes())
        rewritten.replace(bundle)


def build(stage: str, out: Path) -> dict[str, Path]:
    """Both artefacts under ``out`` (``out/public``, ``out/admin``); their folders by name."""
    built = {}
    for project in PROJECTS:
        folder = out / project.name
        shutil.rmtree(folder, ignore_errors=True)
        chalice_package(project, stage, folder)
        finish(project, folder)
        built[project.name] = folder
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stage", required=True, choices=["dev", "prod"])
    parser.add_argument("--out", type=Path, default=ROOT / "build")
    args = parser.parse_args(argv)
    for name, folder in build(args.stage, args.out).items():
        with zipfile.ZipFile(folder / "deployment.zip") as bundle:
            size = sum(entry.file_size for entry in bundle.infolist())
            print(f"{name}: {folder} ({len(bundle.namelist())} files, {size / 1e6:.1f} MB unpacked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
