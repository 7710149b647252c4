"""The edge (``infra/edge.yaml``) keys its cache exactly as the app declares and never shares a
per-site answer; the stage is throttled and the public API has a usage plan.

The declaration is ``chalicelib/api/cache_keys.py``: ``tests/integration/test_cache_keys.py`` proves
on the answers that nothing outside it changes an answer, and this file that the CDN keys on
exactly it. A request with site credentials gets a different key from any anonymous one (the
credentials are in every cached route's key), and its answer, private, is never stored: each cache
policy has MinTTL 0, with which CloudFront obeys ``Cache-Control: private``/``no-store``, and
DefaultTTL 0, so an answer that does not say ``public`` is not stored either.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.cloudformation.parsing import get_model_map

from app import app
from chalicelib.api.cache_keys import cache_keys
from chalicelib.api.cache_rules import NORMALISED
from chalicelib.api.routing import REGISTRY
from chalicelib.logic.rollout import _WORDPRESS_UA, wordpress_version_from_user_agent
from infra.edge import TEMPLATE_PATH, deploy, load_template, throttle_stage
from infra.local_gzip import minimum_compression_size
from tests.infra.test_cfn_lint import cfn_lint

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
CONFIG = RESOURCES["Distribution"]["Properties"]["DistributionConfig"]
STAGE = TEMPLATE["Parameters"]["StageName"]["Default"]
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
#: Slugs that spell another route's name: a path pattern must not mistake them for that route.
TRICKY_SLUGS = ("my-plugin", "info", "check-update", "latest", "keys", "download")


def pattern(behaviour: dict[str, Any]) -> str:
    return str(behaviour["PathPattern"]["Fn::Sub"]).replace("${StageName}", STAGE)


def policy(behaviour: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = RESOURCES[behaviour["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
    return config


def behaviour_for(path: str) -> dict[str, Any]:
    """The behaviour CloudFront picks for ``path``: the first whose pattern matches, else the default."""
    for behaviour in CONFIG["CacheBehaviors"]:
        if fnmatch.fnmatchcase(path, pattern(behaviour)):
            return dict(behaviour)
    return dict(CONFIG["DefaultCacheBehavior"])


def test_the_edge_template_passes_cfn_lint() -> None:
    result = cfn_lint(TEMPLATE_PATH)

    assert (result.returncode, result.stdout) == (0, ""), result.stdout + result.stderr


@pytest.mark.parametrize("route", list(cache_keys()))
@pytest.mark.parametrize("slug", TRICKY_SLUGS)
def test_each_shared_route_is_keyed_exactly_as_declared(route: str, slug: str) -> None:
    key = cache_keys()[route]
    for viewer_path in (
        f"/{STAGE}{route}".replace("{slug}", slug),
        f"/{STAGE}{route}/".replace("{slug}", slug),
    ):
        config = policy(behaviour_for(viewer_path))
        parameters = config["ParametersInCacheKeyAndForwardedToOrigin"]
        headers = parameters["HeadersConfig"]
        queries = parameters["QueryStringsConfig"]
        assert {h.lower() for h in headers.get("Headers", [])} == {h.lower() for h in key.edge_headers}
        assert headers["HeaderBehavior"] == ("whitelist" if key.edge_headers else "none")
        assert set(queries.get("QueryStrings", [])) == set(key.query)
        assert queries["QueryStringBehavior"] == ("whitelist" if key.query else "none")
        assert parameters["CookiesConfig"] == {"CookieBehavior": "none"}
        assert parameters["EnableAcceptEncodingGzip"] is True


def test_every_cached_behaviour_obeys_private_and_stores_only_what_says_public() -> None:
    for behaviour in CONFIG["CacheBehaviors"]:
        config = policy(behaviour)
        assert (config["MinTTL"], config["DefaultTTL"]) == (0, 0), pattern(behaviour)
        assert config["MaxTTL"] <= 300
    assert len(CONFIG["CacheBehaviors"]) == len(cache_keys()), "a cached behaviour the app does not declare"


def test_site_credentials_are_in_every_key_that_reads_them() -> None:
    """A site's request can never hit an entry an anonymous request stored, whatever the answer says."""
    for route, key in cache_keys().items():
        config = policy(behaviour_for(f"/{STAGE}{route}".replace("{slug}", "my-plugin")))
        keyed = {
            h.lower()
            for h in config["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"].get("Headers", [])
        }
        assert {"x-igny8-site-id", "x-igny8-api-key"} <= keyed or "X-IGNY8-API-Key" not in key.headers, route


