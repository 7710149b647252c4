"""`chalice package` builds the deployable artefact from a fresh clone: nothing at import needs a
deployed stack, and the packager consumes the queue the template names for that stage."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from infra.deploy import ship_optimised
from infra.package import API_FUNCTION, PROJECTS, Project, api_handler, finish
from infra.stack import load_template
from tests.infra.test_cfn_lint import cfn_lint


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


def _template(output: Path) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((output / "sam.json").read_text())
    return template


def _bundled(output: Path) -> list[str]:
    with zipfile.ZipFile(output / "deployment.zip") as bundle:
        return bundle.namelist()


def test_chalice_package_works_on_a_fresh_clone_for_both_projects(
    packaged: Path, packaged_admin: Path
) -> None:
    """The public edge and the control plane each build; the admin project's ``chalicelib`` is a
    link to the one copy, and its artefact holds the files, not the link."""
    public, admin = _template(packaged), _template(packaged_admin)
    assert "PackageSources" not in public["Resources"], "the public edge runs no packager"
    events = admin["Resources"]["PackageSources"]["Properties"]["Events"]
    queue = events["PackageSourcesSqsEventSource"]["Properties"]["Queue"]["Fn::Sub"]
    assert queue.endswith(":igny8-plugins-dev-packager")
    for output, own in ((packaged, "chalicelib/api/public.py"), (packaged_admin, "chalicelib/api/admin.py")):
        names = _bundled(output)
        assert {"app.py", "chalicelib/settings.py", own} <= set(names)
        assert not any(n.startswith(("tests/", "igny8_cli/", "plugins/", "infra/", "admin/")) for n in names)


#: What the public function's cold start must not import before it has a request the fast path
#: leaves to the whole app: each costs a cold start tens to hundreds of ms (bench/coldstart_bench.py).
#: botocore's bare package is not among them: Powertools imports it (1 ms, no submodule) to learn
#: whether it can tag botocore's User-Agent; its sessions and clients are.
_HEAVY = ("pydantic", "pynamodb", "boto3", "app")
_HEAVY_BELOW = ("botocore",)


@pytest.fixture(scope="module")
def shipped_public(packaged: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The public artefact as ``infra/package.py`` ships it: Chalice's output, then finished."""
    output = tmp_path_factory.mktemp("shipped") / "public"
    shutil.copytree(packaged, output)
    finish(next(p for p in PROJECTS if p.name == "public"), output)
    return output


def test_the_public_function_starts_at_the_entry_and_the_rest_of_chalices_template_is_kept(
    packaged: Path, shipped_public: Path
) -> None:
    chalices, shipped = _template(packaged), _template(shipped_public)

    assert api_handler(packaged) == "app.app"
    assert api_handler(shipped_public) == "chalicelib.api.entry.handler"
    shipped["Resources"][API_FUNCTION]["Properties"]["Handler"] = "app.app"
    assert shipped == chalices


