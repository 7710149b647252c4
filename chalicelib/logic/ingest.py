"""From one uploaded source object to one registered, packaged version.

Runs for every S3 event under ``sources/``. Events repeat and arrive late, so every step is safe to
run again: the package is written only if absent, the record only if absent or still replaceable.
A bad upload never touches a version that sites may already have: its failure is recorded on a
draft/failed version record, or on the plugin, and then raised so the queue retries and finally
parks the message in the dead-letter queue.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from chalicelib.logic.errors import Conflict, DomainError, InvalidInput
from chalicelib.logic.model import (
    DEFAULT_CHANNEL,
    INITIAL,
    REPLACEABLE,
    Failure,
    Platform,
    Plugin,
    PluginVersion,
    Status,
    check_platform,
    check_slug,
    check_version,
)
from chalicelib.logic.packaging import BuiltPackage, PackagingError, build_wordpress_package, version_entry
from chalicelib.logic.ports import ArtifactStore, PutResult, Repository
from chalicelib.logic.releases import publish

logger = logging.getLogger(__name__)

SOURCE_PREFIX = "sources/"
#: Source archives above this are refused before unpacking (the packager's /tmp is finite).
MAX_SOURCE_BYTES = 250 * 1024 * 1024


class IngestFailed(Exception):
    """The upload was refused and the refusal recorded; raised so the message is retried/parked."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class SourceKey:
    key: str
    platform: Platform
    slug: str
    version: str | None


def parse_source_key(key: str) -> SourceKey:
    """``sources/{platform}/{slug}/[{version}/]{file}``; a version in the key is optional."""
    parts = key.split("/")
    if len(parts) < 4 or parts[0] + "/" != SOURCE_PREFIX or not parts[-1]:
        raise InvalidInput(f"{key!r} is not sources/<platform>/<slug>/[<version>/]<file>", code="bad_key")
    platform = check_platform(parts[1])
    slug = check_slug(parts[2])
    version = None
    if len(parts) == 5:
        version = check_version(parts[3])
    elif len(parts) > 5:
        raise InvalidInput(f"{key!r} has too many path segments", code="bad_key")
    else:
        match = re.fullmatch(rf"{re.escape(slug)}-v?(\d[0-9A-Za-z.+_-]*)\.zip", parts[-1])
        if match:
            version = check_version(match.group(1))
    return SourceKey(key=key, platform=platform, slug=slug, version=version)


def package_key(platform: Platform, slug: str, version: str) -> str:
    return f"packages/{platform.value}/{slug}/{slug}-v{version}.zip"


@dataclass(frozen=True)
class Upload:
    """What the S3 event told us; the object itself is fetched by version id, never by name alone."""

    key: str
    version_id: str | None


