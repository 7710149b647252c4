"""The records one upload leaves before its package is registered: its claim on a version (a
``pending`` record naming the upload), and the plugin it creates when the slug is new.

Apart from ``logic.ingest`` because the claim is the packager's one guard against two uploads
writing one version's bytes, and the failure record (``logic.upload_failures``) must recognise the
same upload by the same rule (``made_by``) to know whether a ``pending`` record is its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.logic.errors import Conflict
from chalicelib.logic.model import Plugin, PluginVersion, Status
from chalicelib.logic.plugins import new_plugin
from chalicelib.logic.ports import Repository
from chalicelib.logic.uploads import SourceKey, Upload

# The packager's log lines keep one logger name wherever their code lives, so the filters that
# select them (and the tests that read them) need not follow the modules.
logger = logging.getLogger("chalicelib.logic.ingest")

#: A ``pending`` claim older than this was abandoned (the packager Lambda times out after 5 min).
CLAIM_TIMEOUT = timedelta(minutes=30)


@dataclass
class Attempt:
    """What one run has learnt so far, so a failure is recorded against the version it was for."""

    version: str | None
    source_version_id: str
    #: Who the audit names for this upload (see ``logic.provenance``).
    actor: str = "an S3 upload"


def upload_record(
    source: SourceKey, upload: Upload, attempt: Attempt, version: str, *, status: Status, now: datetime
) -> PluginVersion:
    """A version record that says which upload it stands for (a claim, or a failure)."""
    return PluginVersion(
        slug=source.slug,
        version=version,
        status=status,
        created_at=now,
        source_key=source.key,
        source_version_id=attempt.source_version_id,
        source_event_time=upload.event_time,
    )


def made_by(record: PluginVersion, source: SourceKey, attempt: Attempt) -> bool:
    """Whether this very upload (its key and S3 object version) wrote ``record``: a redelivery
    takes over its own claim, where another upload's claim makes it wait."""
    return (record.source_key, record.source_version_id) == (source.key, attempt.source_version_id)


def new_upload_plugin(source: SourceKey, now: datetime) -> Plugin:
    """The plugin an upload to an unknown slug creates; named after the slug until a build names it."""
    return new_plugin(source.slug, source.slug, source.platform, now)


def claim(
    repo: Repository,
    source: SourceKey,
    upload: Upload,
    attempt: Attempt,
    *,
    version: str,
    existing: PluginVersion | None,
    now: datetime,
) -> PluginVersion:
    """Own ``version`` (a ``pending`` record) before writing its bytes, so of two uploads racing
    for one version exactly one writes them; the other fails with the reason."""
    if existing is not None and existing.status is Status.PENDING and not made_by(existing, source, attempt):
        if now - existing.created_at < CLAIM_TIMEOUT:
            raise Conflict(
                f"{source.slug} {version} is being packaged from {existing.source_key}; "
                "upload again once it is done",
                code="version_busy",
            )
        logger.warning(
            "taking over an abandoned upload",
            extra={"slug": source.slug, "version": version, "abandoned_by": existing.source_key},
        )
    pending = upload_record(source, upload, attempt, version, status=Status.PENDING, now=now)
    try:
        repo.save_version(pending, expected=existing)
    except Conflict as exc:
        raise Conflict(
            f"another upload of {source.slug} {version} got there first; upload again once it is done",
            code="version_busy",
        ) from exc
    return pending