@pytest.mark.parametrize("slug", TRICKY_SLUGS)
def test_every_other_route_is_never_cached_and_gets_every_header(slug: str) -> None:
    """download's 302 to a presigned URL, the site routes (with their keys and app tokens), signature."""
    others = {spec.path for spec in REGISTRY if spec.path in app.routes} - set(cache_keys())
    assert "/plugins/{slug}/download" in others and "/plugins/{slug}/download-url" in others
    for route in others:
        behaviour = behaviour_for(f"/{STAGE}{route}".replace("{slug}", slug))
        assert behaviour.get("CachePolicyId") == CACHING_DISABLED, route
        assert behaviour.get("OriginRequestPolicyId") == ALL_VIEWER_EXCEPT_HOST, route


def test_a_cors_route_behind_the_cdn_gets_what_its_preflight_asks() -> None:
    cors = {spec.path for spec in REGISTRY if spec.cors and spec.path in cache_keys()}
    assert cors, "the app's card reads cached routes (info, latest)"
    for route in cors:
        behaviour = behaviour_for(f"/{STAGE}{route}".replace("{slug}", "my-plugin"))
        assert "OPTIONS" in behaviour["AllowedMethods"] and "OPTIONS" not in behaviour["CachedMethods"]
        origin = RESOURCES[behaviour["OriginRequestPolicyId"]["Ref"]]["Properties"][
            "OriginRequestPolicyConfig"
        ]
        asked = {h.lower() for h in origin["HeadersConfig"]["Headers"]}
        assert {"access-control-request-method", "access-control-request-headers"} <= asked, route


def test_https_only_compressed_and_errors_never_replayed() -> None:
    behaviours = [CONFIG["DefaultCacheBehavior"], *CONFIG["CacheBehaviors"]]
    assert {b["ViewerProtocolPolicy"] for b in behaviours} == {"https-only"}
    assert all(b["Compress"] is True for b in behaviours)
    [origin] = CONFIG["Origins"]
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert {e["ErrorCode"]: e["ErrorCachingMinTTL"] for e in CONFIG["CustomErrorResponses"]} == dict.fromkeys(
        (400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504), 0
    )


