"""Admin routes: refused without the admin token, and releasing behaves as an admin expects.

One world per module (see ``conftest.deployed``); each test owns the versions it changes:

* 1.0.0 draft (the auth tests try to release it), 1.2.0 draft (released twice by a test),
* 1.3.0 failed (its upload was not a zip), 1.9.0 released, 1.10.0 draft.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from chalice.test import Client

from tests.conftest import ADMIN_TOKEN
from tests.integration.conftest import Packager, admin_headers, deployed, source_zip, upload
from tests.integration.test_public_api import assert_error

SLUG = "igny8-wp-bridge"
STATUS = f"/admin/plugins/{SLUG}"


def release_path(version: str, slug: str = SLUG) -> str:
    return f"/admin/plugins/{slug}/versions/{version}/release"


@dataclass(frozen=True)
class World:
    client: Client
    bucket: str
    version_ids: dict[str, str]

    def versions(self) -> list[dict[str, Any]]:
        response = self.client.http.get(STATUS, headers=admin_headers())
        assert response.status_code == 200, response.body
        return response.json_body["versions"]

    def version(self, version: str) -> dict[str, Any]:
        return next(v for v in self.versions() if v["version"] == version)

    def release(self, version: str, slug: str = SLUG) -> tuple[int, dict[str, Any]]:
        response = self.client.http.post(release_path(version, slug), headers=admin_headers())
        return response.status_code, response.json_body


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with deployed() as (client, outputs):
        bucket = outputs["ArtifactsBucketName"]
        version_ids = {}
        for version in ("1.0.0", "1.2.0", "1.3.0", "1.9.0", "1.10.0"):
            body = b"this is not a zip archive" if version == "1.3.0" else source_zip()
            version_ids[version] = upload(bucket, f"sources/wordpress/{SLUG}/{version}/x.zip", body)
        Packager(client, outputs).run()
        world = World(client, bucket, version_ids)
        assert world.release("1.9.0")[0] == 200
        yield world


# authentication -------------------------------------------------------------------------------

BAD_CREDENTIALS = {
    "no header": {},
    "wrong scheme": {"Authorization": f"Basic {ADMIN_TOKEN}"},
    "no scheme": {"Authorization": ADMIN_TOKEN},
    "empty bearer": {"Authorization": "Bearer "},
    "wrong token": {"Authorization": "Bearer not-the-admin-token"},
    "token with a suffix": {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
    "site api key alone": {"X-IGNY8-API-Key": ADMIN_TOKEN, "X-IGNY8-Site-ID": "1"},
}


@pytest.mark.parametrize("headers", BAD_CREDENTIALS.values(), ids=BAD_CREDENTIALS.keys())
def test_every_admin_route_refuses_without_the_admin_token_and_changes_nothing(
    world: World, headers: dict[str, str]
) -> None:
    before = world.versions()

    status = world.client.http.get(STATUS, headers=headers)
    release = world.client.http.post(release_path("1.0.0"), headers=headers)

    for response in (status, release):
        assert_error(response.status_code, response.json_body, 401, "unauthorized")
        assert response.headers["Content-Type"].startswith("application/json")
        assert SLUG not in response.body.decode()  # no plugin data leaks into the refusal
    after = world.versions()
    assert after == before
    record = next(v for v in after if v["version"] == "1.0.0")
    assert (record["status"], record["released_at"]) == ("draft", None)


def test_refused_even_for_unknown_plugins_and_malformed_paths(world: World) -> None:
    """Credentials are checked before anything else: no probing which plugins exist."""
    for path in ("/admin/plugins/no-such-plugin", "/admin/plugins/Bad_Slug!"):
        response = world.client.http.get(path)
        assert_error(response.status_code, response.json_body, 401, "unauthorized")
    for path in (release_path("9.9.9"), release_path("banana"), release_path("1.0.0", "Bad_Slug!")):
        response = world.client.http.post(path, headers={"Authorization": "Bearer wrong"})
        assert_error(response.status_code, response.json_body, 401, "unauthorized")


# status ---------------------------------------------------------------------------------------


def test_status_lists_versions_newest_first_with_what_an_admin_needs(world: World) -> None:
    response = world.client.http.get(STATUS, headers=admin_headers())

    assert response.status_code == 200
    plugin, versions = response.json_body["plugin"], response.json_body["versions"]
    assert (plugin["slug"], plugin["platform"], plugin["name"]) == (
        SLUG,
        "wordpress",
        "IGNY8 WordPress Bridge",
    )
    assert plugin["latest"] == {"stable": "1.9.0"}
    # PHP order (1.10.0 > 1.9.0), not string or upload order.
    assert [v["version"] for v in versions] == ["1.10.0", "1.9.0", "1.3.0", "1.2.0", "1.0.0"]
    by_version = {v["version"]: v for v in versions}
    assert by_version["1.10.0"]["status"] == "draft"
    assert by_version["1.9.0"]["status"] == "released"
    assert by_version["1.9.0"]["released_at"].endswith("Z")
    assert by_version["1.3.0"]["status"] == "failed"
    s3 = boto3.client("s3", region_name="us-east-1")
    for version in ("1.10.0", "1.9.0", "1.0.0"):
        record = by_version[version]
        assert record["source_key"] == f"sources/wordpress/{SLUG}/{version}/x.zip"
        assert record["source_version_id"] == world.version_ids[version]
        assert record["file_path"] == f"packages/wordpress/{SLUG}/{SLUG}-v{version}.zip"
        head = s3.head_object(Bucket=world.bucket, Key=record["file_path"])
        assert record["file_size"] == head["ContentLength"]
        assert len(record["sha256"]) == 64 and record["checksum"] == record["sha256"]
        assert record["failure_code"] is None and record["failure_reason"] is None


def test_status_of_an_unknown_or_malformed_plugin(world: World) -> None:
    response = world.client.http.get("/admin/plugins/no-such-plugin", headers=admin_headers())
    assert_error(response.status_code, response.json_body, 404)
    response = world.client.http.get("/admin/plugins/Bad_Slug!", headers=admin_headers())
    assert_error(response.status_code, response.json_body, 400, "invalid_slug")


# release --------------------------------------------------------------------------------------


def test_release_twice_keeps_the_first_release(world: World) -> None:
    status, first = world.release("1.2.0")
    assert status == 200
    assert first["version"]["status"] == "released"
    released_at = first["version"]["released_at"]
    assert released_at is not None

    status, again = world.release("1.2.0")

    assert status == 200
    assert again["version"]["status"] == "released"
    assert again["version"]["released_at"] == released_at
    assert world.version("1.2.0")["released_at"] == released_at


@pytest.mark.parametrize("slug, version", [(SLUG, "9.9.9"), (SLUG, "1.10.1"), ("no-such-plugin", "1.0.0")])
def test_release_of_an_unknown_version_is_a_404(world: World, slug: str, version: str) -> None:
    before = world.versions()

    status, body = world.release(version, slug)

    assert_error(status, body, 404)
    assert world.versions() == before


def test_release_of_a_failed_version_is_refused(world: World) -> None:
    before = world.version("1.3.0")
    assert before["failure_code"] and before["failure_reason"]

    status, body = world.release("1.3.0")

    assert_error(status, body, 409, "invalid_transition")
    assert world.version("1.3.0") == before
    response = world.client.http.get(f"/plugins/{SLUG}/check-update?current_version=1.0.0")
    assert response.json_body["latest_version"] != "1.3.0"


@pytest.mark.parametrize("version", ["banana", "v1.0.0", "1..0", "1.0.0-", "-1"])
def test_release_with_a_malformed_version_is_a_400(world: World, version: str) -> None:
    before = world.versions()

    status, body = world.release(version)

    assert_error(status, body, 400, "invalid_version")
    assert world.versions() == before


def test_release_with_a_malformed_slug_is_a_400(world: World) -> None:
    status, body = world.release("1.0.0", "Bad_Slug!")

    assert_error(status, body, 400, "invalid_slug")
    assert world.version("1.0.0")["status"] == "draft"
