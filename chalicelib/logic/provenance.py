"""Who made an upload, and what of its requests the packager may act on.

The object's S3 metadata is written by whoever uploads it, so it proves nothing: an upload the
admin API handed out (a presigned PUT, a rollback's copy) is believed through the grant the API
wrote for its key, naming the authenticated admin and what they asked; any other upload is the
IAM principal S3 reports in the event, and its metadata may describe a draft (version,
changelog, channel, an early status) but never release, force, roll out or republish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.logic.commands import ReleaseSettings
from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.inputs import parse
from chalicelib.logic.model import INITIAL, Status
from chalicelib.logic.ports import UploadGrant

#: Metadata only the admin API may set: each would change what sites are offered.
PRIVILEGED = ("percent", "force_update", "rollback-of", "offer-above")
#: The metadata uploaders use to say who they are: shown as a claim, never taken as the actor.
CLAIMED_BY = "uploaded-by"


@dataclass(frozen=True)
class Provenance:
    #: Who the audit names: the admin the API authenticated, or the S3 event's principal.
    actor: str
    #: The requests the packager acts on.
    metadata: dict[str, str]
    #: Why some of the object's requests were not followed (kept in the audit entry).
    notes: tuple[str, ...] = ()


def provenance(
    object_metadata: dict[str, str], grant: UploadGrant | None, principal: str | None, uploaded_at: datetime
) -> Provenance:
    if grant is not None and uploaded_at <= grant.expires_at:
        return Provenance(
            actor=grant.metadata.get(CLAIMED_BY) or "the admin API", metadata=dict(grant.metadata)
        )
    notes = []
    if grant is not None:
        notes.append("written after the admin API's grant for this key expired: taken as a direct S3 upload")
    metadata = dict(object_metadata)
    claimed = metadata.pop(CLAIMED_BY, None)
    if claimed:
        notes.append(f"its metadata says uploaded-by {claimed!r}, which nothing verifies")
    if metadata.get("status") == Status.RELEASED.value:
        metadata["status"] = Status.DRAFT.value
        notes.append("its metadata asked for status released: only the admin API releases, so it is a draft")
    for name in PRIVILEGED:
        if name in metadata:
            notes.append(
                f"its metadata {name}={metadata.pop(name)!r} was ignored: only the admin API sets it"
            )
    actor = f"S3 principal {principal}" if principal else "an S3 upload with no principal in its event"
    return Provenance(actor=actor, metadata=metadata, notes=tuple(notes))


@dataclass(frozen=True)
class Requested:
    """What an upload asks for (its metadata once provenance has sorted it): an initial status and,
    when released, its settings."""

    status: Status
    settings: ReleaseSettings

    @classmethod
    def of(cls, meta: dict[str, str]) -> Requested:
        value = meta.get("status") or Status.DRAFT.value
        status = next((s for s in INITIAL if s.value == value), None)
        if status is None:
            allowed = ", ".join(sorted(s.value for s in INITIAL))
            raise InvalidInput(
                f"an upload may ask for status {allowed}, not {value!r}", code="invalid_status"
            )
        given = {"percent": meta.get("percent"), "channel": meta.get("channel") or None}
        if (meta.get("force_update") or "").lower() not in ("", "false"):  # false: leave it as it is
            given["force_update"] = meta.get("force_update")
        settings = parse(ReleaseSettings, {k: v for k, v in given.items() if v is not None}, "metadata")
        return cls(status=status, settings=settings)
