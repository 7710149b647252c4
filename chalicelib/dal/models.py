"""pynamodb models: the tables of ``infra/template.yaml``, field for field.

Table names come from settings at bind time, not import time, so one process (tests, the local
stack) can point the models at the tables it just created.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.settings import Settings


class FailureAttribute(MapAttribute[str, Any]):
    source_key = UnicodeAttribute()
    code = UnicodeAttribute()
    message = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class PlatformIndex(GlobalSecondaryIndex["PluginModel"]):
    class Meta:
        index_name = "platform-index"
        projection = AllProjection()

    platform = UnicodeAttribute(hash_key=True)
    slug = UnicodeAttribute(range_key=True)


class PluginModel(Model):
    class Meta:
        table_name = "unbound-plugins"
        region = "us-east-1"

    slug = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    platform = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    is_active = BooleanAttribute(default=True)
    latest = MapAttribute[str, str](default=dict)
    last_failure = FailureAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    revision = NumberAttribute(default=0)
    rollout_salt = UnicodeAttribute(default="")
    private = BooleanAttribute(default=False)
    downloads_per_hour = NumberAttribute(null=True)
    platform_index = PlatformIndex()


class PluginVersionModel(Model):
    class Meta:
        table_name = "unbound-plugin-versions"
        region = "us-east-1"

    slug = UnicodeAttribute(hash_key=True)
    #: ``versions.sort_key(version)``: byte order == PHP version_compare order.
    version_key = UnicodeAttribute(range_key=True)
    version = UnicodeAttribute()
    #: The seed's MAJOR*10000+MINOR*100+PATCH, stored for its clients, never sorted on.
    version_code = NumberAttribute()
    status = UnicodeAttribute()
    channel = UnicodeAttribute(default="stable")
    file_path = UnicodeAttribute(default="")
    file_size = NumberAttribute(default=0)
    checksum = UnicodeAttribute(default="")
    sha384 = UnicodeAttribute(default="")
    signature = UnicodeAttribute(default="")
    signature_key_id = UnicodeAttribute(default="")
    changelog = UnicodeAttribute(default="")
    min_api_version = UnicodeAttribute(default="1.0")
    created_at = UTCDateTimeAttribute()
    released_at = UTCDateTimeAttribute(null=True)
    force_update = BooleanAttribute(default=False)
    requires = UnicodeAttribute(null=True)
    tested = UnicodeAttribute(null=True)
    requires_php = UnicodeAttribute(null=True)
    main_file = UnicodeAttribute(default="")
    plugin_name = UnicodeAttribute(default="")
    description = UnicodeAttribute(default="")
    author = UnicodeAttribute(default="")
    author_uri = UnicodeAttribute(default="")
    plugin_uri = UnicodeAttribute(default="")
    update_uri = UnicodeAttribute(default="")
    text_domain = UnicodeAttribute(default="")
    sections = MapAttribute[str, str](default=dict)
    stamped = ListAttribute[str](default=list)
    source_key = UnicodeAttribute(default="")
    source_version_id = UnicodeAttribute(default="")
    source_event_time = UTCDateTimeAttribute(null=True)
    rollout_percent = NumberAttribute(default=100)
    offer_above = UnicodeAttribute(null=True)
    rollback_of = UnicodeAttribute(null=True)
    package_expires_at = UTCDateTimeAttribute(null=True)
    revision = NumberAttribute(default=0)
    failure_code = UnicodeAttribute(default="")
    failure_reason = UnicodeAttribute(default="")


class InstallationSlugIndex(GlobalSecondaryIndex["InstallationModel"]):
    class Meta:
        index_name = "slug-index"
        projection = AllProjection()

    slug = UnicodeAttribute(hash_key=True)
    site_id = UnicodeAttribute(range_key=True)


class InstallationModel(Model):
    """One item per (site, plugin), as the seed's PluginInstallation."""

    class Meta:
        table_name = "unbound-plugin-installations"
        region = "us-east-1"

    site_id = UnicodeAttribute(hash_key=True)
    slug = UnicodeAttribute(range_key=True)
    current_version = UnicodeAttribute(null=True)
    is_active = BooleanAttribute(default=True)
    last_health_check = UTCDateTimeAttribute(null=True)
    health_status = UnicodeAttribute(null=True)
    pending_update = UnicodeAttribute(null=True)
    update_offered_at = UTCDateTimeAttribute(null=True)
    update_notified_at = UTCDateTimeAttribute(null=True)
    offered_version = UnicodeAttribute(null=True)
    version_reported_at = UTCDateTimeAttribute(null=True)
    last_reported_at = UTCDateTimeAttribute(null=True)
    health_message = UnicodeAttribute(null=True)
    wp_version = UnicodeAttribute(null=True)
    php_version = UnicodeAttribute(null=True)
    site_url = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    slug_index = InstallationSlugIndex()


class SiteModel(Model):
    class Meta:
        table_name = "unbound-sites"
        region = "us-east-1"

    site_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    url = UnicodeAttribute()
    key_sha256 = UnicodeAttribute()
    key_prefix = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    rotated_at = UTCDateTimeAttribute(null=True)
    revoked_at = UTCDateTimeAttribute(null=True)
    previous_key_sha256 = UnicodeAttribute(default="")
    previous_key_valid_until = UTCDateTimeAttribute(null=True)
    revision = NumberAttribute(default=0)


class CounterModel(Model):
    """A counter: rate-limit windows (with a TTL) and download statistics."""

    class Meta:
        table_name = "unbound-counters"
        region = "us-east-1"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    hits = NumberAttribute(default=0)
    expires_at = NumberAttribute(null=True)


class AuditModel(Model):
    """Append-only: who changed which record, when, before and after."""

    class Meta:
        table_name = "unbound-audit"
        region = "us-east-1"

    slug = UnicodeAttribute(hash_key=True)
    #: ISO timestamp + "#" + append time (ns) + "#" + random suffix: sorts by time, then by append
    #: order, never collides.
    at_id = UnicodeAttribute(range_key=True)
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    version = UnicodeAttribute(null=True)
    before = MapAttribute[str, Any](default=dict)
    after = MapAttribute[str, Any](default=dict)


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
