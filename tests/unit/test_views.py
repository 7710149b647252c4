"""The admin and site JSON, dumped from the records: exactly the keys and formats the CLI, the
dashboard and WordPress read, nothing the record marks hidden, and a schema each answer matches."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema
import pytest
from pydantic import Field
from pydantic.dataclasses import dataclass

from chalicelib.api.views import (
    VIEWED,
    audit_json,
    installation_json,
    plugin_json,
    site_json,
    version_json,
    view,
    view_schemas,
)
from chalicelib.logic.model import (
    AuditEntry,
    Failure,
    Installation,
    Platform,
    Plugin,
    PluginVersion,
    Site,
    Status,
)

NOW = datetime(2024, 5, 6, 15, 4, 5, 123456, tzinfo=UTC)
LATER = NOW + timedelta(days=1)
SECRET = "secret-never-shown"


def full_version(**changes: Any) -> PluginVersion:
    version = PluginVersion(
        slug="igny8-bridge",
        version="1.2.0",
        status=Status.RELEASED,
        created_at=NOW,
        channel="beta",
        file_path="packages/wordpress/igny8-bridge/1.2.0.zip",
        file_size=123_456,
        sha256="b" * 64,
        sha384="c" * 96,
        signature="c2lnbmF0dXJl",
        signature_key_id="key-1",
        changelog="* Fixed things",
        released_at=LATER,
        force_update=True,
        requires="6.0",
        tested="6.5",
        requires_php="8.1",
        main_file="igny8-bridge.php",
        plugin_name=SECRET,
        description=SECRET,
        author=SECRET,
        author_uri=SECRET,
        plugin_uri=SECRET,
        update_uri="https://plugins.igny8.com",
        text_domain="igny8-bridge",
        sections={"description": SECRET},
        stamped=["igny8-bridge.php"],
        source_key="sources/wordpress/igny8-bridge/1.2.0/x.zip",
        source_version_id="v1",
        source_event_time=NOW,
        rollout_percent=25,
        offer_above="1.0.0",
        rollback_of="1.1.0",
        package_expires_at=None,
        revision=7,
    )
    return dataclasses.replace(version, **changes)


def plugin(**changes: Any) -> Plugin:
    record = Plugin(
        slug="igny8-bridge",
        name="IGNY8 Bridge",
        platform=Platform.WORDPRESS,
        created_at=NOW,
        updated_at=LATER,
        description="Connects WordPress to IGNY8",
        latest={"stable": "1.2.0"},
        rollout_salt=SECRET,
        private=True,
        downloads_per_hour=12,
        revision=3,
    )
    return dataclasses.replace(record, **changes)


def site(**changes: Any) -> Site:
    record = Site(
        site_id="shop-1",
        name="Shop",
        url="https://shop.example",
        key_sha256=SECRET,
        key_prefix="igny8_ab",
        created_at=NOW,
        previous_key_sha256=SECRET,
        revision=2,
    )
    return dataclasses.replace(record, **changes)


def installation() -> Installation:
    return Installation(
        "shop-1",
        "igny8-bridge",
        NOW,
        LATER,
        current_version="1.1.0",
        health_status="ok",
        pending_update="1.2.0",
        last_health_check=NOW,
        offered_version="1.2.0",
        health_message=SECRET,
        wp_version="6.5",
        php_version="8.2",
        site_url="https://shop.example",
    )


def audit_entry() -> AuditEntry:
    return AuditEntry(
        "igny8-bridge", NOW, "admin", "release", "1.2.0", {"status": "staged"}, {"status": "released"}
    )


def test_a_version_shows_the_keys_the_cli_reads_with_the_seeds_names_and_none_of_the_headers() -> None:
    assert version_json(full_version()) == {
        "version": "1.2.0",
        "version_code": 10200,
        "status": "released",
        "channel": "beta",
        "rollout_percent": 25,
        "force_update": True,
        "offer_above": "1.0.0",
        "rollback_of": "1.1.0",
        "file_path": "packages/wordpress/igny8-bridge/1.2.0.zip",
        "file_size": 123_456,
        "sha256": "b" * 64,
        "checksum": "b" * 64,
        "sha384": "c" * 96,
        "signature": "c2lnbmF0dXJl",
        "signature_key_id": "key-1",
        "changelog": "* Fixed things",
        "requires": "6.0",
        "tested": "6.5",
        "requires_php": "8.1",
        "created_at": "2024-05-06T15:04:05Z",
        "released_at": "2024-05-07T15:04:05Z",
        "package_expires_at": None,
        "main_file": "igny8-bridge.php",
        "update_uri": "https://plugins.igny8.com",
        "text_domain": "igny8-bridge",
        "source_key": "sources/wordpress/igny8-bridge/1.2.0/x.zip",
        "source_version_id": "v1",
        "rollout": None,
        "failure_code": None,
        "failure_reason": None,
        "stamped": ["igny8-bridge.php"],
    }


def test_a_failed_version_shows_why() -> None:
    shown = version_json(
        full_version(status=Status.FAILED, failure_code="zip_bomb", failure_reason="too big")
    )
    assert (shown["status"], shown["failure_code"], shown["failure_reason"]) == (
        "failed",
        "zip_bomb",
        "too big",
    )


def test_a_plugin_shows_its_last_failure_but_not_its_rollout_salt_or_revision() -> None:
    failed = plugin(
        last_failure=Failure(source_key="sources/x.zip", code="bad_header", message="no header", at=NOW)
    )
    assert plugin_json(failed) == {
        "slug": "igny8-bridge",
        "name": "IGNY8 Bridge",
        "platform": "wordpress",
        "description": "Connects WordPress to IGNY8",
        "is_active": True,
        "latest": {"stable": "1.2.0"},
        "private": True,
        "downloads_per_hour": 12,
        "last_failure": {
            "source_key": "sources/x.zip",
            "code": "bad_header",
            "message": "no header",
            "at": "2024-05-06T15:04:05Z",
        },
        "created_at": "2024-05-06T15:04:05Z",
        "updated_at": "2024-05-07T15:04:05Z",
    }
    assert plugin_json(plugin())["last_failure"] is None


def test_a_site_shows_its_status_and_key_prefix_never_a_key_hash() -> None:
    assert site_json(site()) == {
        "site_id": "shop-1",
        "name": "Shop",
        "url": "https://shop.example",
        "key_prefix": "igny8_ab",
        "status": "active",
        "created_at": "2024-05-06T15:04:05Z",
        "rotated_at": None,
        "revoked_at": None,
        "previous_key_valid_until": None,
    }
    revoked = site_json(site(revoked_at=LATER, rotated_at=NOW, previous_key_valid_until=LATER))
    assert revoked["status"] == "revoked"
    assert (revoked["rotated_at"], revoked["revoked_at"]) == ("2024-05-06T15:04:05Z", "2024-05-07T15:04:05Z")


def test_a_site_is_answered_with_what_decides_its_updates_not_the_telemetry_it_sent() -> None:
    assert installation_json(installation()) == {
        "site_id": "shop-1",
        "slug": "igny8-bridge",
        "current_version": "1.1.0",
        "is_active": True,
        "health_status": "ok",
        "pending_update": "1.2.0",
    }


def test_an_audit_entry_keeps_microseconds_so_one_operations_entries_read_in_order() -> None:
    assert audit_json(audit_entry()) == {
        "at": "2024-05-06T15:04:05.123456Z",
        "actor": "admin",
        "action": "release",
        "version": "1.2.0",
        "before": {"status": "staged"},
        "after": {"status": "released"},
    }


def test_timestamps_are_written_as_the_moment_was_given_as_iso_always_did() -> None:
    plus_two = datetime(2024, 5, 6, 17, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert plugin_json(plugin(created_at=plus_two))["created_at"] == "2024-05-06T17:04:05Z"


SAMPLES: list[Any] = [
    full_version(),
    full_version(status=Status.FAILED, failure_code="x", failure_reason="y", released_at=None),
    plugin(),
    plugin(last_failure=Failure(source_key="s", code="c", message="m", at=NOW)),
    site(),
    site(revoked_at=NOW),
    installation(),
    audit_entry(),
]


@pytest.mark.parametrize("record", SAMPLES, ids=lambda record: type(record).__name__)
def test_every_answer_matches_its_schema_which_lists_every_key_it_has_and_no_hidden_one(record: Any) -> None:
    schemas = view_schemas()
    name = type(record).__name__
    schema = {**schemas[name], "components": {"schemas": schemas}}
    shown = view(record)

    jsonschema.validate(shown, schema)  # refs: #/components/schemas/..., as in the OpenAPI document
    assert set(schema["required"]) == set(schema["properties"]) == set(shown)
    assert schema["additionalProperties"] is False
    assert SECRET not in str(shown)


def test_the_schemas_describe_the_fields_and_name_what_they_refer_to() -> None:
    schemas = view_schemas(ref_template="#/$defs/{model}")
    assert set(schemas) == {t.__name__ for t in VIEWED} | {"Failure", "Status", "Platform", "RolloutPlan"}
    version = schemas["PluginVersion"]["properties"]
    assert "SHA-384" in version["sha384"]["description"]
    assert version["created_at"] == {
        "description": "When the version was created.",
        "format": "date-time",
        "title": "Created At",
        "type": "string",
    }
    assert schemas["Plugin"]["properties"]["last_failure"]["anyOf"][0] == {"$ref": "#/$defs/Failure"}
    assert "rollout_salt" not in schemas["Plugin"]["properties"]
    assert {"key_sha256", "previous_key_sha256", "revision"}.isdisjoint(schemas["Site"]["properties"])


def test_a_field_added_to_a_record_is_shown_with_no_change_to_the_views() -> None:
    @dataclass
    class NotedVersion(PluginVersion):
        note: str = Field(default="", description="A note for admins.")

    noted = NotedVersion(**{**vars(full_version()), "note": "hello"})
    assert version_json(noted) == {**version_json(full_version()), "note": "hello"}
