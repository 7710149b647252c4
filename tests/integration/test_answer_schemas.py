"""What the public and site routes really answer matches the answer each route declares
(``api/routing.py``'s registry, from ``logic/answers.py``), the schema the OpenAPI document
publishes for it: under moto, a released and signed version, a site with a key, the keys before and
after infra/keys.py publishes them."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import boto3
from chalice.test import Client

from chalicelib import adapters
from chalicelib.api.routing import REGISTRY
from infra.keys import KeyStore
from tests.integration.test_error_shape import world  # noqa: F401  # the fixture: a release and a site
from tests.unit.test_answers import problems

SLUG = "igny8-wp-bridge"


def _declared(method: str, path: str) -> Any:
    """The answer model declared by the route that serves ``path``."""
    parts = urlsplit(path).path.strip("/").split("/")
    for spec in REGISTRY:
        template = spec.path.strip("/").split("/")
        same_shape = spec.method == method and len(template) == len(parts)
        if same_shape and all(t.startswith("{") or t == p for t, p in zip(template, parts, strict=True)):
            return spec.response
    raise AssertionError(f"no route serves {method} {path}")


def _problems(client: Client, path: str, headers: dict[str, str] | None = None, **report: str) -> list[str]:
    """GET ``path`` (POST ``report`` to it when one is given): what its answer's declared schema
    finds wrong with it."""
    if not report:
        response = client.http.get(path, headers=headers or {})
    else:
        body = json.dumps(report).encode()
        response = client.http.post(
            path, headers={**(headers or {}), "Content-Type": "application/json"}, body=body
        )
    assert response.status_code == 200, response.body
    return problems(_declared("post" if report else "get", path), response.json_body)


def test_every_answer_of_the_public_and_site_routes_matches_its_declared_schema(
    client: Client,
    aws: dict[str, str],
    world: dict[str, str],  # noqa: F811  # pytest passes the imported fixture
) -> None:
    site = world  # 1.0.0 released and signed, and a site's credentials
    KeyStore.of_stack(aws).rotate()
    adapters.reset()
    check = f"/plugins/{SLUG}/check-update?current_version="
    found = {
        "an offer": _problems(client, check + "0.9.0"),
        "up to date": _problems(client, check + "1.0.0&channel=beta", site),
        "nothing to show": _problems(client, check + "0.1.0&installed_version=0.1.0&wp_version=1.0"),
        "info": _problems(client, f"/plugins/{SLUG}/info", site),
        "latest": _problems(client, "/plugins/wordpress/latest"),
        "download-url": _problems(client, f"/plugins/{SLUG}/download-url?version=1.0.0", site),
        "register": _problems(client, f"/plugins/{SLUG}/register-installation", site, version="1.0.0"),
        "health": _problems(client, f"/plugins/{SLUG}/health-check", site, version="1.0.0", status="error"),
        "keys": _problems(client, "/keys"),
    }
    # The keys parameter as CloudFormation creates it, before infra/keys.py publishes anything.
    parameter = aws["SigningPublicKeysParameterName"]
    boto3.client("ssm").put_parameter(Name=parameter, Value='{"keys": []}', Type="String", Overwrite=True)
    adapters.reset()
    assert client.http.get("/keys").json_body == {"keys": []}
    found["keys never published"] = _problems(client, "/keys")

    assert found == {answer: [] for answer in found}


def test_the_check_is_not_blind_an_answer_unlike_its_route_declaration_is_found(client: Client) -> None:
    assert problems(_declared("get", f"/plugins/{SLUG}/check-update"), {"slug": SLUG})
    assert problems(_declared("get", "/keys"), {"keys": [], "roots": []})


def test_a_no_update_answer_is_at_most_one_kilobyte_signature_included_and_an_offer_has_no_sections(
    client: Client,
    world: dict[str, str],  # noqa: F811  # pytest passes the imported fixture
) -> None:
    """Sites ask twice a day and are almost always up to date: that answer is what the fleet pays
    for. Counted as sent: the body plus the signature headers (name, ": ", value, CRLF)."""
    check = f"/plugins/{SLUG}/check-update?current_version="
    for site in ({}, world):
        answer = client.http.get(check + "1.0.0", headers=site)
        signature = {k: v for k, v in answer.headers.items() if k.lower().startswith("x-igny8-")}
        assert set(signature) == {"X-IGNY8-Signature", "X-IGNY8-Key-Id"}
        sent = len(answer.body) + sum(len(f"{k}: {v}\r\n") for k, v in signature.items())
        assert answer.json_body["update_available"] is False
        assert sent <= 1024, (sent, answer.body)
    offer = client.http.get(check + "0.9.0").json_body
    assert offer["update_available"] is True
    assert "sections" not in offer and all("<h4>" not in str(value) for value in offer.values())
