"""Where a refused upload's reason is left for an admin: on the plugin, and on its version record
while sites cannot have that version.

Apart from ``logic.ingest`` because it runs on every path out of a failed run, including a bug or
an outage, and so must rely on nothing that run learnt beyond the ``Attempt`` it filled in.
"""

from __future__ import annotations

import logging
from datetime import datetime

from chalicelib.logic.errors import Conflict
from chalicelib.logic.model import REPLACEABLE, Failure, Plugin, Status
from chalicelib.logic.plugins import update_plugin
from chalicelib.logic.ports import Repository
from chalicelib.logic.upload_records import Attempt, made_by, new_upload_plugin, upload_record
from chalicelib.logic.uploads import SourceKey, Upload

# The packager's log lines keep one logger name wherever their code lives (see logic.upload_records).
logger = logging.getLogger("chalicelib.logic.ingest")


def record_failure(
    repo: Repository,
    source: SourceKey,
    upload: Upload,
    attempt: Attempt,
    *,
    code: str,
    message: str,
    now: datetime,
) -> None:
    """Leave the reason where an admin looks: always on the plugin (created if new), and on the
    version record too while that version is still replaceable. A version sites may have is
    never touched."""
    logger.warning(
        "refused",
        extra={
            "slug": source.slug,
            "version": attempt.version,
            "reason": code,
            "detail": message,
            "source_key": source.key,
        },
    )

    def remember(plugin: Plugin) -> bool:
        plugin.last_failure = Failure(source_key=source.key, code=code, message=message, at=now)
        plugin.updated_at = now
        return True

    update_plugin(repo, source.slug, remember, lambda: new_upload_plugin(source, now))
    version = attempt.version
    existing = repo.get_version(source.slug, version) if version else None
    if version is None:
        return
    if existing is not None:
        ours = existing.status is Status.PENDING and made_by(existing, source, attempt)
        if not (existing.status in REPLACEABLE or ours) or upload.older_than(existing):
            return
    failed = upload_record(source, upload, attempt, version, status=Status.FAILED, now=now)
    failed.failure_code, failed.failure_reason = code, message
    try:
        repo.save_version(failed, expected=existing)
    except Conflict:
        logger.warning(
            "version changed meanwhile; the failure stays on the plugin",
            extra={"slug": source.slug, "version": version, "reason": code},
        )
