"""The packager's queue consumer: S3 ``sources/`` notifications, via SQS, into ``Ingestor``.

S3 -> SQS -> Lambda (rather than a direct S3 trigger) gives retries and a dead-letter queue, and
the local stack drives this very handler from moto's queue. One message per invocation: a failing
upload must not make its neighbours retry.

What goes back to the queue: only what may pass on a later delivery (an AWS error or throttling,
a version another upload holds, an unexpected error, recorded first as ``internal_error``). A
refusal (a corrupt or hostile archive, bad metadata) is recorded on the version or plugin and the
message completes: delivering the same bytes again would only be refused again, then parked in
the dead-letter queue as if someone had to act on it.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any, cast

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.typing import LambdaContext
from chalice.app import Blueprint, SQSEvent

from chalicelib.adapters import idempotency_store, repository, signer, store
from chalicelib.clock import now
from chalicelib.logic.ingest import IngestFailed, Ingestor
from chalicelib.logic.packaging import Limits
from chalicelib.logic.uploads import Upload, uploads
from chalicelib.observability import count
from chalicelib.settings import get_settings, packager_queue_name

logger = logging.getLogger(__name__)

packager = Blueprint(__name__)


#: S3 may deliver an event more than once, even concurrently: the first delivery packages, the
#: others wait for (in progress: retried by SQS) or return its result, for a day.
_ONCE = IdempotencyConfig(
    expires_after_seconds=24 * 3600, raise_on_no_idempotency_key=True, hash_function="sha256"
)


@packager.on_sqs_message(queue=packager_queue_name(), batch_size=1)
def package_sources(event: SQSEvent) -> None:
    _ONCE.register_lambda_context(cast(LambdaContext, event.context))
    package = idempotent_function(
        data_keyword_argument="upload", persistence_store=idempotency_store(), config=_ONCE
    )(_package)
    settings = get_settings()
    for message in event:
        last = _receive_count(message.to_dict()) >= settings.packager_max_receive_count
        for upload in uploads(message.body, settings.artifacts_bucket):
            package(upload={"bucket": settings.artifacts_bucket, **upload.identity()}, last_delivery=last)


def _receive_count(record: dict[str, Any]) -> int:
    """How many times SQS has delivered this message, this delivery included (1 when unknown)."""
    value = str(record.get("attributes", {}).get("ApproximateReceiveCount", ""))
    return int(value) if value.isascii() and value.isdigit() else 1


def _package(upload: dict[str, str], last_delivery: bool = False) -> dict[str, str]:
    """Package one S3 object, named by its identity (what the idempotency key is made of; the
    delivery count is not part of it). A permanent refusal is a result, kept by the idempotency
    layer like a success, so a duplicate event answers it again without a second run."""
    with tempfile.TemporaryDirectory(prefix="igny8-packager-") as workdir:
        limits = Limits(**get_settings().packager_limits)
        ingestor = Ingestor(repository(), store(), signer(), Path(workdir), now, limits=limits)
        try:
            record = ingestor.ingest(Upload.of(upload), last_delivery=last_delivery)
        except IngestFailed as refused:
            count("PackagingFailed")
            if refused.retry:
                raise
            return {"key": upload["key"], "status": "refused", "reason": refused.code}
    count("Packaged")
    return {
        "slug": record.slug,
        "version": record.version,
        "status": record.status.value,
        "sha256": record.sha256,
    }