def test_the_shipped_public_function_imports_its_handler_without_the_heavy_libraries(
    shipped_public: Path, tmp_path: Path
) -> None:
    """What Lambda does first in a fresh container: import the handler the template names, from
    the unpacked bundle, with the function's environment. The app, pydantic, pynamodb and the SDK
    wait for a request the fast path leaves to the app."""
    function = _template(shipped_public)["Resources"][API_FUNCTION]["Properties"]
    module, name = function["Handler"].rsplit(".", 1)
    with zipfile.ZipFile(shipped_public / "deployment.zip") as bundle:
        bundle.extractall(tmp_path)
    probe = (
        f"import importlib, json, sys; handler = getattr(importlib.import_module({module!r}), {name!r}); "
        f"assert callable(handler); heavy, below = {_HEAVY!r}, {_HEAVY_BELOW!r}; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in heavy or (m.split('.')[0] in below and '.' in m))))"
    )
    env = {**function["Environment"]["Variables"], "AWS_DEFAULT_REGION": "us-east-1"}

    done = subprocess.run(
        [sys.executable, "-B", "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert loaded == [], f"importing {module} loaded {len(loaded)} heavy modules: {loaded}"


def test_the_packaged_control_plane_passes_cfn_lint(packaged_admin: Path) -> None:
    result = cfn_lint(packaged_admin / "sam.json")

    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


#: Every grant each function's role may have in the deployable artefacts, by action: anything
#: beyond these fails. The public edge reads what it serves and writes only telemetry; the admin
#: API writes release state, sources and the grants binding them; only the packager reads the
#: private signing key, consumes the queue or writes packages/.
_TABLE_ACTIONS = {
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
}
_WRITES = {
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
}
_LOGS = {"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}
PUBLIC = {
    "ApiHandlerRole": _LOGS
    | {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "s3:GetObject",
        "ssm:GetParameter",
        "secretsmanager:GetSecretValue",
    },
}
ADMIN = {
    "ApiHandlerRole": _TABLE_ACTIONS
    | _LOGS
    | {"s3:GetObject", "s3:PutObjectTagging", "s3:DeleteObjectTagging", "s3:PutObject"}
    # the console's accounts (role admin), on its stage's pool only (tests/infra/test_people.py)
    | {
        "cognito-idp:AdminAddUserToGroup",
        "cognito-idp:AdminCreateUser",
        "cognito-idp:AdminDisableUser",
        "cognito-idp:AdminGetUser",
        "cognito-idp:AdminListGroupsForUser",
        "cognito-idp:AdminRemoveUserFromGroup",
        "cognito-idp:AdminSetUserPassword",
        "cognito-idp:AdminUserGlobalSignOut",
        "cognito-idp:ListUsers",
    },
    "PackageSourcesRole": _TABLE_ACTIONS
    | _LOGS
    | {
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:DescribeTable",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:PutObjectTagging",
        "s3:DeleteObjectTagging",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
        "secretsmanager:GetSecretValue",
        "ssm:GetParameter",
    },
    #: The scheduled rollout guard, once wired: it moves rollouts (release state) and audits.
    "RolloutGuardRole": _LOGS
    | {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
    },
}
#: Tables whose writes are release state (or who may call): never the public edge's to write.
_RELEASE_STATE = ("-plugins", "-plugin-versions", "-sites", "-audit")


def _grants(template: dict[str, Any], role: str) -> list[tuple[str, str]]:
    grants = []
    for policy in template["Resources"][role]["Properties"]["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            resources = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            grants += [(action, str(resource)) for action in statement["Action"] for resource in resources]
    return grants


def _roles(template: dict[str, Any]) -> set[str]:
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"]
    roles = [r["Properties"]["Role"]["Fn::GetAtt"][0] for r in functions]
    assert len(roles) == len(set(roles)), "each function has a role of its own"
    return set(roles)


@pytest.mark.parametrize(("artefact", "allowed"), [("packaged", PUBLIC), ("packaged_admin", ADMIN)])
def test_each_function_gets_only_the_permissions_it_needs(
    request: pytest.FixtureRequest, artefact: str, allowed: dict[str, set[str]]
) -> None:
    template = _template(request.getfixturevalue(artefact))
    roles = _roles(template)
    assert "ApiHandlerRole" in roles and roles <= set(allowed), roles

    for role in roles:
        actions = {action for action, _ in _grants(template, role)}
        assert actions <= allowed[role], (role, actions - allowed[role])
        assert not any("*" in action for action in actions)


def test_the_public_edge_writes_only_telemetry_and_reads_no_signing_key(packaged: Path) -> None:
    api = _grants(_template(packaged), "ApiHandlerRole")

    written = {r.rsplit("/", 1)[-1] for a, r in api if a in _WRITES}
    assert written == {"igny8-plugins-dev-plugin-installations", "igny8-plugins-dev-counters"}
    assert not any(r.endswith(_RELEASE_STATE) for a, r in api if a in _WRITES)
    assert not any(a.startswith("s3:") and a != "s3:GetObject" for a, _ in api), "no S3 write at all"
    assert all("/packages/" in r for a, r in api if a == "s3:GetObject"), "it reads packages only"
    secrets = [r for a, r in api if a.startswith("secretsmanager:")]
    assert secrets and all(r.endswith(("-app-token-*", "-metadata-key-*")) for r in secrets), (
        "the app-token key and the answers' metadata key, never a package signing key"
    )


def test_the_admin_api_writes_release_state_but_no_package_and_no_signing_key(packaged_admin: Path) -> None:
    template = _template(packaged_admin)
    api = _grants(template, "ApiHandlerRole")

    assert {r.rsplit("/", 1)[-1] for a, r in api if a == "dynamodb:PutItem"} >= {
        "igny8-plugins-dev-plugins",
        "igny8-plugins-dev-plugin-versions",
        "igny8-plugins-dev-audit",
    }
    assert not any(a.startswith("secretsmanager:") for a, _ in api), "no secret at all"
    # Sources (presigned uploads, rollbacks) and the grants that say which admin asked for them.
    puts = [r for a, r in api if a == "s3:PutObject"]
    assert puts and all("/sources/" in r or "/grants/" in r for r in puts), (
        "the admin API never writes a package"
    )

    packager = _grants(template, "PackageSourcesRole")
    assert any("/grants/" in r for a, r in packager if a == "s3:GetObject"), (
        "it reads who asked for an upload"
    )
    assert any("/packages/" in r for a, r in packager if a == "s3:PutObject")
    secrets = [r for a, r in packager if a.startswith("secretsmanager:")]
    assert secrets and all("signing-keys" in r and "root" not in r for r in secrets), (
        "no function reads the root"
    )


class _Lambda:
    """Lambda's client as ``ship_optimised`` uses it, recording each call in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bytes | str | None]] = []

    def update_function_code(self, FunctionName: str, ZipFile: bytes) -> None:
        self.calls.append(("update", FunctionName, ZipFile))

    def update_function_configuration(self, FunctionName: str, Handler: str) -> None:
        self.calls.append(("configure", FunctionName, Handler))

    def get_waiter(self, name: str) -> Any:
        assert name == "function_updated_v2"
        calls = self.calls
        return type(
            "Waiter", (), {"wait": lambda _self, FunctionName: calls.append(("wait", FunctionName, None))}
        )()


def _deployed_record(directory: Path, functions: dict[str, str]) -> Path:
    """Chalice's deployed record of ``functions`` (its resource name -> ARN), and the bundle."""
    deployed = directory / ".chalice" / "deployed"
    deployed.mkdir(parents=True)
    resources: list[dict[str, str]] = [
        {"name": name, "resource_type": "lambda_function", "lambda_arn": arn}
        for name, arn in functions.items()
    ]
    resources.append({"resource_type": "rest_api", "rest_api_id": "abc"})
    (deployed / "dev.json").write_text(json.dumps({"resources": resources}))
    bundle = directory / "deployment.zip"
    bundle.write_bytes(b"PK optimised")
    return bundle


def test_every_deployed_function_gets_the_optimised_bundle(tmp_path: Path) -> None:
    """After ``chalice deploy``, each function of the project (all of them, found in Chalice's
    deployed record) runs the optimised bundle, and only once it is in place does the deploy go on."""
    arns = [
        f"arn:aws:lambda:us-east-1:1:function:igny8-plugins-admin-dev{suffix}"
        for suffix in ("", "-package_sources")
    ]
    bundle = _deployed_record(tmp_path, dict(zip(("api_handler", "package_sources"), arns, strict=True)))
    client = _Lambda()

    ship_optimised(Project("admin", tmp_path, keeps_sdk=True), "dev", bundle, client)

    assert client.calls == [
        step for arn in arns for step in (("update", arn, b"PK optimised"), ("wait", arn, None))
    ]


def test_the_deployed_public_api_function_starts_at_the_entry_its_template_names(tmp_path: Path) -> None:
    """``chalice deploy`` sets ``app.app`` on every deploy: the public edge's API function is then
    pointed at the fast path's handler, once its new code is in place, and the deploy waits for it."""
    arn = "arn:aws:lambda:us-east-1:1:function:igny8-plugins-dev"
    bundle = _deployed_record(tmp_path, {"api_handler": arn})
    client = _Lambda()
    public = next(project for project in PROJECTS if project.name == "public")

    ship_optimised(
        Project("public", tmp_path, keeps_sdk=False, api_handler=public.api_handler), "dev", bundle, client
    )

    assert client.calls == [
        ("update", arn, b"PK optimised"),
        ("wait", arn, None),
        ("configure", arn, "chalicelib.api.entry.handler"),
        ("wait", arn, None),
    ]
