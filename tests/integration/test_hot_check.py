"""check-update's fast path (``api/hot_check.py``) against the whole app, on the same API Gateway
events: where the fast path answers, its answer is the app's, byte for byte (status, headers,
body, signature); where the app would refuse, record or read more, the fast path leaves the check
to it, and the public function's handler (``api/entry.py``) then answers as the app does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.local import LambdaEventConverter, RouteMatcher
from chalice.test import Client

from app import app as public_app
from chalicelib import aws_json
from chalicelib.api import entry, hot_check
from chalicelib.api.cache_keys import cache_keys
from chalicelib.dal.models import InstallationModel
from chalicelib.logic.site_inputs import CheckUpdateQuery
from chalicelib.observability import metrics
from chalicelib.settings import get_settings
from tests.integration.conftest import Packager, admin_headers, deployed, source_zip, upload

SLUG = "igny8-wp-bridge"
CHECK = f"/plugins/{SLUG}/check-update"
WORDPRESS = "WordPress/6.5.2; https://blog.example.com"


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Any]]:
    """Two released versions of the bridge and a site with its key."""
    with deployed() as (client, aws):
        for version in ("1.0.0", "1.1.0"):
            key = f"sources/wordpress/{SLUG}/{version}/src.zip"
            upload(aws["ArtifactsBucketName"], key, source_zip(), status="released")
        assert all(outcome["ok"] for outcome in Packager(client, aws).run())
        created = admin(client, "post", "/admin/sites", {"name": "Blog", "url": "https://blog.example.com"})
        site = {
            "X-IGNY8-Site-ID": created.json_body["site"]["site_id"],
            "X-IGNY8-API-Key": created.json_body["api_key"],
        }
        yield {"client": client, "site": site}


def admin(client: Client, method: str, path: str, body: dict[str, Any]) -> Any:
    headers = {**admin_headers(), "Content-Type": "application/json"}
    return getattr(client.http, method)(path, headers=headers, body=json.dumps(body).encode())


def event(path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The API Gateway proxy event of a GET, as the local gateway and the bench make it."""
    converter = LambdaEventConverter(RouteMatcher(list(public_app.routes)))
    made: dict[str, Any] = converter.create_lambda_event(
        "GET", path, {"Host": "api.local", **(headers or {})}, b""
    )
    return made


