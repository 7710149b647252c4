"""Deploy ``infra/template.yaml`` and turn its outputs into the Lambdas' environment.

The template is the one definition of the service's AWS resources: CI deploys it to AWS, the local
stack to moto's server, the tests to moto's in-process mock, all through :func:`deploy`, so the
resources the code runs against locally are the ones it meets in production.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import boto3
import yaml
from botocore.exceptions import ClientError, WaiterError

from infra import people

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.client import CloudFormationClient
    from mypy_boto3_cloudformation.type_defs import ParameterTypeDef, WaiterConfigTypeDef
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_s3.type_defs import (
        CORSRuleTypeDef,
        NotificationConfigurationTypeDef,
        QueueConfigurationTypeDef,
    )
    from mypy_boto3_secretsmanager.client import SecretsManagerClient

TEMPLATE_PATH = Path(__file__).with_name("template.yaml")

#: Stack output -> environment variable read by ``chalicelib/settings.py``.
OUTPUT_ENV: dict[str, str] = {
    "PluginsTableName": "PLUGINS_TABLE",
    "VersionsTableName": "VERSIONS_TABLE",
    "InstallationsTableName": "INSTALLATIONS_TABLE",
    "IdempotencyTableName": "IDEMPOTENCY_TABLE",
    "AuditTableName": "AUDIT_TABLE",
    "SitesTableName": "SITES_TABLE",
    "CountersTableName": "COUNTERS_TABLE",
    "ArtifactsBucketName": "ARTIFACTS_BUCKET",
    "PackagerQueueName": "PACKAGER_QUEUE",
    "PackagerMaxReceives": "PACKAGER_MAX_RECEIVE_COUNT",
    "SigningKeysSecretName": "SIGNING_KEYS_SECRET",
    "SigningPublicKeysParameterName": "SIGNING_PUBLIC_KEYS_PARAMETER",
    "AppTokenSecretName": "APP_TOKEN_SECRET",
    "AppOriginsAllowed": "APP_ORIGINS",
    "MetadataKeySecretName": "METADATA_KEY_SECRET",
    people.POOL_ID_OUTPUT: "USER_POOL_ID",
    people.CLIENT_ID_OUTPUT: "USER_POOL_CLIENT_ID",
}

_BUCKET_RESOURCE = "ArtifactsBucket"

#: Resource types moto's CloudFormation skips with a UserWarning. The two resource policies are not
#: enforced by moto anyway; secrets are created afterwards from their template properties.
_SECRET_TYPE = "AWS::SecretsManager::Secret"  # noqa: S105 - a resource type, not a secret
_MOTO_SKIPPED_TYPES = (
    "AWS::SQS::QueuePolicy",
    "AWS::S3::BucketPolicy",
    _SECRET_TYPE,
    *people.MOTO_SKIPPED_TYPES,
)

#: Real stacks take minutes (tables, bucket); moto's finish before the first poll.
_WAITER_CONFIG: WaiterConfigTypeDef = {"Delay": 5, "MaxAttempts": 180}


def load_template() -> dict[str, Any]:
    """The template as data, for callers that derive names from it instead of repeating them."""
    # libyaml's parser when PyYAML has it: the same data in a thirtieth of the time (the local
    # stack and every test deployment read the template).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    template = yaml.load(TEMPLATE_PATH.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 - a safe loader
    if not isinstance(template, dict):
        raise ValueError(f"{TEMPLATE_PATH} is not a CloudFormation template")
    return template


def deploy(
    session: boto3.session.Session | None = None,
    *,
    stage: str,
    parameters: dict[str, str] | None = None,
    endpoint_url: str | None = None,
) -> dict[str, str]:
    """Create or update the stack ``igny8-plugins-{stage}`` and return its outputs.

    ``endpoint_url`` points every client at moto's server; without it boto3's own configuration
    (``AWS_ENDPOINT_URL`` included) decides, which is also how the in-process mock is reached.
    """
    if parameters and "Stage" in parameters:
        raise ValueError("give the stage as stage=, not as a template parameter")
    session = session or boto3.session.Session()
    cfn = session.client("cloudformation", endpoint_url=endpoint_url)
    name = f"igny8-plugins-{stage}"
    cfn_parameters: list[ParameterTypeDef] = [
        {"ParameterKey": key, "ParameterValue": value}
        for key, value in sorted({**(parameters or {}), "Stage": stage}.items())
    ]
    body = TEMPLATE_PATH.read_text(encoding="utf-8")
    with warnings.catch_warnings():
        for resource_type in _MOTO_SKIPPED_TYPES:
            warnings.filterwarnings(
                "ignore", message=f"Tried to parse {re.escape(resource_type)} ", category=UserWarning
            )
        if _stack_exists(cfn, name):
            _update(cfn, name, body, cfn_parameters)
        else:
            cfn.create_stack(StackName=name, TemplateBody=body, Parameters=cfn_parameters)
            _wait(cfn, name, "stack_create_complete")
    outputs = stack_outputs(stage, session, endpoint_url=endpoint_url)
    template = load_template()
    _apply_bucket_settings_moto_ignores(session.client("s3", endpoint_url=endpoint_url), template, outputs)
    _create_secrets_moto_skips(session.client("secretsmanager", endpoint_url=endpoint_url), template, outputs)
    cognito = session.client("cognito-idp", endpoint_url=endpoint_url)
    people.create_pool_moto_skips(
        cognito, template, outputs, lambda expression: _resolve_via_outputs(expression, template, outputs)
    )
    return {**outputs, **people.pool_ids(cognito, outputs)}


def stack_outputs(
    stage: str, session: boto3.session.Session | None = None, *, endpoint_url: str | None = None
) -> dict[str, str]:
    """The outputs of the deployed stack of ``stage``: where every resource name is read from
    (plus the user pool's ids, found by the names it outputs: ``infra/people.py``)."""
    session = session or boto3.session.Session()
    cfn = session.client("cloudformation", endpoint_url=endpoint_url)
    stack = cfn.describe_stacks(StackName=f"igny8-plugins-{stage}")["Stacks"][0]
    outputs = {out["OutputKey"]: out["OutputValue"] for out in stack.get("Outputs", [])}
    return {**outputs, **people.pool_ids(session.client("cognito-idp", endpoint_url=endpoint_url), outputs)}


def environment(outputs: Mapping[str, str]) -> dict[str, str]:
    """The Lambdas' resource settings, named as ``chalicelib/settings.py`` reads them."""
    missing = sorted(set(OUTPUT_ENV) - set(outputs))
    if missing:
        raise KeyError(f"stack outputs lack {', '.join(missing)}")
    return {env: outputs[key] for key, env in OUTPUT_ENV.items()}


def _stack_exists(cfn: CloudFormationClient, name: str) -> bool:
    try:
        cfn.describe_stacks(StackName=name)
    except ClientError as exc:
        if "does not exist" in str(exc):
            return False
        raise
    return True


def _update(cfn: CloudFormationClient, name: str, body: str, parameters: list[ParameterTypeDef]) -> None:
    try:
        cfn.update_stack(StackName=name, TemplateBody=body, Parameters=parameters)
    except ClientError as exc:
        # CloudFormation refuses an update that changes nothing; for a deploy that is success.
        if "No updates are to be performed" in str(exc):
            return
        raise
    _wait(cfn, name, "stack_update_complete")


def _wait(
    cfn: CloudFormationClient, name: str, waiter: Literal["stack_create_complete", "stack_update_complete"]
) -> None:
    """Wait, and on failure say which resources failed and why rather than just a final status."""
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=_WAITER_CONFIG)
    except WaiterError as exc:
        events = cfn.describe_stack_events(StackName=name)["StackEvents"]
        reasons = [
            f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
            for event in events
            if event["ResourceStatus"].endswith("FAILED")
        ]
        raise RuntimeError(f"stack {name} did not deploy: {'; '.join(reasons) or exc}") from exc