class Ingestor:
    def __init__(
        self, repo: Repository, store: ArtifactStore, workdir: Path, clock: Callable[[], datetime]
    ) -> None:
        self.repo = repo
        self.store = store
        self.workdir = workdir
        self.clock = clock

    def ingest(self, upload: Upload) -> PluginVersion:
        """Package and register one upload; raise ``IngestFailed`` after recording why it failed."""
        try:
            source = parse_source_key(upload.key)
        except DomainError as exc:
            # Nowhere to record it: the key names no plugin. The log and the DLQ keep the evidence.
            raise IngestFailed(exc.code, exc.message) from exc
        requested = source.version
        try:
            return self._ingest(source, upload)
        except (DomainError, PackagingError) as exc:
            code, message = exc.code, str(getattr(exc, "message", exc))
            self._record_failure(source, requested, upload, code, message)
            raise IngestFailed(code, message) from exc

    def _ingest(self, source: SourceKey, upload: Upload) -> PluginVersion:
        archive = self.workdir / "source.zip"
        obj = self.store.fetch_source(source.key, upload.version_id, archive, MAX_SOURCE_BYTES)
        meta = obj.metadata
        version = check_version(meta["version"]) if meta.get("version") else source.version
        status = self._initial_status(meta.get("status", ""))
        channel = meta.get("channel") or DEFAULT_CHANNEL
        existing = self.repo.get_version(source.slug, version) if version else None
        if existing and existing.source_key == source.key and existing.source_version_id == obj.version_id:
            logger.info("duplicate event for %s, nothing to do", source.key)
            return existing

        if source.platform is not Platform.WORDPRESS:
            raise InvalidInput(
                f"packaging for {source.platform.value} sources is not available yet",
                code="unsupported_platform",
            )
        out = self.workdir / "out"
        out.mkdir()
        built = build_wordpress_package(archive, source.slug, version, out)
        version = check_version(built.version)
        if version != built.version:
            raise InvalidInput(f"version {built.version!r} is not normalized", code="invalid_version")
        existing = existing or self.repo.get_version(source.slug, version)
        replaceable = existing is None or existing.status in REPLACEABLE
        file_path = package_key(source.platform, source.slug, version)
        stored = self.store.put_package(file_path, built.path, built.sha256, replace=replaceable)
        if existing is not None and not replaceable:
            if stored is PutResult.IDENTICAL and existing.sha256 == built.sha256:
                logger.info("%s %s re-uploaded with identical bytes, nothing to do", source.slug, version)
                return existing
            raise Conflict(
                f"{source.slug} {version} is {existing.status.value}; its package can no longer change "
                "(upload a new version instead)",
                code="version_exists",
            )

        now = self.clock()
        record = self._record(
            source=source,
            source_version_id=obj.version_id,
            built=built,
            status=status,
            channel=channel,
            changelog=meta.get("changelog", ""),
            now=now,
        )
        if existing is not None:
            record.created_at = existing.created_at
        self.repo.save_version(record, expected=None if existing is None else existing.status)
        plugin = self._plugin(source, built, now)
        if status is Status.RELEASED:
            record = publish(self.repo, plugin, record, now)
        logger.info(
            "registered %s %s (%s, %d bytes, sha256 %s)",
            source.slug,
            version,
            record.status,
            record.file_size,
            record.sha256,
        )
        return record

    @staticmethod
    def _initial_status(value: str) -> Status:
        if not value:
            return Status.DRAFT
        try:
            status = Status(value)
        except ValueError:
            status = None
        if status not in INITIAL:
            allowed = ", ".join(sorted(s.value for s in INITIAL))
            raise InvalidInput(
                f"an upload may ask for status {allowed}, not {value!r}", code="invalid_status"
            )
        return status

    @staticmethod
    def _record(
        *,
        source: SourceKey,
        source_version_id: str,
        built: BuiltPackage,
        status: Status,
        channel: str,
        changelog: str,
        now: datetime,
    ) -> PluginVersion:
        header, readme = built.header, built.readme
        sections = dict(readme.sections) if readme else {}
        if not changelog:
            # This version's entry of the readme's changelog; the whole section as a last resort.
            whole = sections.get("changelog", "")
            changelog = version_entry(whole, built.version) or whole
        return PluginVersion(
            slug=source.slug,
            version=built.version,
            status=Status.DRAFT if status is Status.RELEASED else status,
            channel=channel,
            created_at=now,
            file_path=package_key(source.platform, source.slug, built.version),
            file_size=built.size,
            sha256=built.sha256,
            changelog=changelog,
            requires=header.requires or (readme.requires if readme else None),
            tested=readme.tested if readme else None,
            requires_php=header.requires_php or (readme.requires_php if readme else None),
            main_file=built.main_file,
            plugin_name=header.name,
            description=header.description or "",
            author=header.author or "",
            author_uri=header.author_uri or "",
            plugin_uri=header.plugin_uri or "",
            sections=sections,
            stamped=list(built.stamped),
            source_key=source.key,
            source_version_id=source_version_id,
        )

    def _plugin(self, source: SourceKey, built: BuiltPackage, now: datetime) -> Plugin:
        plugin = self.repo.get_plugin(source.slug)
        if plugin is None:
            plugin = Plugin(
                slug=source.slug,
                name=built.header.name,
                platform=source.platform,
                created_at=now,
                updated_at=now,
            )
        plugin.name = built.header.name or plugin.name
        plugin.description = built.header.description or plugin.description
        plugin.updated_at = now
        self.repo.save_plugin(plugin)
        return plugin

    def _record_failure(
        self, source: SourceKey, version: str | None, upload: Upload, code: str, message: str
    ) -> None:
        """Leave the reason where an admin looks: the version record if it is still replaceable,
        else the plugin. A version sites may have is never touched."""
        logger.warning("refused %s: %s: %s", source.key, code, message)
        now = self.clock()
        existing = self.repo.get_version(source.slug, version) if version else None
        if version and (existing is None or existing.status in REPLACEABLE):
            failed = PluginVersion(
                slug=source.slug,
                version=version,
                status=Status.FAILED,
                created_at=now,
                source_key=source.key,
                source_version_id=upload.version_id or "",
                failure_code=code,
                failure_reason=message,
            )
            try:
                self.repo.save_version(failed, expected=None if existing is None else existing.status)
            except Conflict:
                logger.warning(
                    "version %s %s changed meanwhile; failure kept on the plugin", source.slug, version
                )
            else:
                return
        plugin = self.repo.get_plugin(source.slug) or Plugin(
            slug=source.slug, name=source.slug, platform=source.platform, created_at=now, updated_at=now
        )
        plugin.last_failure = Failure(source_key=source.key, code=code, message=message, at=now)
        plugin.updated_at = now
        self.repo.save_plugin(plugin)
