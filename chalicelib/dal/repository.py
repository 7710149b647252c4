"""DynamoDB implementation of ``logic.ports.Repository``: records in, records out, through the
table models derived from them (``chalicelib.dal.records``). What is written here is the writes'
rules: which conditions each save carries, and what a revision becomes."""

from __future__ import annotations

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from chalicelib.dal.models import (
    AuditModel,
    CounterModel,
    InstallationModel,
    PluginModel,
    PluginVersionModel,
    SiteModel,
    bind,
)
from chalicelib.logic.errors import Conflict
from chalicelib.logic.model import AuditEntry, Installation, Plugin, PluginVersion, Site
from chalicelib.logic.versions import sort_key
from chalicelib.settings import Settings

_CONDITIONAL_FAILED = "ConditionalCheckFailedException"


class DynamoRepository:
    def __init__(self, settings: Settings) -> None:
        bind(settings)

    # plugins -------------------------------------------------------------------------------
    def get_plugin(self, slug: str) -> Plugin | None:
        try:
            return PluginModel.get(slug, consistent_read=True).to_record()
        except PluginModel.DoesNotExist:
            return None

    def save_plugin(self, plugin: Plugin) -> None:
        condition = (
            PluginModel.slug.does_not_exist()
            if plugin.revision == 0
            else PluginModel.attribute("revision") == plugin.revision
        )
        item = PluginModel.from_record(plugin, revision=plugin.revision + 1)
        _conditional_save(item, condition, f"plugin {plugin.slug} changed meanwhile; reload and retry")
        plugin.revision += 1

    def plugins_on_platform(self, platform: str) -> list[Plugin]:
        return [item.to_record() for item in PluginModel.platform_index.query(platform)]

    # versions ------------------------------------------------------------------------------
    def get_version(self, slug: str, version: str) -> PluginVersion | None:
        try:
            return PluginVersionModel.get(slug, sort_key(version), consistent_read=True).to_record()
        except PluginVersionModel.DoesNotExist:
            return None

    def versions(self, slug: str) -> list[PluginVersion]:
        return [item.to_record() for item in PluginVersionModel.query(slug, scan_index_forward=False)]

    def save_version(self, version: PluginVersion, *, expected: PluginVersion | None) -> None:
        revision = (expected.revision if expected else 0) + 1
        if expected is None:
            condition = PluginVersionModel.slug.does_not_exist()
            state = "already exists"
        else:
            condition = (PluginVersionModel.attribute("status") == expected.status.value) & (
                PluginVersionModel.attribute("revision") == expected.revision
            )
            state = "changed meanwhile"
        item = PluginVersionModel.from_record(version, revision=revision)
        _conditional_save(item, condition, f"{version.slug} {version.version} {state}; reload and retry")
        version.revision = revision

    # sites -----------------------------------------------------------------------------------
    def get_site(self, site_id: str) -> Site | None:
        try:
            return SiteModel.get(site_id, consistent_read=True).to_record()
        except SiteModel.DoesNotExist:
            return None

    def sites(self) -> list[Site]:
        return sorted((item.to_record() for item in SiteModel.scan()), key=lambda site: site.created_at)

    def save_site(self, site: Site) -> None:
        condition = (
            SiteModel.site_id.does_not_exist()
            if site.revision == 0
            else SiteModel.attribute("revision") == site.revision
        )
        item = SiteModel.from_record(site, revision=site.revision + 1)
        _conditional_save(item, condition, f"site {site.site_id} changed meanwhile; reload and retry")
        site.revision += 1

    # counters --------------------------------------------------------------------------------
    def take(self, pk: str, sk: str, limit: int, expires_at: int) -> bool:
        """Count one more in ``(pk, sk)`` if it stays within ``limit``, atomically: of many
        parallel callers exactly ``limit`` succeed."""
        try:
            CounterModel(pk, sk).update(
                actions=[CounterModel.hits.add(1), CounterModel.expires_at.set(expires_at)],
                condition=CounterModel.hits.does_not_exist() | (CounterModel.hits < limit),
            )
        except UpdateError as exc:
            if exc.cause_response_code == _CONDITIONAL_FAILED:
                return False
            raise
        return True

    def add(self, pk: str, sk: str, amount: int = 1) -> None:
        CounterModel(pk, sk).update(actions=[CounterModel.hits.add(amount)])

    def counts(self, pk: str, sk_from: str) -> dict[str, int]:
        return {item.sk: int(item.hits) for item in CounterModel.query(pk, CounterModel.sk >= sk_from)}

    # audit -----------------------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        AuditModel.from_record(entry).save()

    def audit(self, slug: str, limit: int = 100) -> list[AuditEntry]:
        return [item.to_record() for item in AuditModel.query(slug, scan_index_forward=False, limit=limit)]

    # installations ---------------------------------------------------------------------------
    def get_installation(self, site_id: str, slug: str) -> Installation | None:
        try:
            return InstallationModel.get(site_id, slug, consistent_read=True).to_record()
        except InstallationModel.DoesNotExist:
            return None

    def installations_of(self, slug: str) -> list[Installation]:
        return [item.to_record() for item in InstallationModel.slug_index.query(slug)]

    def save_installation(self, installation: Installation) -> None:
        InstallationModel.from_record(installation).save()


def _conditional_save(item: Model, condition: Condition, message: str) -> None:
    try:
        item.save(condition=condition)
    except PutError as exc:
        if exc.cause_response_code == _CONDITIONAL_FAILED:
            raise Conflict(message, code="concurrent_change") from exc
        raise