def both(path: str, headers: dict[str, str] | None = None) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The fast path's answer (None: left to the app), then the app's, to the same event."""
    fast = hot_check.answer(event(path, headers), None)
    whole: dict[str, Any] = public_app(event(path, headers), None)
    return fast, whole


ANSWERED = {
    "an offer": (f"{CHECK}?current_version=1.0.0", {}),
    "up to date": (f"{CHECK}?current_version=1.1.0", {}),
    "nothing at or below the site's version": (f"{CHECK}?current_version=0.1.0-beta", {}),
    "beta channel": (f"{CHECK}?current_version=1.0.0&channel=beta", {}),
    "WordPress' User-Agent": (f"{CHECK}?current_version=1.0.0", {"User-Agent": WORDPRESS}),
    "plugin-update-checker's names": (f"{CHECK}?installed_version=1.0.0&php=8.2.7-1~deb12u1", {}),
    "stated requirements": (f"{CHECK}?current_version=1.0.0&wp_version=4.0&php_version=5.6", {}),
    "a repeated parameter counts once, its last value": (
        f"{CHECK}?current_version=0.1&current_version=1.0.0",
        {},
    ),
    "an unknown parameter is ignored": (f"{CHECK}?current_version=1.0.0&utm=x", {}),
    "a site id alone (rollout bucket)": (
        f"{CHECK}?current_version=1.0.0",
        {"X-IGNY8-Site-ID": "site-anonymous-1"},
    ),
}


@pytest.mark.parametrize(("path", "headers"), ANSWERED.values(), ids=list(ANSWERED))
def test_the_fast_path_answers_exactly_as_the_app(
    world: dict[str, Any], path: str, headers: dict[str, str]
) -> None:
    fast, whole = both(path, headers)
    assert whole["statusCode"] == 200
    assert fast == whole


def test_a_site_with_its_key_gets_the_apps_answer_from_the_fast_path(world: dict[str, Any]) -> None:
    fast, whole = both(f"{CHECK}?current_version=1.1.0", world["site"])
    assert whole["statusCode"] == 200 and fast == whole


def test_a_private_plugin_is_answered_to_its_sites_and_left_to_the_app_for_anyone_else(
    world: dict[str, Any],
) -> None:
    client = world["client"]
    assert admin(client, "patch", f"/admin/plugins/{SLUG}", {"private": True}).status_code == 200
    try:
        fast, whole = both(f"{CHECK}?current_version=1.1.0", world["site"])
        assert whole["statusCode"] == 200 and fast == whole
        assert whole["headers"]["Cache-Control"].startswith("private")
        fast, whole = both(f"{CHECK}?current_version=1.1.0")
        assert fast is None and whole["statusCode"] == 404
    finally:
        assert admin(client, "patch", f"/admin/plugins/{SLUG}", {"private": False}).status_code == 200


def test_a_revalidation_is_the_same_304(world: dict[str, Any]) -> None:
    _, first = both(f"{CHECK}?current_version=1.0.0")
    fast, whole = both(f"{CHECK}?current_version=1.0.0", {"If-None-Match": first["headers"]["ETag"]})
    assert whole["statusCode"] == 304 and fast == whole


def test_signed_answers_are_the_same_bytes_under_the_same_signature(world: dict[str, Any]) -> None:
    fast, whole = both(f"{CHECK}?current_version=1.0.0")
    assert fast is not None and "X-IGNY8-Signature" in fast["headers"]
    assert (fast["body"], fast["headers"]["X-IGNY8-Signature"]) == (
        whole["body"],
        whole["headers"]["X-IGNY8-Signature"],
    )


LEFT = {
    "a malformed version": (f"{CHECK}?current_version=one", {}, 400),
    "no version": (CHECK, {}, 400),
    "an unknown channel": (f"{CHECK}?current_version=1.0.0&channel=nightly", {}, 400),
    "a malformed site id": (f"{CHECK}?current_version=1.0.0", {"X-IGNY8-Site-ID": "bad id!"}, 400),
    "an unknown plugin": ("/plugins/no-such-plugin/check-update?current_version=1.0.0", {}, 404),
    "a key that is not the site's": (
        f"{CHECK}?current_version=1.0.0",
        {"X-IGNY8-Site-ID": "site-anonymous-1", "X-IGNY8-API-Key": "igny8_sk_wrong"},
        401,
    ),
    "a version the index leaves out": (f"{CHECK}?current_version=9.0.0", {}, 200),
}


@pytest.mark.parametrize(("path", "headers", "status"), LEFT.values(), ids=list(LEFT))
def test_what_the_app_refuses_or_reads_more_for_is_left_to_it(
    world: dict[str, Any], path: str, headers: dict[str, str], status: int
) -> None:
    fast, whole = both(path, headers)
    assert fast is None
    assert whole["statusCode"] == status
    assert entry.handler(event(path, headers), None) == whole


def test_an_offer_to_a_known_site_is_left_to_the_app_which_records_it(world: dict[str, Any]) -> None:
    site = world["site"]
    path = f"{CHECK}?current_version=1.0.0"
    assert hot_check.answer(event(path, site), None) is None
    answered = entry.handler(event(path, site), None)
    assert json.loads(answered["body"])["latest_version"] == "1.1.0"
    recorded = InstallationModel.get(site["X-IGNY8-Site-ID"], SLUG)
    assert recorded.offered_version == "1.1.0"


def test_a_failing_read_is_left_to_the_app(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(*_: Any, **__: Any) -> None:
        raise aws_json.AwsError("InternalServerError", 500, "DynamoDB is having a bad day")

    monkeypatch.setattr(aws_json.AwsJson, "get_item", unavailable)
    path = f"{CHECK}?current_version=1.0.0"
    assert hot_check.answer(event(path), None) is None
    assert entry.handler(event(path), None)["statusCode"] == 200  # the app reads through pynamodb


def test_the_fast_path_reads_the_parameters_and_keys_caches_as_the_route_declares() -> None:
    assert tuple(CheckUpdateQuery.model_fields) == hot_check.PARAMETERS
    assert cache_keys()[hot_check.ROUTE].vary == hot_check.VARY


def test_each_check_is_counted_once_and_a_check_left_to_the_app_says_so(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """CloudWatch's metrics (EMF, one line per invocation): CheckUpdate for every check answered
    (UpdateOffered with an offer), and CheckUpdateLeft when the check paid for the whole app."""

    def metrics_of(path: str) -> dict[str, list[float]]:
        metrics.clear_metrics()  # what an earlier test counted without an invocation to flush it
        capsys.readouterr()
        entry.handler(event(path), None)
        lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
        assert len(lines) == 1, lines
        names = [m["Name"] for m in lines[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
        return {name: lines[0][name] for name in names}

    assert metrics_of(f"{CHECK}?current_version=1.0.0") == {"CheckUpdate": [1.0], "UpdateOffered": [1.0]}
    assert metrics_of(f"{CHECK}?current_version=9.0.0") == {"CheckUpdateLeft": [1.0], "CheckUpdate": [1.0]}
    assert metrics_of(f"{CHECK}?current_version=one") == {"CheckUpdateLeft": [1.0], "Responses4xx": [1.0]}


def test_within_the_warm_bound_an_offer_the_app_recorded_is_answered_by_the_fast_path(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm container leaves a site's offer to the app once per bound (the app records it and
    remembers it did), then answers the same site's checks itself, as the app would."""
    monkeypatch.setenv("HOT_CACHE_SECONDS", "10")
    get_settings.cache_clear()
    try:
        site, path = world["site"], f"{CHECK}?current_version=1.0.0"
        assert hot_check.answer(event(path, site), None) is None
        recorded = entry.handler(event(path, site), None)
        fast, whole = both(path, site)
        assert fast is not None and fast == whole
        assert (
            json.loads(fast["body"])["latest_version"]
            == json.loads(recorded["body"])["latest_version"]
            == "1.1.0"
        )
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
