"""From one uploaded source object to one registered, packaged version.

Runs for every S3 event under ``sources/``. Events repeat and arrive late, so every step is safe to
run again: the package is written only if absent, the record only if absent or still replaceable.
A bad upload never touches a version that sites may already have: its failure is recorded on a
draft/failed version record, or on the plugin. A refusal is permanent (the same bytes would be
refused again), so the queue's message completes; only a fault that may pass (an AWS error, a
version another upload holds) goes back to the queue, and after its last delivery to the
dead-letter queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from chalicelib.logic.errors import Conflict, DomainError
from chalicelib.logic.model import (
    DEFAULT_CHANNEL,
    REPLACEABLE,
    AuditEntry,
    Platform,
    Plugin,
    PluginVersion,
    Status,
    check_version,
)
from chalicelib.logic.packaging import (
    DEFAULT_LIMITS,
    BuiltPackage,
    Limits,
    PackagingError,
    build_generic_package,
    build_wordpress_package,
)
from chalicelib.logic.plugins import update_plugin
from chalicelib.logic.ports import ArtifactStore, PutResult, Repository, Signer
from chalicelib.logic.provenance import Requested, provenance
from chalicelib.logic.readme import version_entry
from chalicelib.logic.releases import RELEASABLE, Releases, snapshot
from chalicelib.logic.upload_failures import record_failure
from chalicelib.logic.upload_records import Attempt, claim, made_by, new_upload_plugin
from chalicelib.logic.uploads import SourceKey, Upload, local_name, package_key, parse_source_key

logger = logging.getLogger(__name__)

#: Refusals that a later delivery may not repeat: another upload holds the version right now.
RETRYABLE = frozenset({"version_busy"})


class IngestFailed(Exception):
    """The upload was refused and the refusal recorded. ``retry`` says whether delivering the same
    event again could succeed; when it cannot, retrying would only fill the dead-letter queue."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry = code in RETRYABLE


