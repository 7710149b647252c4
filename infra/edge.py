"""Deploy the edge of a stage: ``infra/edge.yaml`` (CDN, cache policies, usage plan) and the stage
throttle, once ``chalice deploy`` has created the public REST API they front.

    python -m infra.edge --stage dev          # infra/deploy.py runs this after chalice deploy

A separate stack because its one input, the REST API's id, exists only after ``chalice deploy``
(``infra/deploy.deployed_rest_api``), while ``infra/template.yaml`` must exist before it. The
stage's own throttle cannot be a CloudFormation resource either (the stage is Chalice's), so it is
put with ``UpdateStage`` from the stack's outputs: the values live in the template only.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import yaml

from infra import stack

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.type_defs import ParameterTypeDef

TEMPLATE_PATH = Path(__file__).with_name("edge.yaml")

log = logging.getLogger(__name__)


def stack_name(stage: str) -> str:
    return f"igny8-plugins-{stage}-edge"


def load_template() -> dict[str, Any]:
    """The edge template as data, for the guards (long-form intrinsics only: plain YAML reads it)."""
    template: dict[str, Any] = yaml.safe_load(TEMPLATE_PATH.read_text(encoding="utf-8"))
    return template


def deploy(
    rest_api_id: str,
    *,
    stage: str,
    stage_name: str = "api",
    session: boto3.session.Session | None = None,
    endpoint_url: str | None = None,
) -> dict[str, str]:
    """Create or update the edge stack of ``stage`` for ``rest_api_id``, throttle its stage, and
    return the stack's outputs (the CDN's domain among them)."""
    session = session or boto3.session.Session()
    cfn = session.client("cloudformation", endpoint_url=endpoint_url)
    name = stack_name(stage)
    parameters: list[ParameterTypeDef] = [
        {"ParameterKey": "Stage", "ParameterValue": stage},
        {"ParameterKey": "RestApiId", "ParameterValue": rest_api_id},
        {"ParameterKey": "StageName", "ParameterValue": stage_name},
    ]
    body = TEMPLATE_PATH.read_text(encoding="utf-8")
    if stack._stack_exists(cfn, name):
        stack._update(cfn, name, body, parameters)
    else:
        cfn.create_stack(StackName=name, TemplateBody=body, Parameters=parameters)
        stack._wait(cfn, name, "stack_create_complete")
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]
    outputs = {out["OutputKey"]: out["OutputValue"] for out in described.get("Outputs", [])}
    throttle_stage(session.client("apigateway", endpoint_url=endpoint_url), rest_api_id, stage_name, outputs)
    return outputs


def throttle_stage(client: Any, rest_api_id: str, stage_name: str, outputs: dict[str, str]) -> None:
    """Put the template's stage rate and burst on every method of the stage (``/*/*``): the limit
    anonymous traffic meets, with API Gateway's 429 (our error shape, ``infra/deploy.py``)."""
    rate, burst = outputs["StageRateLimit"], outputs["StageBurstLimit"]
    client.update_stage(
        restApiId=rest_api_id,
        stageName=stage_name,
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(float(rate))},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(int(float(burst)))},
        ],
    )
    log.info(
        "stage throttled",
        extra={"rest_api_id": rest_api_id, "stage": stage_name, "rate": rate, "burst": burst},
    )


def main(argv: list[str] | None = None) -> int:
    from infra.deploy import CONFIG, deployed_rest_api  # noqa: PLC0415 - deploy imports this module

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stage", required=True, choices=["dev", "prod"])
    args = parser.parse_args(argv)
    stage_name = json.loads(CONFIG.read_text()).get("api_gateway_stage", "api")
    print(
        json.dumps(deploy(deployed_rest_api(args.stage), stage=args.stage, stage_name=stage_name), indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