def _apply_bucket_settings_moto_ignores(
    s3: S3Client, template: Mapping[str, Any], outputs: Mapping[str, str]
) -> None:
    """Give the bucket the versioning and S3 -> SQS notification its template declares.

    moto's CloudFormation creates the bucket but silently drops ``VersioningConfiguration`` and
    ``NotificationConfiguration``; without them the local stack would never package an upload.
    The settings are read from the template itself (no second copy to drift) and put only where
    the live bucket lacks them, so against real AWS, where CloudFormation applied them, this
    does nothing.
    """

    def resolve(expression: Any) -> str:
        return _resolve_via_outputs(expression, template, outputs)

    bucket = resolve({"Ref": _BUCKET_RESOURCE})
    properties = template["Resources"][_BUCKET_RESOURCE]["Properties"]

    status = properties["VersioningConfiguration"]["Status"]
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != status:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})

    if not s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations"):
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration=_s3_notification(properties["NotificationConfiguration"], resolve),
        )

    # The console's uploads (CORS): put whenever it differs, since its origins follow the parameters.
    rules = [_cors_rule(rule, resolve) for rule in properties["CorsConfiguration"]["CorsRules"]]
    try:
        current = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    except ClientError:
        current = []
    if current != rules:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})


def _cors_rule(rule: Mapping[str, Any], resolve: Callable[[Any], str]) -> CORSRuleTypeDef:
    """A template CORS rule in the S3 API's names; origins are a list or a ``Fn::Split`` of one value."""
    origins = rule["AllowedOrigins"]
    if isinstance(origins, dict):
        separator, value = origins["Fn::Split"]
        origins = resolve(value).split(separator)
    return {
        "ID": rule["Id"],
        "AllowedMethods": rule["AllowedMethods"],
        "AllowedOrigins": origins,
        "AllowedHeaders": rule["AllowedHeaders"],
        "ExposeHeaders": rule["ExposedHeaders"],
        "MaxAgeSeconds": rule["MaxAge"],
    }


