"""What the routes really answer matches the answer schemas the OpenAPI document publishes
(``logic/answers.py``), under moto: a released, signed version, a site with a key, the keys before
and after infra/keys.py publishes them."""

from __future__ import annotations

import json
from typing import Any

import boto3
from chalice.test import Client

from chalicelib import adapters
from chalicelib.logic.answers import PUBLIC_ANSWERS
from infra.keys import KeyStore
from tests.integration.test_error_shape import world  # noqa: F401  # the fixture: a release and a site
from tests.unit.test_answers import problems

SLUG = "igny8-wp-bridge"


def _answer(client: Client, path: str, headers: dict[str, str] | None = None, **report: str) -> Any:
    """GET ``path``, or POST ``report`` to it when one is given."""
    if not report:
        response = client.http.get(path, headers=headers or {})
    else:
        body = json.dumps(report).encode()
        response = client.http.post(
            path, headers={**(headers or {}), "Content-Type": "application/json"}, body=body
        )
    assert response.status_code == 200, response.body
    return response.json_body


def test_every_answer_of_the_public_and_site_routes_matches_its_schema(
    client: Client,
    aws: dict[str, str],
    world: dict[str, str],  # noqa: F811  # pytest passes the imported fixture
) -> None:
    site = world  # 1.0.0 released and signed, and a site's credentials
    KeyStore.of_stack(aws).rotate()
    adapters.reset()
    check = f"/plugins/{SLUG}/check-update?current_version="
    answers = [
        ("check_update", _answer(client, check + "0.9.0")),
        ("check_update", _answer(client, check + "1.0.0&channel=beta", site)),
        ("check_update", _answer(client, check + "0.1.0&installed_version=0.1.0&wp_version=1.0")),
        ("info", _answer(client, f"/plugins/{SLUG}/info", site)),
        ("latest", _answer(client, "/plugins/wordpress/latest")),
        ("download_url", _answer(client, f"/plugins/{SLUG}/download-url?version=1.0.0", site)),
        ("installation", _answer(client, f"/plugins/{SLUG}/register-installation", site, version="1.0.0")),
        (
            "installation",
            _answer(client, f"/plugins/{SLUG}/health-check", site, version="1.0.0", status="active"),
        ),
        ("keys", _answer(client, "/keys")),
    ]
    # The keys parameter as CloudFormation creates it, before infra/keys.py publishes anything.
    parameter = aws["SigningPublicKeysParameterName"]
    boto3.client("ssm").put_parameter(Name=parameter, Value='{"keys": []}', Type="String", Overwrite=True)
    adapters.reset()
    answers.append(("keys", _answer(client, "/keys")))

    assert [answer.get("update_available") for route, answer in answers[:3]] == [True, False, False]
    assert answers[-1][1] == {"keys": []} and "key_list" in answers[-2][1]
    assert {route: problems(PUBLIC_ANSWERS[route], answer) for route, answer in answers} == {
        route: [] for route, _ in answers
    }
