"""DynamoDB implementation of ``logic.ports.Repository``: pynamodb items <-> domain dataclasses."""

from __future__ import annotations

import secrets
import time
from datetime import UTC

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.dal.models import (
    AuditModel,
    CounterModel,
    FailureAttribute,
    InstallationModel,
    PluginModel,
    PluginVersionModel,
    SiteModel,
    bind,
)
from chalicelib.logic.errors import Conflict
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
from chalicelib.logic.versions import sort_key
from chalicelib.settings import Settings

_CONDITIONAL_FAILED = "ConditionalCheckFailedException"


class DynamoRepository:
    def __init__(self, settings: Settings) -> None:
        bind(settings)

    # plugins -------------------------------------------------------------------------------
    def get_plugin(self, slug: str) -> Plugin | None:
        try:
            return _plugin(PluginModel.get(slug, consistent_read=True))
        except PluginModel.DoesNotExist:
            return None

    def save_plugin(self, plugin: Plugin) -> None:
        failure = plugin.last_failure
        item = PluginModel(
            plugin.slug,
            name=plugin.name,
            platform=plugin.platform.value,
            description=plugin.description,
            is_active=plugin.is_active,
            latest=dict(plugin.latest),
            last_failure=None
            if failure is None
            else FailureAttribute(
                source_key=failure.source_key, code=failure.code, message=failure.message, at=failure.at
            ),
            created_at=plugin.created_at,
            updated_at=plugin.updated_at,
            revision=plugin.revision + 1,
            rollout_salt=plugin.rollout_salt,
            private=plugin.private,
            downloads_per_hour=plugin.downloads_per_hour,
        )
        condition = (
            PluginModel.slug.does_not_exist()
            if plugin.revision == 0
            else PluginModel.revision == plugin.revision
        )
        _conditional_save(item, condition, f"plugin {plugin.slug} changed meanwhile; reload and retry")
        plugin.revision += 1

    def plugins_on_platform(self, platform: str) -> list[Plugin]:
        return [_plugin(item) for item in PluginModel.platform_index.query(platform)]

    # versions ------------------------------------------------------------------------------
    def get_version(self, slug: str, version: str) -> PluginVersion | None:
        try:
            return _version(PluginVersionModel.get(slug, sort_key(version), consistent_read=True))
        except PluginVersionModel.DoesNotExist:
            return None

    def versions(self, slug: str) -> list[PluginVersion]:
        query = PluginVersionModel.query(slug, scan_index_forward=False)
        return [_version(item) for item in query]

    def save_version(self, version: PluginVersion, *, expected: PluginVersion | None) -> None:
        item = PluginVersionModel(
            version.slug,
            sort_key(version.version),
            version=version.version,
            version_code=version.version_code,
            status=version.status.value,
            channel=version.channel,
            file_path=version.file_path,
            file_size=version.file_size,
            checksum=version.sha256,
            sha384=version.sha384,
            signature=version.signature,
            signature_key_id=version.signature_key_id,
            changelog=version.changelog,
            min_api_version=version.min_api_version,
            created_at=version.created_at,
            released_at=version.released_at,
            force_update=version.force_update,
            requires=version.requires,
            tested=version.tested,
            requires_php=version.requires_php,
            main_file=version.main_file,
            plugin_name=version.plugin_name,
            description=version.description,
            author=version.author,
            author_uri=version.author_uri,
            plugin_uri=version.plugin_uri,
            update_uri=version.update_uri,
            text_domain=version.text_domain,
            sections=dict(version.sections),
            stamped=list(version.stamped),
            source_key=version.source_key,
            source_version_id=version.source_version_id,
            source_event_time=version.source_event_time,
            failure_code=version.failure_code,
            failure_reason=version.failure_reason,
            rollout_percent=version.rollout_percent,
            offer_above=version.offer_above,
            rollback_of=version.rollback_of,
            package_expires_at=version.package_expires_at,
            revision=(expected.revision if expected else 0) + 1,
        )
        if expected is None:
            condition = PluginVersionModel.slug.does_not_exist()
            state = "already exists"
        else:
            condition = (PluginVersionModel.status == expected.status.value) & (
                PluginVersionModel.revision == expected.revision
            )
            state = "changed meanwhile"
        _conditional_save(item, condition, f"{version.slug} {version.version} {state}; reload and retry")
        version.revision = int(item.revision)

    # sites -----------------------------------------------------------------------------------
    def get_site(self, site_id: str) -> Site | None:
        try:
            return _site(SiteModel.get(site_id, consistent_read=True))
        except SiteModel.DoesNotExist:
            return None

    def sites(self) -> list[Site]:
        return sorted((_site(item) for item in SiteModel.scan()), key=lambda site: site.created_at)

    def save_site(self, site: Site) -> None:
        item = SiteModel(
            site.site_id,
            name=site.name,
            url=site.url,
            key_sha256=site.key_sha256,
            key_prefix=site.key_prefix,
            created_at=site.created_at,
            rotated_at=site.rotated_at,
            revoked_at=site.revoked_at,
            previous_key_sha256=site.previous_key_sha256,
            previous_key_valid_until=site.previous_key_valid_until,
            revision=site.revision + 1,
        )
        condition = (
            SiteModel.site_id.does_not_exist() if site.revision == 0 else SiteModel.revision == site.revision
        )
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
        # The sort key orders by ``at`` (in UTC, as the attribute stores it), then by when the entry
        # was appended: one operation often writes several entries with the same ``at`` (a rollback
        # pulls, then records itself), and a random suffix alone showed them in random order.
        at = entry.at if entry.at.tzinfo is None else entry.at.astimezone(UTC)
        AuditModel(
            entry.slug,
            f"{at:%Y-%m-%dT%H:%M:%S.%fZ}#{time.time_ns():020d}#{secrets.token_hex(4)}",
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            version=entry.version,
            before=dict(entry.before),
            after=dict(entry.after),
        ).save()

    def audit(self, slug: str, limit: int = 100) -> list[AuditEntry]:
        return [
            AuditEntry(
                slug=item.slug,
                at=item.at,
                actor=item.actor,
                action=item.action,
                version=item.version,
                before=item.before.as_dict(),
                after=item.after.as_dict(),
            )
            for item in AuditModel.query(slug, scan_index_forward=False, limit=limit)
        ]

    # installations ---------------------------------------------------------------------------
    def get_installation(self, site_id: str, slug: str) -> Installation | None:
        try:
            return _installation(InstallationModel.get(site_id, slug, consistent_read=True))
        except InstallationModel.DoesNotExist:
            return None

    def installations_of(self, slug: str) -> list[Installation]:
        return [_installation(item) for item in InstallationModel.slug_index.query(slug)]

    def save_installation(self, installation: Installation) -> None:
        InstallationModel(
            installation.site_id,
            installation.slug,
            current_version=installation.current_version,
            is_active=installation.is_active,
            last_health_check=installation.last_health_check,
            health_status=installation.health_status,
            pending_update=installation.pending_update,
            update_offered_at=installation.update_offered_at,
            update_notified_at=installation.update_notified_at,
            offered_version=installation.offered_version,
            version_reported_at=installation.version_reported_at,
            last_reported_at=installation.last_reported_at,
            health_message=installation.health_message,
            wp_version=installation.wp_version,
            php_version=installation.php_version,
            site_url=installation.site_url,
            created_at=installation.created_at,
            updated_at=installation.updated_at,
        ).save()


