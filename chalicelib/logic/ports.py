"""The seams between the domain and AWS: the domain asks for these, adapters implement them.

Unit tests pass in-memory fakes; ``chalicelib/dal`` and ``chalicelib/storage.py`` are the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: the signing port is read by the fast path, without pydantic
    from chalicelib.logic.model import AuditEntry, Installation, Plugin, PluginVersion, Site


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, in UTC: the system's, or a simulation's (the local stack only)."""
        ...


class Repository(Protocol):
    def get_plugin(self, slug: str) -> Plugin | None: ...

    def save_plugin(self, plugin: Plugin) -> None:
        """Write ``plugin`` only over the stored ``plugin.revision`` (0: only if absent, with its
        release index built from the versions stored), then bump it; raises ``Conflict`` when
        someone saved in between (a version write moves the revision too)."""
        ...

    def plugins_on_platform(self, platform: str) -> list[Plugin]: ...

    def get_version(self, slug: str, version: str) -> PluginVersion | None: ...

    def versions(self, slug: str) -> list[PluginVersion]:
        """Every version of a plugin, newest first (PHP ``version_compare`` order)."""
        ...

    def save_version(self, version: PluginVersion, *, expected: PluginVersion | None) -> None:
        """Write ``version`` only over the stored record exactly as ``expected`` was read (same
        status and revision; ``None``: only if absent), then bump ``version.revision``.

        Raises ``Conflict`` otherwise, so two writers can never silently overwrite each other.
        In the same atomic write, the plugin's release index (``Plugin.releases``) takes the
        version's entry (``release_index.entry``; none: removed) and the plugin's revision moves
        on. Before the plugin exists (the packager claims a version first) only the version is
        written: a new plugin's first ``save_plugin`` builds its index from the stored versions.
        """
        ...

    def reindex(self, slug: str) -> None:
        """Rebuild the plugin's release index from its versions (items stored before it existed)."""
        ...

    def append_audit(self, entry: AuditEntry) -> None: ...

    def audit(self, slug: str, limit: int = 100) -> list[AuditEntry]:
        """The newest ``limit`` audit entries of a plugin, newest first."""
        ...

    def audit_page(self, slug: str, limit: int, before: str | None) -> tuple[list[AuditEntry], str | None]:
        """Up to ``limit`` entries of a trail older than the position ``before`` (None: the newest),
        newest first, and the position of the last one when older entries remain (else None)."""
        ...

    def installations_of(self, slug: str) -> list[Installation]: ...

    def get_installation(self, site_id: str, slug: str) -> Installation | None: ...

    def get_site(self, site_id: str) -> Site | None: ...

    def sites(self) -> list[Site]: ...

    def save_site(self, site: Site) -> None:
        """Write over the stored ``site.revision`` (0: only if absent), then bump it."""
        ...

    def take(self, pk: str, sk: str, limit: int, expires_at: int) -> bool:
        """Atomically count one more in ``(pk, sk)`` unless that would pass ``limit``."""
        ...

    def add(self, pk: str, sk: str, amount: int = 1) -> None: ...

    def counts(self, pk: str, sk_from: str) -> dict[str, int]:
        """Every counter of ``pk`` whose sort key is ``sk_from`` or later."""
        ...

    def save_installation(self, installation: Installation) -> None: ...


@dataclass(frozen=True)
class SourceObject:
    metadata: dict[str, str]
    version_id: str
    size: int


@dataclass(frozen=True)
class UploadGrant:
    """What the admin API bound to a source key when it handed the key out (a presigned upload,
    a rollback's copy): the admin's identity and requested settings, written server-side where
    no uploader can write, so the object's own metadata never has to be believed."""

    metadata: dict[str, str]
    #: An object written under the key after this was not the upload the admin asked for.
    expires_at: datetime


@dataclass(frozen=True)
class Signature:
    """A detached Ed25519 signature, base64, as WordPress' ``verify_file_signature()`` takes it."""

    key_id: str
    value: str
    algorithm: str = "ed25519"


class Signer(Protocol):
    def sign(self, message: bytes) -> Signature:
        """Sign ``message`` (for packages: the raw 48-byte SHA-384 digest) with the active key."""
        ...

    def trust_anchor(self) -> bytes:
        """The stage's root public keys as ``igny8-trust.json`` holds them in a package: what a
        client pins to accept the signing keys the root certifies (see ``GET /api/keys/``)."""
        ...


class PutResult(StrEnum):
    CREATED = "created"
    IDENTICAL = "identical"
    DIFFERENT = "different"


class ArtifactStore(Protocol):
    def fetch_source(self, key: str, version_id: str | None, dest: Path, max_bytes: int) -> SourceObject: ...

    def put_package(self, key: str, path: Path, sha256: str, *, replace: bool) -> PutResult:
        """Store a package only if absent; ``replace`` overwrites bytes no site has been offered."""
        ...

    def presign_download(self, key: str, filename: str, ttl: int) -> str: ...

    def presign_upload(self, key: str, metadata: dict[str, str], ttl: int) -> tuple[str, dict[str, str]]:
        """A URL and the headers an admin must PUT a source with (the metadata is signed), with
        ``metadata`` bound to ``key`` as its ``UploadGrant`` until the URL expires."""
        ...

    def copy_package_to_source(self, package_key: str, source_key: str, metadata: dict[str, str]) -> None:
        """Put a released package back in as a source (the packager republishes it), with
        ``metadata`` bound to ``source_key`` as its ``UploadGrant``."""
        ...

    def upload_grant(self, source_key: str) -> UploadGrant | None:
        """The grant the admin API wrote for this key; None for an upload made straight to S3."""
        ...

    def set_expirable(self, key: str, *, expirable: bool) -> None:
        """Let the bucket's lifecycle rule expire this package (retention), or keep it again."""
        ...