def _create_secrets_moto_skips(
    secrets: SecretsManagerClient, template: Mapping[str, Any], outputs: Mapping[str, str]
) -> None:
    """Create each secret the template declares, from its own properties, where it is missing.

    moto's CloudFormation skips ``AWS::SecretsManager::Secret``; on AWS the secret exists and this
    does nothing (its value, written by ``infra/keys.py``, is never touched here).
    """
    for resource in template["Resources"].values():
        if resource["Type"] != _SECRET_TYPE:
            continue
        properties = resource["Properties"]
        name = _resolve_via_outputs(properties["Name"], template, outputs)
        try:
            secrets.describe_secret(SecretId=name)
        except secrets.exceptions.ResourceNotFoundException:
            secrets.create_secret(
                Name=name,
                Description=properties.get("Description", ""),
                SecretString=properties.get("SecretString") or _generated(secrets, properties),
            )


def _generated(secrets: SecretsManagerClient, properties: Mapping[str, Any]) -> str:
    """What CloudFormation's ``GenerateSecretString`` makes: the template's JSON with one random
    value added under its key (Secrets Manager's own generator, as on AWS)."""
    spec = properties["GenerateSecretString"]
    password = secrets.get_random_password(
        PasswordLength=spec["PasswordLength"], ExcludePunctuation=spec.get("ExcludePunctuation", False)
    )["RandomPassword"]
    return json.dumps({**json.loads(spec["SecretStringTemplate"]), spec["GenerateStringKey"]: password})


def _s3_notification(
    cfn_config: Mapping[str, Any], resolve: Callable[[Any], str]
) -> NotificationConfigurationTypeDef:
    """Translate CloudFormation's notification shape into the S3 API's."""
    unsupported = set(cfn_config) - {"QueueConfigurations"}
    if unsupported:
        raise NotImplementedError(f"translate {', '.join(sorted(unsupported))} to the S3 API shape too")
    queues: list[QueueConfigurationTypeDef] = []
    for item in cfn_config["QueueConfigurations"]:
        queue: QueueConfigurationTypeDef = {"QueueArn": resolve(item["Queue"]), "Events": [item["Event"]]}
        rules = item.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        if rules:
            queue["Filter"] = {
                "Key": {"FilterRules": [{"Name": rule["Name"], "Value": rule["Value"]} for rule in rules]}
            }
        queues.append(queue)
    return {"QueueConfigurations": queues}


def _resolve_via_outputs(expression: Any, template: Mapping[str, Any], outputs: Mapping[str, str]) -> str:
    """Resolve an intrinsic by finding the output that exports the very same expression.

    This avoids reimplementing CloudFormation's intrinsics; an expression no output exports is
    an error, fixed by adding that output.
    """
    if isinstance(expression, str):
        return expression
    for key, output in template.get("Outputs", {}).items():
        if output["Value"] == expression and key in outputs:
            return outputs[key]
    raise LookupError(f"no stack output exports {expression!r}; add one to {TEMPLATE_PATH.name}")
