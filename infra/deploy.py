"""Deploy a stage to AWS: the template's resources, then the two Chalice apps wired to them.

    python -m infra.deploy --stage dev

1. ``infra.stack.deploy`` creates/updates the CloudFormation stack from ``infra/template.yaml``.
2. Its outputs become the stage's environment in both projects' ``config.json`` (the Lambdas read
   them through ``chalicelib.settings``), so there is no second, hand-kept list of resource names.
3. ``chalice deploy --stage`` ships each project: the public edge (``.``: public and site routes)
   and the control plane (``admin/``: the admin API, the packager's SQS consumer, the scheduled
   jobs), each a REST API and functions with roles of their own. Keep ``.chalice/deployed/`` and
   ``admin/.chalice/deployed/`` between CI runs, or Chalice creates new APIs. Then every function's
   code is replaced by its optimised bundle (``infra/package.py``: compiled, and for the public
   edge without the runtime's SDK), what ``bench/coldstart_bench.py`` measures.
4. API Gateway's own error answers (unknown route or method, missing or bad signature, throttling,
   oversize bodies, integration failures) are given the service's error shape with Gateway
   Responses, and the stage is redeployed. They cannot live in ``infra/template.yaml`` (the REST
   API is Chalice's, created after that stack) and Chalice has no setting for them; its deploy
   overwrites the API definition, so they are put again after every ``chalice deploy``.
5. The edge (``infra/edge.py``): the CDN in front of that API, its usage plan and stage throttle.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3

from infra import edge, stack
from infra.keys import KeyStore
from infra.package import PROJECTS, Project, build

CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"
DEPLOYED = CONFIG.parent / "deployed"
#: Where the optimised bundles are built before they replace Chalice's.
BUILD = CONFIG.parent.parent / "build"

#: API Gateway's answers made before our Lambda runs: response type -> (status or None to keep
#: API Gateway's, code). Everything else falls under DEFAULT_4XX / DEFAULT_5XX.
#: MISSING_AUTHENTICATION_TOKEN is what API Gateway answers for an unknown route or method (403);
#: it is a 404 ``not_found`` here as locally. An unsigned admin request gets it too, hence the message.
GATEWAY_RESPONSES: dict[str, tuple[str | None, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": ("404", "not_found"),
    "UNAUTHORIZED": (None, "unauthorized"),
    "ACCESS_DENIED": (None, "forbidden"),
    "INVALID_SIGNATURE": (None, "forbidden"),
    "EXPIRED_TOKEN": (None, "forbidden"),
    "REQUEST_TOO_LARGE": (None, "body_too_large"),
    "UNSUPPORTED_MEDIA_TYPE": (None, "unsupported_media_type"),
    "THROTTLED": (None, "rate_limited"),
    "QUOTA_EXCEEDED": (None, "rate_limited"),
    "DEFAULT_4XX": (None, "bad_request"),
    "DEFAULT_5XX": (None, "internal_error"),
}
_MESSAGES = {
    "MISSING_AUTHENTICATION_TOKEN": '"no such route (admin routes answer this too when the request is not SigV4-signed)"',
    "DEFAULT_5XX": '"an internal error occurred; quote request id $context.requestId"',
}


def gateway_response(response_type: str) -> dict[str, Any]:
    """The ``put_gateway_response`` arguments for one type: our JSON shape, JSON content type."""
    status, code = GATEWAY_RESPONSES[response_type]
    message = _MESSAGES.get(response_type, "$context.error.messageString")  # already a JSON string
    answer: dict[str, Any] = {
        "responseType": response_type,
        "responseParameters": {
            "gatewayresponse.header.Content-Type": "'application/json'",
            "gatewayresponse.header.X-Request-Id": "context.requestId",
        },
        "responseTemplates": {"application/json": f'{{"error": {{"code": "{code}", "message": {message}}}}}'},
    }
    if status is not None:
        answer["statusCode"] = status
    return answer


def put_gateway_responses(rest_api_id: str, stage_name: str, client: Any = None) -> None:
    """Give API Gateway's own error answers the service's shape, then redeploy the stage."""
    client = client or boto3.client("apigateway")
    for response_type in GATEWAY_RESPONSES:
        client.put_gateway_response(restApiId=rest_api_id, **gateway_response(response_type))
    client.create_deployment(restApiId=rest_api_id, stageName=stage_name)


def _deployed(stage: str, deployed_dir: Path, resource_type: str) -> list[dict[str, Any]]:
    record = json.loads((deployed_dir / f"{stage}.json").read_text())
    return [r for r in record["resources"] if r.get("resource_type") == resource_type]


def deployed_rest_api(stage: str, deployed_dir: Path = DEPLOYED) -> str:
    """The REST API id ``chalice deploy`` recorded for the stage (the public edge's by default)."""
    return str(_deployed(stage, deployed_dir, "rest_api")[0]["rest_api_id"])


#: The name ``chalice deploy`` records for the function that serves a project's REST API.
API_HANDLER_RESOURCE = "api_handler"


def ship_optimised(project: Project, stage: str, bundle: Path, client: Any = None) -> None:
    """Replace the code of every function ``chalice deploy`` made for ``project`` with ``bundle``,
    and point its API function at the project's own handler when it has one (``chalice deploy``
    sets ``app.app`` on every deploy; the public edge starts at ``chalicelib.api.entry.handler``,
    as its packaged template says: ``infra/package.py``)."""
    client = client or boto3.client("lambda")
    for function in _deployed(stage, project.directory / ".chalice" / "deployed", "lambda_function"):
        arn = function["lambda_arn"]
        client.update_function_code(FunctionName=arn, ZipFile=bundle.read_bytes())
        client.get_waiter("function_updated_v2").wait(FunctionName=arn)
        if project.api_handler is not None and function.get("name") == API_HANDLER_RESOURCE:
            client.update_function_configuration(FunctionName=arn, Handler=project.api_handler)
            client.get_waiter("function_updated_v2").wait(FunctionName=arn)


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
    parser.add_argument(
        "--app-origins",
        default="",
        help="origins of the IGNY8 app allowed to call the download card's routes, comma-separated "
        "(the template's AppOrigins; its default when not given)",
    )
    args = parser.parse_args(argv)
    outputs = stack.deploy(
        stage=args.stage, parameters={"AppOrigins": args.app_origins} if args.app_origins else None
    )
    print(f"active signing key: {KeyStore.of_stack(outputs).ensure()}")
    environment = stack.environment(outputs)
    if args.public_base_url:
        environment["PUBLIC_BASE_URL"] = args.public_base_url
    for project in PROJECTS:
        write_stage_environment(args.stage, environment, project.directory / ".chalice" / "config.json")
    print(json.dumps(outputs, indent=2))
    if args.skip_chalice:
        return 0
    for project in PROJECTS:
        status = subprocess.call(["chalice", "deploy", "--stage", args.stage], cwd=project.directory)  # noqa: S603, S607
        if status != 0:
            return status
    bundles = build(args.stage, BUILD)
    stage_name = json.loads(CONFIG.read_text()).get("api_gateway_stage", "api")
    urls = {}
    for project in PROJECTS:
        ship_optimised(project, args.stage, bundles[project.name] / "deployment.zip")
        deployed_dir = project.directory / ".chalice" / "deployed"
        put_gateway_responses(deployed_rest_api(args.stage, deployed_dir), stage_name)
        urls[project.name] = _deployed(args.stage, deployed_dir, "rest_api")[0]["rest_api_url"]
    edge_outputs = edge.deploy(deployed_rest_api(args.stage), stage=args.stage, stage_name=stage_name)
    print(json.dumps(edge_outputs, indent=2))
    print(f"public API: {urls['public']}\nadmin API:  {urls['admin']}")
    print(f"igny8-plugins --api {urls['public']} --admin-api {urls['admin']} --auth iam status <slug>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