class Ingestor:
    def __init__(
        self,
        repo: Repository,
        store: ArtifactStore,
        signer: Signer,
        workdir: Path,
        clock: Callable[[], datetime],
        *,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.repo = repo
        self.store = store
        self.signer = signer
        self.workdir = workdir
        self.clock = clock
        self.limits = limits

    def ingest(self, upload: Upload, *, last_delivery: bool = False) -> PluginVersion:
        """Package and register one upload; raise ``IngestFailed`` after recording why it failed.

        ``last_delivery``: the queue will not deliver this event again. If an earlier delivery of
        it stopped mid-run (its ``pending`` claim is still there: the process died or timed out,
        so nothing recorded why), this one records that instead of trying a run that killed the
        packager on every delivery so far, and parking the version as ``pending`` for good."""
        try:
            source = parse_source_key(upload.key)
        except DomainError as exc:
            # Nowhere to record it: the key names no plugin. The log and the DLQ keep the evidence.
            raise IngestFailed(exc.code, exc.message) from exc
        attempt = Attempt(version=source.version, source_version_id=upload.version_id or "")
        try:
            return self._ingest(source, upload, attempt, last_delivery)
        except (DomainError, PackagingError) as exc:
            code, message = exc.code, str(getattr(exc, "message", exc))
            record_failure(self.repo, source, upload, attempt, code=code, message=message, now=self.clock())
            raise IngestFailed(code, message) from exc
        except Exception as exc:
            # A bug or an outage: still leave a trace where an admin looks, then let the message be
            # retried (the retry finishes or records again) and, in the end, parked in the DLQ.
            message = f"the packager failed unexpectedly ({type(exc).__name__}); the upload will be retried"
            record_failure(
                self.repo, source, upload, attempt, code="internal_error", message=message, now=self.clock()
            )
            raise

    def _ingest(
        self, source: SourceKey, upload: Upload, attempt: Attempt, last_delivery: bool
    ) -> PluginVersion:
        # Named after the upload, so the packager's messages name the file the admin sent.
        archive = self.workdir / local_name(source.key)
        obj = self.store.fetch_source(source.key, upload.version_id, archive, self.limits.max_archive_bytes)
        grant = self.store.upload_grant(source.key)
        origin = provenance(obj.metadata, grant, upload.principal, upload.event_time or self.clock())
        meta, attempt.actor = origin.metadata, f"packager for {origin.actor}"
        attempt.source_version_id = obj.version_id
        if meta.get("version"):
            attempt.version = check_version(meta["version"])
        requested = Requested.of(meta)
        existing = self.repo.get_version(source.slug, attempt.version) if attempt.version else None
        if existing is not None and existing.status is Status.PENDING and made_by(existing, source, attempt):
            self._resume(source, existing, last_delivery)
        handled = self._already_handled(source, upload, attempt, existing, requested)
        if handled is not None:
            return handled

        built = self._build(source, archive, attempt)
        if existing is None or existing.version != built.version:
            existing = self.repo.get_version(source.slug, built.version)
            handled = self._already_handled(source, upload, attempt, existing, requested)
            if handled is not None:
                return handled
        file_path = package_key(source.platform, source.slug, built.version)
        if existing is not None and existing.status not in REPLACEABLE | {Status.PENDING}:
            # Sites may have these bytes: they never change; the same bytes again change nothing.
            stored = self.store.put_package(file_path, built.path, built.sha256, replace=False)
            if stored is PutResult.IDENTICAL and existing.sha256 == built.sha256:
                logger.info(
                    "re-uploaded with identical bytes, nothing to do",
                    extra={"slug": source.slug, "version": built.version, "source_key": source.key},
                )
                return existing
            raise Conflict(
                f"{source.slug} {built.version} is {existing.status.value}; its package can no longer change "
                "(upload a new version instead)",
                code="version_exists",
            )

        claimed = claim(
            self.repo, source, upload, attempt, version=built.version, existing=existing, now=self.clock()
        )
        self.store.put_package(file_path, built.path, built.sha256, replace=True)
        signature = self.signer.sign(bytes.fromhex(built.sha384))
        record = self._record(
            source=source,
            source_version_id=obj.version_id,
            built=built,
            status=requested.status,
            channel=requested.settings.channel or DEFAULT_CHANNEL,
            changelog=meta.get("changelog", ""),
            now=self.clock(),
        )
        record.rollback_of = meta.get("rollback-of") or None
        record.offer_above = meta.get("offer-above") or None
        record.created_at = existing.created_at if existing is not None else claimed.created_at
        record.source_event_time = upload.event_time
        record.signature, record.signature_key_id = signature.value, signature.key_id
        self.repo.save_version(record, expected=claimed)
        self.repo.append_audit(
            AuditEntry(
                slug=record.slug,
                at=record.created_at if existing is None else self.clock(),
                actor=attempt.actor,
                action="register",
                version=record.version,
                before={} if existing is None else snapshot(existing),
                after={
                    **snapshot(record),
                    "sha256": record.sha256,
                    "source_key": record.source_key,
                    **({"notes": list(origin.notes)} if origin.notes else {}),
                },
            )
        )
        record = self._finish(source, record, requested, attempt.actor)
        logger.info(
            "registered",
            extra={
                "slug": source.slug,
                "version": record.version,
                "status": record.status.value,
                "file_size": record.file_size,
                "sha256": record.sha256,
                "signature_key_id": record.signature_key_id,
                "source_key": source.key,
            },
        )
        return record

    def _resume(self, source: SourceKey, claim: PluginVersion, last_delivery: bool) -> None:
        """This upload's own claim, left by a delivery that stopped mid-run: run again (the claim
        is ours to take over), unless the queue will never deliver it again."""
        logger.warning(
            "an earlier delivery of this upload stopped mid-run",
            extra={
                "slug": source.slug,
                "version": claim.version,
                "source_key": source.key,
                "claimed_at": claim.created_at.isoformat(),
                "last_delivery": last_delivery,
            },
        )
        if last_delivery:
            raise DomainError(
                "the packager stopped while packaging this upload on every delivery (a crash, memory "
                "or time limit) and recorded nothing; upload it again, or a smaller archive",
                code="interrupted",
            )

    def _already_handled(
        self,
        source: SourceKey,
        upload: Upload,
        attempt: Attempt,
        existing: PluginVersion | None,
        requested: Requested,
    ) -> PluginVersion | None:
        """The record if this event needs no packaging: late (a newer upload holds the version) or
        a repeat of the upload that made it (then only the steps after the record are redone)."""
        if existing is None:
            return None
        if upload.older_than(existing):
            logger.info(
                "late event of an older upload ignored",
                extra={"slug": source.slug, "version": existing.version, "source_key": source.key},
            )
            return existing
        if existing.status not in (Status.FAILED, Status.PENDING) and made_by(existing, source, attempt):
            logger.info(
                "registered before; finishing what that run may have left",
                extra={"slug": source.slug, "version": existing.version, "source_key": source.key},
            )
            return self._finish(source, existing, requested, attempt.actor)
        return None

    def _build(self, source: SourceKey, archive: Path, attempt: Attempt) -> BuiltPackage:
        out = self.workdir / "out"
        out.mkdir()
        build = build_wordpress_package if source.platform is Platform.WORDPRESS else build_generic_package
        built = build(
            archive, source.slug, attempt.version, out, self.limits, trust_anchor=self.signer.trust_anchor()
        )
        attempt.version = built.version  # the packager refuses a version not in the shared grammar
        return built

    def _finish(
        self, source: SourceKey, record: PluginVersion, requested: Requested, actor: str
    ) -> PluginVersion:
        """The steps after the version record: safe to repeat, so a retry completes a crashed run."""
        now = self.clock()

        def describe(plugin: Plugin) -> bool:
            name = record.plugin_name or plugin.name
            description = record.description or plugin.description
            if (name, description) == (plugin.name, plugin.description):
                return False
            plugin.name, plugin.description, plugin.updated_at = name, description, now
            return True

        update_plugin(self.repo, source.slug, describe, lambda: new_upload_plugin(source, now))
        if requested.status is Status.RELEASED and record.status in RELEASABLE:
            releases = Releases(self.repo, self.store, now, actor=actor)
            return releases.apply(source.slug, record.version, "release", requested.settings)
        return record

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
            sha384=built.sha384,
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
            update_uri=header.update_uri or "",
            text_domain=header.text_domain or "",
            sections=sections,
            stamped=list(built.stamped),
            source_key=source.key,
            source_version_id=source_version_id,
        )
