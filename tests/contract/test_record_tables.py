"""The tables derived from the records, on the template's tables in moto: each stores exactly its
record's fields plus what is DynamoDB's own, items written before the records were declared once
still read back, and a field added to a record is stored, read and shown with no other edit."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from pydantic import Field
from pydantic.dataclasses import dataclass
from pynamodb.attributes import MapAttribute, UnicodeAttribute, UTCDateTimeAttribute

from chalicelib.api.views import version_json
from chalicelib.dal.models import (
    AuditModel,
    InstallationModel,
    PluginModel,
    PluginVersionModel,
    SiteModel,
)
from chalicelib.dal.records import RecordTable
from chalicelib.dal.repository import DynamoRepository
from chalicelib.logic.model import Failure, PluginVersion, Status
from chalicelib.logic.versions import sort_key
from chalicelib.settings import get_settings

NOW = datetime(2024, 5, 6, 15, 4, 5, 123456, tzinfo=UTC)
SLUG = "igny8-bridge"

#: Per table: the attributes that are no record field (its own keys and codes).
OWN_ATTRIBUTES: list[tuple[type[RecordTable[Any]], set[str]]] = [
    (PluginModel, set()),
    (PluginVersionModel, {"version_key", "version_code"}),
    (InstallationModel, set()),
    (SiteModel, set()),
    (AuditModel, {"at_id"}),
]


@pytest.mark.parametrize(("table", "own"), OWN_ATTRIBUTES, ids=lambda t: getattr(t, "__name__", ""))
def test_every_table_stores_its_records_fields_and_only_its_own_keys_besides(
    table: type[RecordTable[Any]], own: set[str]
) -> None:
    fields = {field.name for field in dataclasses.fields(table.record)}
    assert set(table.get_attributes()) == fields | own


def test_a_versions_sha256_keeps_the_seeds_attribute_name_and_its_failure_map_its_fields() -> None:
    assert PluginVersionModel.attribute("sha256").attr_name == "checksum"
    failure = PluginModel.attribute("last_failure")
    assert isinstance(failure, MapAttribute)
    assert isinstance(failure.get_attributes()["at"], UTCDateTimeAttribute)
    assert set(failure.get_attributes()) == {field.name for field in dataclasses.fields(Failure)}


def test_a_type_with_no_dynamodb_attribute_fails_when_the_table_is_declared() -> None:
    @dataclass
    class Odd:
        key: str
        ratio: complex

    with pytest.raises(TypeError, match=r"Odd\.ratio: no DynamoDB attribute"):

        class OddModel(RecordTable[Odd]):
            key = UnicodeAttribute(hash_key=True)


def _raw_versions_item(**attributes: dict[str, Any]) -> None:
    """Released ``old-plugin`` 1.0.0 as older code stored it, with ``attributes`` besides."""
    item = {
        "slug": {"S": "old-plugin"},
        "version_key": {"S": sort_key("1.0.0")},
        "version": {"S": "1.0.0"},
        "version_code": {"N": "10000"},
        "status": {"S": "released"},
        "created_at": {"S": "2023-01-02T03:04:05.000000+0000"},
        **attributes,
    }
    boto3.client("dynamodb", region_name=PluginVersionModel.Meta.region).put_item(
        TableName=get_settings().versions_table, Item=item
    )


def test_an_item_written_before_the_records_were_declared_once_reads_back(dynamo: DynamoRepository) -> None:
    """As items were stored: ``checksum`` for the SHA-256, a ``min_api_version`` no record has any
    more, and none of the attributes later versions added (they read back as their defaults)."""
    _raw_versions_item(
        channel={"S": "stable"},
        checksum={"S": "a" * 64},
        min_api_version={"S": "1.0"},
        revision={"N": "3"},
    )

    old = dynamo.get_version("old-plugin", "1.0.0")

    assert old is not None
    assert (old.sha256, old.status, old.revision) == ("a" * 64, Status.RELEASED, 3)
    assert old.created_at == datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (old.rollout_percent, old.stamped, old.rollback_of, old.failure_code) == (100, [], None, "")
    assert not hasattr(old, "min_api_version")
    assert version_json(old)["checksum"] == version_json(old)["sha256"] == "a" * 64

    dynamo.save_version(dataclasses.replace(old, changelog="kept"), expected=old)
    raw = PluginVersionModel.get("old-plugin", sort_key("1.0.0")).serialize()
    assert raw["checksum"] == {"S": "a" * 64} and "sha256" not in raw
    assert raw["changelog"] == {"S": "kept"} and raw["revision"] == {"N": "4"}


def test_percentages_stored_as_whole_numbers_read_unchanged_and_hundredths_round_trip(
    dynamo: DynamoRepository,
) -> None:
    """Older code stored whole percentages (``{"N": "5"}``, plan steps as a number list); they read
    back as the same ``int``, and a version at 2.5 % on a plan of 0.5, 2.5, 25, 100 is stored as
    DynamoDB numbers and reads back to the hundredth, in the version item and the release index."""
    _raw_versions_item(
        rollout_percent={"N": "5"},
        rollout={
            "M": {
                "steps": {"L": [{"N": "5"}, {"N": "25"}, {"N": "100"}]},
                "step_hours": {"N": "6"},
                "step_started_at": {"S": "2023-01-02T03:04:05.000000+0000"},
            }
        },
        revision={"N": "1"},
    )

    old = dynamo.get_version("old-plugin", "1.0.0")

    assert old is not None and old.rollout is not None
    assert (old.rollout_percent, old.rollout.steps) == (5, [5, 25, 100])
    assert type(old.rollout_percent) is int and version_json(old)["rollout_percent"] == 5

    plan = dataclasses.replace(old.rollout, steps=[0.5, 2.5, 25, 100], step=1)
    dynamo.save_version(dataclasses.replace(old, rollout_percent=2.5, rollout=plan), expected=old)

    raw = PluginVersionModel.get("old-plugin", sort_key("1.0.0")).serialize()
    assert raw["rollout_percent"] == {"N": "2.5"}
    assert raw["rollout"]["M"]["steps"] == {"L": [{"N": "0.5"}, {"N": "2.5"}, {"N": "25"}, {"N": "100"}]}
    again = dynamo.get_version("old-plugin", "1.0.0")
    assert again is not None and again.rollout is not None
    assert (again.rollout_percent, again.rollout.steps) == (2.5, [0.5, 2.5, 25, 100])
    assert version_json(again)["rollout_percent"] == 2.5


@dataclass
class NotedVersion(PluginVersion):
    """A version record with one more field: the only edit adding a field should need."""

    note: str = Field(default="", description="A note for admins.")


class NotedVersionModel(PluginVersionModel, RecordTable[NotedVersion]):
    """The versions table, storing the record with the added field (a test cannot edit the
    production record, so it names the subclass)."""


def test_a_field_added_to_a_version_record_is_stored_read_and_shown(dynamo: DynamoRepository) -> None:
    noted = NotedVersion(slug=SLUG, version="2.0.0", status=Status.DRAFT, created_at=NOW, note="reviewed")

    NotedVersionModel.from_record(noted, revision=1).save()

    read = NotedVersionModel.get(SLUG, sort_key("2.0.0")).to_record()
    assert read == dataclasses.replace(noted, revision=1)
    assert version_json(read)["note"] == "reviewed"
    # The service as deployed before the field existed reads the same item, ignoring it.
    current = dynamo.get_version(SLUG, "2.0.0")
    assert current is not None and type(current) is PluginVersion and current.version == "2.0.0"
    # And an item stored before the field existed reads back with the field's default.
    dynamo.save_version(
        PluginVersion(slug=SLUG, version="2.1.0", status=Status.DRAFT, created_at=NOW), expected=None
    )
    assert NotedVersionModel.get(SLUG, sort_key("2.1.0")).to_record().note == ""


def test_a_plugin_stored_before_the_release_index_gets_it_on_first_read(dynamo: DynamoRepository) -> None:
    """A deployed plugin from before the index: its ``latest`` says 1.0.0 is out, but no index was
    ever written. The first read builds it from the versions and saves it, so sites keep being
    offered the release (not ``no_release``) and later reads are one item again."""
    slug = "pre-index-plugin"
    released = PluginVersion(
        slug=slug, version="1.0.0", status=Status.RELEASED, created_at=NOW, released_at=NOW
    )
    dynamo.save_version(released, expected=None)
    boto3.client("dynamodb", region_name=PluginVersionModel.Meta.region).put_item(
        TableName=get_settings().plugins_table,
        Item={
            "slug": {"S": slug},
            "name": {"S": "Old"},
            "platform": {"S": "wordpress"},
            "latest": {"M": {"stable": {"S": "1.0.0"}}},
            "created_at": {"S": "2023-01-02T03:04:05.000000+0000"},
            "updated_at": {"S": "2023-01-02T03:04:05.000000+0000"},
            "revision": {"N": "2"},
        },
    )

    first = dynamo.get_plugin(slug)
    on_platform = [p for p in dynamo.plugins_on_platform("wordpress") if p.slug == slug]

    assert first is not None and list(first.releases) == ["1.0.0"]
    assert [list(p.releases) for p in on_platform] == [["1.0.0"]]
    raw = PluginModel.get(slug).serialize()
    assert "releases" in raw and raw["revision"] == {"N": "3"}  # saved once, over the revision read
