"""pynamodb models: the tables of ``infra/template.yaml``, their attributes derived from the records.

Each table declares what is DynamoDB's own (keys, indexes, computed key attributes, old attribute
names); the rest comes from its record's fields (``chalicelib.dal.records``).

Table names come from settings at bind time, not import time, so one process (tests, the local
stack) can point the models at the tables it just created.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from datetime import UTC
from typing import Any, ClassVar

from pynamodb.attributes import Attribute, NumberAttribute, UnicodeAttribute
from pynamodb.constants import MAP
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.dal.records import RecordTable
from chalicelib.logic.model import AuditEntry, Installation, Plugin, PluginVersion, Site, iso_precise
from chalicelib.logic.release import Release, decode, encode
from chalicelib.logic.versions import sort_key
from chalicelib.settings import Settings


class PlatformIndex(GlobalSecondaryIndex["PluginModel"]):
    class Meta:
        index_name = "platform-index"
        projection = AllProjection()

    platform = UnicodeAttribute(hash_key=True)
    slug = UnicodeAttribute(range_key=True)


class ReleasesAttribute(Attribute[dict[str, Release]]):
    """The release index: a map of version -> its entry as compact JSON (defaults left out).

    A map, so one version's entry is set or removed by its own path in the transaction that writes
    the version (``DynamoRepository.save_version``), without reading the rest; JSON in each value,
    so an entry is one small string rather than a nested map of typed attributes."""

    attr_type = MAP

    def serialize(self, value: dict[str, Release]) -> dict[str, dict[str, str]]:
        return {version: {"S": encode(entry)} for version, entry in value.items()}

    def deserialize(self, value: dict[str, dict[str, str]]) -> dict[str, Release]:
        return {version: decode(item["S"]) for version, item in value.items()}


class PluginModel(RecordTable[Plugin]):
    class Meta:
        table_name = "unbound-plugins"
        region = "us-east-1"

    slug = UnicodeAttribute(hash_key=True)
    platform_index = PlatformIndex()
    releases = ReleasesAttribute(default=dict)


class PluginVersionModel(RecordTable[PluginVersion]):
    class Meta:
        table_name = "unbound-plugin-versions"
        region = "us-east-1"

    #: The seed named the package's SHA-256 ``checksum``; stored items keep that name.
    stored_names: ClassVar[Mapping[str, str]] = {"sha256": "checksum"}

    slug = UnicodeAttribute(hash_key=True)
    #: ``versions.sort_key(version)``: byte order == PHP version_compare order.
    version_key = UnicodeAttribute(range_key=True)
    #: The seed's MAJOR*10000+MINOR*100+PATCH, stored for its clients, never sorted on.
    version_code = NumberAttribute()

    @classmethod
    def derived(cls, record: PluginVersion) -> dict[str, Any]:
        return {"version_key": sort_key(record.version), "version_code": record.version_code}


class InstallationSlugIndex(GlobalSecondaryIndex["InstallationModel"]):
    class Meta:
        index_name = "slug-index"
        projection = AllProjection()

    slug = UnicodeAttribute(hash_key=True)
    site_id = UnicodeAttribute(range_key=True)


class InstallationModel(RecordTable[Installation]):
    """One item per (site, plugin), as the seed's PluginInstallation."""

    class Meta:
        table_name = "unbound-plugin-installations"
        region = "us-east-1"

    site_id = UnicodeAttribute(hash_key=True)
    slug = UnicodeAttribute(range_key=True)
    slug_index = InstallationSlugIndex()


class SiteModel(RecordTable[Site]):
    class Meta:
        table_name = "unbound-sites"
        region = "us-east-1"

    site_id = UnicodeAttribute(hash_key=True)


class CounterModel(Model):
    """A counter: rate-limit windows (with a TTL) and download statistics."""

    class Meta:
        table_name = "unbound-counters"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)


class AuditModel(RecordTable[AuditEntry]):
    """Append-only: who changed which record, when, before and after."""

    class Meta:
        table_name = "unbound-audit"
        region = "us-east-1"

    slug = UnicodeAttribute(hash_key=True)
    #: ISO timestamp + "#" + append time (ns) + "#" + random suffix: sorts by time, then by append
    #: order, never collides.
    at_id = UnicodeAttribute(range_key=True)

    @classmethod
    def derived(cls, record: AuditEntry) -> dict[str, Any]:
        # The sort key orders by ``at`` (in UTC, as the attribute stores it), then by when the
        # entry was appended: one operation often writes several entries with the same ``at`` (a
        # rollback pulls, then records itself), and a random suffix alone showed them in random order.
        at = record.at if record.at.tzinfo is None else record.at.astimezone(UTC)
        return {"at_id": f"{iso_precise(at)}#{time.time_ns():020d}#{secrets.token_hex(4)}"}


def bind(settings: Settings) -> None:
    """Point every model at this stage's tables (names and region come from the stack outputs)."""
    for model, name in (
        (PluginModel, settings.plugins_table),
        (PluginVersionModel, settings.versions_table),
        (InstallationModel, settings.installations_table),
        (AuditModel, settings.audit_table),
        (SiteModel, settings.sites_table),
        (CounterModel, settings.counters_table),
    ):
        model.Meta.table_name = name
        model.Meta.region = settings.region
        model._connection = None  # a cached connection would keep the previous stage's client
