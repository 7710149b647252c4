"""Deploy a stage to AWS: the template's resources, then the Chalice app wired to them.

    python -m infra.deploy --stage dev

1. ``infra.stack.deploy`` creates/updates the CloudFormation stack from ``infra/template.yaml``.
2. Its outputs become the stage's environment in ``.chalice/config.json`` (the Lambdas read them
   through ``chalicelib.settings``), so there is no second, hand-kept list of resource names.
3. ``chalice deploy --stage`` ships the API and the packager's SQS consumer. Keep
   ``.chalice/deployed/<stage>.json`` between CI runs, or Chalice creates a new API.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from infra import stack
from infra.keys import KeyStore

CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"


def write_stage_environment(stage: str, environment: dict[str, str], config_path: Path = CONFIG) -> None:
    config = json.loads(config_path.read_text())
    stage_config = config["stages"].setdefault(stage, {})
    stage_config.setdefault("environment_variables", {}).update(environment)
    config_path.write_text(json.dumps(config, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stage", required=True, choices=["dev", "prod"])
    parser.add_argument("--public-base-url", default="", help="e.g. https://api.igny8.com/api")
    parser.add_argument("--skip-chalice", action="store_true", help="only deploy the resources")
    args = parser.parse_args(argv)
    outputs = stack.deploy(stage=args.stage)
    print(f"active signing key: {KeyStore.of_stack(outputs).ensure()}")
    environment = stack.environment(outputs)
    if args.public_base_url:
        environment["PUBLIC_BASE_URL"] = args.public_base_url
    write_stage_environment(args.stage, environment)
    print(json.dumps(outputs, indent=2))
    if args.skip_chalice:
        return 0
    return subprocess.call(["chalice", "deploy", "--stage", args.stage])  # noqa: S603, S607


if __name__ == "__main__":
    sys.exit(main())