def test_check_update_forwards_the_whole_agent_but_keys_on_its_wordpress_version() -> None:
    behaviour = behaviour_for(f"/{STAGE}/plugins/x/check-update/")
    origin = RESOURCES[behaviour["OriginRequestPolicyId"]["Ref"]]["Properties"]["OriginRequestPolicyConfig"]
    assert origin["HeadersConfig"] == {"HeaderBehavior": "whitelist", "Headers": ["User-Agent"]}
    [association] = behaviour["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    assert association["FunctionARN"]["Fn::GetAtt"][0] == "WordPressVersionFunction"
    code = RESOURCES["WordPressVersionFunction"]["Properties"]["FunctionCode"]
    version_pattern = _WORDPRESS_UA.pattern.split("(?P<version>")[1].split(")")[0]
    assert f"/^WordPress\\/({version_pattern})/" in code, "the edge must read the version as the app does"
    assert f"'{NORMALISED['User-Agent'].lower()}'" in code


AGENTS = [
    "WordPress/6.5.2; https://example.com",
    "WordPress/6.5.2;https://other.example",
    "WordPress/6.6",
    "WordPress/6.5.2-beta1+x_y; https://a.example",
    "WordPress/" + "9" * 40,
    "wordpress/6.5",
    "Mozilla/5.0 WordPress/6.5",
    "WordPress/",
    "WordPress/abc",
    "curl/8.5.0",
    "",
    None,
]


def test_the_edge_function_normalises_agents_as_the_app_reads_them() -> None:
    """Run the CloudFront Function's code (node stands in for CloudFront's JavaScript runtime) on
    agents, with a forged header too: its value must be what the app reads, whatever the client sent."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(
            "node is not installed: the CloudFront Function's code was not run (the pattern check above still holds)"
        )
    code = RESOURCES["WordPressVersionFunction"]["Properties"]["FunctionCode"]
    driver = code + (
        "const agents = JSON.parse(process.argv[1]);\n"
        "console.log(JSON.stringify(agents.map((agent) => {\n"
        "  const headers = {'x-igny8-wordpress': {value: 'forged'}};\n"
        "  if (agent !== null) headers['user-agent'] = {value: agent};\n"
        "  const out = handler({request: {headers}}).headers['x-igny8-wordpress'];\n"
        "  return out ? out.value : null;\n"
        "})));\n"
    )
    result = subprocess.run(
        [node, "-e", driver, json.dumps(AGENTS)], capture_output=True, text=True, timeout=30, check=True
    )
    assert json.loads(result.stdout) == [wordpress_version_from_user_agent(agent) for agent in AGENTS]


def test_the_stage_is_throttled_and_the_api_has_a_usage_plan_with_a_quota() -> None:
    parameters = TEMPLATE["Parameters"]
    plan = RESOURCES["UsagePlan"]["Properties"]
    assert plan["ApiStages"] == [{"ApiId": {"Ref": "RestApiId"}, "Stage": {"Ref": "StageName"}}]
    assert plan["Throttle"] == {"RateLimit": {"Ref": "KeyRateLimit"}, "BurstLimit": {"Ref": "KeyBurstLimit"}}
    assert plan["Quota"] == {"Limit": {"Ref": "KeyDailyQuota"}, "Period": "DAY"}
    ten_million_sites_per_second = 10_000_000 * 2 / 86_400
    assert parameters["StageRateLimit"]["Default"] >= 4 * ten_million_sites_per_second
    assert parameters["StageBurstLimit"]["Default"] >= parameters["StageRateLimit"]["Default"]
    assert parameters["KeyRateLimit"]["Default"] < parameters["StageRateLimit"]["Default"]


def test_the_stage_throttle_lands_on_the_stage() -> None:
    """Chalice owns the stage, so infra/edge.py puts the template's limits on it (moto's API Gateway)."""
    outputs = {
        name: str(TEMPLATE["Parameters"][name]["Default"]) for name in ("StageRateLimit", "StageBurstLimit")
    }
    with mock_aws():
        client = boto3.client("apigateway", region_name="us-east-1")
        api = _rest_api(client)
        throttle_stage(client, api, STAGE, outputs)
        settings = client.get_stage(restApiId=api, stageName=STAGE)["methodSettings"]["*/*"]
    assert settings["throttlingRateLimit"] == float(outputs["StageRateLimit"])
    assert settings["throttlingBurstLimit"] == int(outputs["StageBurstLimit"])


def test_the_edge_stack_deploys_on_moto() -> None:
    unsupported = sorted({r["Type"] for r in RESOURCES.values()} - set(get_model_map()))
    if unsupported:
        message = f"moto's CloudFormation cannot create {', '.join(unsupported)}: the edge stack is checked by cfn-lint and the guards above only"
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    with mock_aws():
        api = _rest_api(boto3.client("apigateway", region_name="us-east-1"))
        outputs = deploy(api, stage="dev", session=boto3.session.Session(region_name="us-east-1"))
    assert outputs["DistributionDomainName"]


def _rest_api(client: Any) -> str:
    api: str = client.create_rest_api(name="igny8-plugins")["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    client.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    client.create_deployment(restApiId=api, stageName=STAGE)
    return api


def test_the_packaged_public_api_compresses_and_the_function_is_sized_as_measured(packaged: Path) -> None:
    """API Gateway gzips answers of at least ``minimum_compression_size`` bytes (the local gateway
    reads the same key); the public function gets the memory and timeout bench/cost_model.py chose."""
    resources = json.loads((packaged / "sam.json").read_text())["Resources"]
    assert resources["RestAPI"]["Properties"]["MinimumCompressionSize"] == minimum_compression_size() == 1024
    handler = resources["APIHandler"]["Properties"]
    assert (handler["MemorySize"], handler["Timeout"]) == (1024, 6)
