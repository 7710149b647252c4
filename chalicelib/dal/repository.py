"""DynamoDB implementation of ``logic.ports.Repository``: records in, records out, through the
table models derived from them (``chalicelib.dal.records``). What is written here is the writes'
rules: which conditions each save carries, and what a revision becomes."""

from __future__ import annotations

import logging

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.operand import Path
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.dal.models import (
    AuditModel,
    CounterModel,
    InstallationModel,
    PluginModel,
    PluginVersionModel,
    SiteModel,
    bind,
)
from chalicelib.logic.errors import Conflict, NotFound
from chalicelib.logic.model import AuditEntry, Installation, Plugin, PluginVersion, Site
from chalicelib.logic.release import encode
from chalicelib.logic.release_index import entry, index_of
from chalicelib.logic.versions import sort_key
from chalicelib.settings import Settings

_CONDITIONAL_FAILED = "ConditionalCheckFailedException"

log = logging.getLogger(__name__)


class DynamoRepository:
    def __init__(self, settings: Settings) -> None:
        bind(settings)

    # plugins -------------------------------------------------------------------------------
    def get_plugin(self, slug: str) -> Plugin | None:
        try:
            return self._indexed(PluginModel.get(slug, consistent_read=True).to_record())
        except PluginModel.DoesNotExist:
            return None

    def save_plugin(self, plugin: Plugin) -> None:
        condition = (
            PluginModel.slug.does_not_exist()
            if plugin.revision == 0
            else PluginModel.attribute("revision") == plugin.revision
        )
        if plugin.revision == 0:
            plugin.releases = index_of(self.versions(plugin.slug))
        item = PluginModel.from_record(plugin, revision=plugin.revision + 1)
        _conditional_save(item, condition, f"plugin {plugin.slug} changed meanwhile; reload and retry")
        plugin.revision += 1

    def plugins_on_platform(self, platform: str) -> list[Plugin]:
        return [self._indexed(item.to_record()) for item in PluginModel.platform_index.query(platform)]

    def _indexed(self, plugin: Plugin) -> Plugin:
        """Migration: a plugin stored before the release index existed has a ``latest`` pointer
        but no index (a released version always has an entry). Its index is built from its
        versions on first read and saved over the revision read (a concurrent save wins, and
        carries an index of its own), so every later read is one item again. The public
        function's role may not write plugins: it answers from the index built and leaves the
        save to the admin function (any admin read or change of the plugin)."""
        if plugin.releases or not plugin.latest:
            return plugin
        plugin.releases = index_of(self.versions(plugin.slug))
        if not plugin.releases:  # nothing to migrate: the pointer names no stored release
            return plugin
        try:
            self.save_plugin(plugin)
        except Conflict:
            log.info("release index migrated meanwhile", extra={"slug": plugin.slug})
        except PutError as exc:  # the public function may not write plugins: the admin's next save does
            log.warning(
                "release index not saved",
                extra={"slug": plugin.slug, "reason": exc.cause_response_code},
            )
        else:
            log.info("release index migrated", extra={"slug": plugin.slug, "entries": len(plugin.releases)})
        return plugin

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
        made = entry(version)
        path = Path(["releases", version.version])
        # The version and its release index entry change together or not at all; the plugin's
        # revision moves too, so a plugin save that read the index before cannot put it back.
        index = [path.set({"S": encode(made)}) if made else path.remove()]
        try:
            with TransactWrite(connection=PluginModel._get_connection().connection) as write:
                write.save(item, condition=condition)
                write.update(
                    PluginModel(version.slug),
                    actions=[*index, PluginModel.attribute("revision").add(1)],
                    condition=PluginModel.slug.exists(),
                )
        except TransactWriteError as exc:
            version_refused, plugin_missing = (
                reason is not None and reason.code == "ConditionalCheckFailed"  # a transaction's name for it
                for reason in exc.cancellation_reasons or [None, None]
            )
            if version_refused:
                raise Conflict(
                    f"{version.slug} {version.version} {state}; reload and retry", code="concurrent_change"
                ) from exc
            if not plugin_missing:
                raise
            # The packager claims a version before it registers the plugin: no index to keep yet,
            # and the plugin's creation builds it from the versions then stored (save_plugin).
            _conditional_save(item, condition, f"{version.slug} {version.version} {state}; reload and retry")
        version.revision = revision

    def reindex(self, slug: str) -> None:
        """Rebuild ``slug``'s release index from its versions (a plugin stored before the index
        existed), over the plugin revision it read."""
        plugin = self.get_plugin(slug)
        if plugin is None:
            raise NotFound(f"no plugin {slug!r}")  # a new plugin's first save builds its index
        plugin.releases = index_of(self.versions(slug))
        self.save_plugin(plugin)

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

    def audit_page(self, slug: str, limit: int, before: str | None) -> tuple[list[AuditEntry], str | None]:
        # One more than the page: whether older entries remain, without a second query.
        older = AuditModel.at_id < before if before is not None else None
        items = list(AuditModel.query(slug, older, scan_index_forward=False, limit=limit + 1))
        page = items[:limit]
        return [item.to_record() for item in page], page[-1].at_id if len(items) > limit else None

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