def _conditional_save(
    item: PluginModel | PluginVersionModel | SiteModel, condition: Condition, message: str
) -> None:
    try:
        item.save(condition=condition)
    except PutError as exc:
        if exc.cause_response_code == _CONDITIONAL_FAILED:
            raise Conflict(message, code="concurrent_change") from exc
        raise


def _plugin(item: PluginModel) -> Plugin:
    failure = item.last_failure
    return Plugin(
        slug=item.slug,
        name=item.name,
        platform=Platform(item.platform),
        description=item.description,
        is_active=item.is_active,
        latest={str(k): str(v) for k, v in item.latest.as_dict().items()},
        last_failure=None
        if failure is None
        else Failure(
            source_key=failure.source_key, code=failure.code, message=failure.message, at=failure.at
        ),
        created_at=item.created_at,
        updated_at=item.updated_at,
        revision=int(item.revision),
        rollout_salt=item.rollout_salt,
        private=item.private,
        downloads_per_hour=None if item.downloads_per_hour is None else int(item.downloads_per_hour),
    )


def _version(item: PluginVersionModel) -> PluginVersion:
    return PluginVersion(
        slug=item.slug,
        version=item.version,
        status=Status(item.status),
        channel=item.channel,
        file_path=item.file_path,
        file_size=int(item.file_size),
        sha256=item.checksum,
        sha384=item.sha384,
        signature=item.signature,
        signature_key_id=item.signature_key_id,
        changelog=item.changelog,
        min_api_version=item.min_api_version,
        created_at=item.created_at,
        released_at=item.released_at,
        force_update=item.force_update,
        requires=item.requires,
        tested=item.tested,
        requires_php=item.requires_php,
        main_file=item.main_file,
        plugin_name=item.plugin_name,
        description=item.description,
        author=item.author,
        author_uri=item.author_uri,
        plugin_uri=item.plugin_uri,
        update_uri=item.update_uri,
        text_domain=item.text_domain,
        sections={str(k): str(v) for k, v in item.sections.as_dict().items()},
        stamped=list(item.stamped),
        source_key=item.source_key,
        source_version_id=item.source_version_id,
        source_event_time=item.source_event_time,
        failure_code=item.failure_code,
        failure_reason=item.failure_reason,
        rollout_percent=int(item.rollout_percent),
        offer_above=item.offer_above,
        rollback_of=item.rollback_of,
        package_expires_at=item.package_expires_at,
        revision=int(item.revision),
    )


def _site(item: SiteModel) -> Site:
    return Site(
        site_id=item.site_id,
        name=item.name,
        url=item.url,
        key_sha256=item.key_sha256,
        key_prefix=item.key_prefix,
        created_at=item.created_at,
        rotated_at=item.rotated_at,
        revoked_at=item.revoked_at,
        previous_key_sha256=item.previous_key_sha256,
        previous_key_valid_until=item.previous_key_valid_until,
        revision=int(item.revision),
    )


def _installation(item: InstallationModel) -> Installation:
    return Installation(
        site_id=item.site_id,
        slug=item.slug,
        current_version=item.current_version,
        is_active=item.is_active,
        last_health_check=item.last_health_check,
        health_status=item.health_status,
        pending_update=item.pending_update,
        update_offered_at=item.update_offered_at,
        update_notified_at=item.update_notified_at,
        offered_version=item.offered_version,
        version_reported_at=item.version_reported_at,
        last_reported_at=item.last_reported_at,
        health_message=item.health_message,
        wp_version=item.wp_version,
        php_version=item.php_version,
        site_url=item.site_url,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )
