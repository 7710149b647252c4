"""App downloads: the IGNY8 app's backend vouches for its signed-in user with a short-lived token
(``X-IGNY8-App-Token``, signed with the stage's secret from Secrets Manager). ``track-download``
and ``download`` then serve and count the download for that user, under a per-user allowance
instead of the per-address one; a token that is forged, malformed or lapsed is a 401 and changes
nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from chalice.test import Client

from chalicelib import adapters
from chalicelib.logic.apptoken import mint
from tests.integration.conftest import Packager, admin_headers, deployed, source_zip, upload

SLUG = "igny8-wp-bridge"
APP = "https://app.igny8.test"
PER_USER = 3
PER_ADDRESS = 2
TRACK = f"/plugins/{SLUG}/track-download/"
DOWNLOAD = f"/plugins/{SLUG}/download/"


@dataclass
class World:
    client: Client
    key: bytes
    secret_name: str
    users: Iterator[int]

    def token(
        self, user: str, *, key: bytes | None = None, at: datetime | None = None, lifetime: int = 300
    ) -> str:
        return mint(key or self.key, user, at or datetime.now(UTC), lifetime)

    def fresh_user(self) -> str:
        """A user no other test has spent the allowance of (windows are hourly)."""
        return f"user-{next(self.users)}"

    def downloads(self) -> int:
        stats = self.client.http.get(f"/admin/plugins/{SLUG}/stats", headers=admin_headers())
        return int(stats.json_body["downloads"]["total"])


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with deployed() as (client, outputs), pytest.MonkeyPatch.context() as env:
        env.setenv("APP_ORIGINS", APP)
        env.setenv("USER_DOWNLOADS_PER_HOUR", str(PER_USER))
        env.setenv("ANONYMOUS_DOWNLOADS_PER_HOUR", str(PER_ADDRESS))
        adapters.reset()
        upload(outputs["ArtifactsBucketName"], f"sources/wordpress/{SLUG}/1.0.0/x.zip", source_zip())
        assert all(o["ok"] for o in Packager(client, outputs).run())
        released = client.http.post(f"/admin/plugins/{SLUG}/versions/1.0.0/release", headers=admin_headers())
        assert released.status_code == 200, released.body
        name = outputs["AppTokenSecretName"]
        secret = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(SecretId=name)
        yield World(client, json.loads(secret["SecretString"])["key"].encode(), name, iter(range(10_000)))


def test_the_template_generates_a_long_random_key_per_stage(world: World) -> None:
    assert len(world.key) == 64
    assert world.key.isalnum()


def test_a_valid_token_serves_and_counts_the_users_download(world: World) -> None:
    before = world.downloads()

    response = world.client.http.post(
        TRACK, headers={"X-IGNY8-App-Token": world.token(world.fresh_user()), "Origin": APP}
    )

    assert response.status_code == 200, response.body
    answer = response.json_body
    assert answer["version"] == "1.0.0"
    assert answer["url"].startswith("https://") and "X-Amz-Signature" in answer["url"]
    assert answer["file_size"] > 0 and len(answer["sha256"]) == 64
    assert response.headers["Access-Control-Allow-Origin"] == APP
    assert world.downloads() == before + 1


def test_the_download_route_takes_the_token_too(world: World) -> None:
    before = world.downloads()

    response = world.client.http.get(DOWNLOAD, headers={"X-IGNY8-App-Token": world.token(world.fresh_user())})

    assert response.status_code == 302
    assert "X-Amz-Signature" in response.headers["Location"]
    assert world.downloads() == before + 1


def test_each_user_has_an_allowance_of_their_own(world: World) -> None:
    alice, bob = world.fresh_user(), world.fresh_user()
    for _ in range(PER_USER):
        assert (
            world.client.http.post(TRACK, headers={"X-IGNY8-App-Token": world.token(alice)}).status_code
            == 200
        )
    before = world.downloads()

    refused = world.client.http.get(DOWNLOAD, headers={"X-IGNY8-App-Token": world.token(alice)})
    other = world.client.http.post(TRACK, headers={"X-IGNY8-App-Token": world.token(bob)})

    assert refused.status_code == 429
    assert refused.json_body["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0
    assert other.status_code == 200
    assert world.downloads() == before + 1


def test_an_office_behind_one_address_is_not_held_to_the_address_allowance(world: World) -> None:
    # Chalice's test client gives every request the same source address.
    anonymous = [world.client.http.get(DOWNLOAD).status_code for _ in range(PER_ADDRESS + 1)]
    users = [
        world.client.http.post(
            TRACK, headers={"X-IGNY8-App-Token": world.token(world.fresh_user())}
        ).status_code
        for _ in range(PER_ADDRESS + 2)
    ]

    assert anonymous[-1] == 429
    assert users == [200] * (PER_ADDRESS + 2)


def test_a_token_from_the_previous_key_works_while_the_secret_rotates(world: World) -> None:
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    new_key = "n" * 64
    secrets.put_secret_value(
        SecretId=world.secret_name, SecretString=json.dumps({"key": new_key, "previous": world.key.decode()})
    )
    adapters.reset()
    try:
        for key in (world.key, new_key.encode()):
            token = world.token(world.fresh_user(), key=key)
            assert world.client.http.post(TRACK, headers={"X-IGNY8-App-Token": token}).status_code == 200
    finally:
        secrets.put_secret_value(
            SecretId=world.secret_name, SecretString=json.dumps({"key": world.key.decode()})
        )
        adapters.reset()


def _refused_tokens(world: World) -> dict[str, tuple[str, str]]:
    user = world.fresh_user()
    valid = world.token(user)
    head, claims, signature = valid.split(".")
    forged_claims = claims[:-2] + ("AA" if claims[-2:] != "AA" else "BB")
    return {
        "expired": (world.token(user, at=datetime.now(UTC) - timedelta(seconds=301)), "expired_app_token"),
        "another key": (world.token(user, key=b"k" * 64), "invalid_app_token"),
        "claims changed": (f"{head}.{forged_claims}.{signature}", "invalid_app_token"),
        "issued in the future": (
            world.token(user, at=datetime.now(UTC) + timedelta(hours=1)),
            "invalid_app_token",
        ),
        "not a token": ("hello", "invalid_app_token"),
        "empty": ("", "invalid_app_token"),
        "other version": (f"v2.{claims}.{signature}", "invalid_app_token"),
        "huge": ("v1." + "A" * 5000 + ".x", "invalid_app_token"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "expired",
        "another key",
        "claims changed",
        "issued in the future",
        "not a token",
        "empty",
        "other version",
        "huge",
    ],
)
@pytest.mark.parametrize(("method", "path"), [("POST", TRACK), ("GET", DOWNLOAD)])
def test_a_bad_token_is_refused_and_counts_nothing(world: World, case: str, method: str, path: str) -> None:
    token, code = _refused_tokens(world)[case]
    before = world.downloads()

    response = world.client.http.request(method, path, headers={"X-IGNY8-App-Token": token, "Origin": APP})

    assert response.status_code == 401, response.body
    assert response.json_body == {"error": {"code": code, "message": response.json_body["error"]["message"]}}
    assert response.json_body["error"]["message"]
    assert response.headers["Access-Control-Allow-Origin"] == APP  # the app can tell its user why
    assert world.downloads() == before


def test_track_download_without_a_token_or_a_site_key_is_still_refused(world: World) -> None:
    response = world.client.http.post(TRACK, headers={"Origin": APP})

    assert response.status_code == 401
    assert response.json_body["error"]["code"] == "unauthorized"


def test_the_openapi_document_describes_app_tokens(world: World) -> None:
    document = world.client.http.get("/openapi.json").json_body
    scheme = document["components"]["securitySchemes"]["appToken"]
    track = document["paths"]["/plugins/{slug}/track-download"]

    assert (scheme["in"], scheme["name"]) == ("header", "X-IGNY8-App-Token")
    assert {"appToken": []} in track["post"]["security"]
    assert track["post"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DownloadUrl"
    }
    assert "options" in track and "options" not in document["paths"]["/plugins/{slug}/register-installation"]
