"""In-memory stand-ins for the domain's ports (``chalicelib.logic.ports``), for unit tests.

They keep the real adapters' contracts, the parts the domain relies on most:

* ``FakeRepository`` is keyed like the DynamoDB table (slug + ``sort_key(version)``), returns
  versions newest first in PHP order, makes ``save_version`` a conditional write, and stores
  copies, so a test only ever sees what the code under test actually saved.
  ``tests/contract/test_repository_contract.py`` runs the same tests against it and against
  ``DynamoRepository`` on the template's tables, so the two cannot drift apart.
* ``FakeStore`` streams sources with the same size limit as ``S3ArtifactStore`` and writes packages
  only if absent unless told to replace them.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib.logic.errors import Conflict, InvalidInput, NotFound
from chalicelib.logic.model import AuditEntry, Failure, Installation, Plugin, PluginVersion, Site
from chalicelib.logic.ports import PutResult, Signature, SourceObject, UploadGrant
from chalicelib.logic.release_index import entry, index_of
from chalicelib.logic.versions import sort_key

_Record = TypeVar("_Record", AuditEntry, Installation, Plugin, PluginVersion, Site)


def _utc(moment: datetime) -> datetime:
    """pynamodb's ``UTCDateTimeAttribute`` stores UTC and reads a naive moment as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stored(record: _Record) -> _Record:
    """What a round trip through DynamoDB gives back: a copy (changing it changes nothing stored),
    with every moment (``Plugin.last_failure``'s too) in UTC."""
    record = copy.deepcopy(record)
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if isinstance(value, datetime):
            changes[field.name] = _utc(value)
        elif isinstance(value, Failure):
            changes[field.name] = dataclasses.replace(value, at=_utc(value.at))
    return dataclasses.replace(record, **changes) if changes else record


#: What an audit entry's ``before``/``after`` may hold: pynamodb's raw ``MapAttribute`` refuses
#: anything else (a tuple, a datetime) with ``ValueError``.
_AUDIT_VALUE_TYPES = (str, bytes, bool, int, float, type(None), set, frozenset)


def _check_audit_value(value: Any) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _check_audit_value(item)
    elif isinstance(value, list):
        for item in value:
            _check_audit_value(item)
    elif not isinstance(value, _AUDIT_VALUE_TYPES):
        raise ValueError(f"Unsupported value type '{type(value)}'")


class FakeSigner:
    """Real Ed25519 with a fixed key, so tests can verify what the packager signed."""

    key_id = "test-key"
    private = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))

    def sign(self, message: bytes) -> Signature:
        return Signature(key_id=self.key_id, value=base64.b64encode(self.private.sign(message)).decode())

    def trust_anchor(self) -> bytes:
        return b'{"roots": [{"key_id": "test-root", "public_key": "test"}]}\n'


class FakeRepository:
    """``chalicelib.logic.ports.Repository`` in memory, behaving as ``DynamoRepository`` does.

    What it cannot do: expire counters (DynamoDB's TTL deletes an item some time after its
    ``expires_at``, so a rate-limit window eventually disappears; here it stays), lag (the GSIs
    behind ``plugins_on_platform`` and ``installations_of`` are eventually consistent; here every
    read sees every write), or refuse an item over DynamoDB's 400 KB.
    """

    def __init__(self) -> None:
        self._plugins: dict[str, Plugin] = {}
        self._versions: dict[tuple[str, str], PluginVersion] = {}
        self._installations: dict[tuple[str, str], Installation] = {}
        self._sites: dict[str, Site] = {}
        #: (pk, sk) -> hits, and the expiry ``take`` set (the fake never expires anything).
        self.counters: dict[tuple[str, str], int] = {}
        self.expires: dict[tuple[str, str], int] = {}
        self._counter_lock = threading.Lock()
        #: Every entry in the order it was appended (``audit`` orders them as DynamoDB does).
        self.audit_log: list[AuditEntry] = []

    # plugins -------------------------------------------------------------------------------
    def get_plugin(self, slug: str) -> Plugin | None:
        return copy.deepcopy(self._plugins.get(slug))

    def save_plugin(self, plugin: Plugin) -> None:
        stored = self._plugins.get(plugin.slug)
        if (stored.revision if stored else 0) != plugin.revision:
            raise Conflict(
                f"plugin {plugin.slug} changed meanwhile; reload and retry", code="concurrent_change"
            )
        if plugin.revision == 0:
            plugin.releases = index_of(self.versions(plugin.slug))
        plugin.revision += 1
        self._plugins[plugin.slug] = _stored(plugin)

    def plugins_on_platform(self, platform: str) -> list[Plugin]:
        return [
            copy.deepcopy(plugin)
            for slug, plugin in sorted(self._plugins.items())
            if plugin.platform.value == platform
        ]

    # versions ------------------------------------------------------------------------------
    def get_version(self, slug: str, version: str) -> PluginVersion | None:
        return copy.deepcopy(self._versions.get((slug, sort_key(version))))

    def versions(self, slug: str) -> list[PluginVersion]:
        """Newest first, like a DynamoDB query on the sort key with ``scan_index_forward=False``
        (DynamoDB compares UTF-8 bytes; ``sort_key`` is ASCII, so ``str`` order is the same)."""
        keys = sorted((key for key in self._versions if key[0] == slug), key=lambda key: key[1], reverse=True)
        return [copy.deepcopy(self._versions[key]) for key in keys]

    def save_version(self, version: PluginVersion, *, expected: PluginVersion | None) -> None:
        key = (version.slug, sort_key(version.version))
        stored = self._versions.get(key)
        if expected is None and stored is not None:
            raise Conflict(
                f"{version.slug} {version.version} already exists; reload and retry", code="concurrent_change"
            )
        if expected is not None and (
            stored is None or (stored.status, stored.revision) != (expected.status, expected.revision)
        ):
            raise Conflict(
                f"{version.slug} {version.version} changed meanwhile; reload and retry",
                code="concurrent_change",
            )
        version.revision = (expected.revision if expected else 0) + 1
        self._versions[key] = _stored(version)
        plugin = self._plugins.get(version.slug)
        if plugin is not None:
            self._index(plugin, version)
            plugin.revision += 1

    def reindex(self, slug: str) -> None:
        plugin = self._plugins.get(slug)
        if plugin is None:
            raise NotFound(f"no plugin {slug!r}")
        plugin.releases = index_of(self.versions(slug))
        plugin.revision += 1

    @staticmethod
    def _index(plugin: Plugin, version: PluginVersion) -> None:
        made = entry(_stored(version))
        if made is None:
            plugin.releases.pop(version.version, None)
        else:
            plugin.releases[version.version] = made

    # audit and installations -----------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        _check_audit_value(entry.before)
        _check_audit_value(entry.after)
        self.audit_log.append(_stored(entry))

    def audit(self, slug: str, limit: int = 100) -> list[AuditEntry]:
        """Newest ``at`` first, and among equal ones the last appended first, as the table's sort
        key (``at`` + append time) orders them."""
        appended = [(entry.at, index) for index, entry in enumerate(self.audit_log) if entry.slug == slug]
        newest = sorted(appended, reverse=True)[: max(limit, 0)]
        return [copy.deepcopy(self.audit_log[index]) for _, index in newest]

    def audit_page(self, slug: str, limit: int, before: str | None) -> tuple[list[AuditEntry], str | None]:
        """As the table pages: the position is the entry's sort key (``at``, then append order)."""
        keys = sorted(
            ((f"{e.at.isoformat()}#{i:020d}", i) for i, e in enumerate(self.audit_log) if e.slug == slug),
            reverse=True,
        )
        older = [(key, i) for key, i in keys if before is None or key < before]
        page = older[:limit]
        more = len(older) > limit
        return [copy.deepcopy(self.audit_log[i]) for _, i in page], page[-1][0] if more else None

    def installations_of(self, slug: str) -> list[Installation]:
        return [
            copy.deepcopy(i) for (site, plugin), i in sorted(self._installations.items()) if plugin == slug
        ]

    def get_installation(self, site_id: str, slug: str) -> Installation | None:
        return copy.deepcopy(self._installations.get((site_id, slug)))

    def save_installation(self, installation: Installation) -> None:
        self._installations[(installation.site_id, installation.slug)] = _stored(installation)

    # sites -------------------------------------------------------------------------------------
    def get_site(self, site_id: str) -> Site | None:
        return copy.deepcopy(self._sites.get(site_id))

    def sites(self) -> list[Site]:
        return sorted(
            (copy.deepcopy(site) for site in self._sites.values()), key=lambda site: site.created_at
        )

    def save_site(self, site: Site) -> None:
        """Conditional on ``site.revision`` (0: only if absent), like ``DynamoRepository.save_site``."""
        stored = self._sites.get(site.site_id)
        if (stored.revision if stored else 0) != site.revision:
            raise Conflict(
                f"site {site.site_id} changed meanwhile; reload and retry", code="concurrent_change"
            )
        site.revision += 1
        self._sites[site.site_id] = _stored(site)

    # counters ----------------------------------------------------------------------------------
    def take(self, pk: str, sk: str, limit: int, expires_at: int) -> bool:
        """Like the DynamoDB update conditioned on ``hits`` absent or ``< limit``: a refused take
        changes nothing."""
        key = (pk, sk)
        with self._counter_lock:  # one conditional update at a time, as DynamoDB applies them
            if key in self.counters and self.counters[key] >= limit:
                return False
            self.counters[key] = self.counters.get(key, 0) + 1
            self.expires[key] = expires_at
        return True

    def add(self, pk: str, sk: str, amount: int = 1) -> None:
        with self._counter_lock:
            self.counters[(pk, sk)] = self.counters.get((pk, sk), 0) + amount

    def counts(self, pk: str, sk_from: str) -> dict[str, int]:
        """Every counter of ``pk`` with sort key ``>= sk_from``, in sort-key order. DynamoDB refuses
        an empty key value in a condition, and so does this."""
        if not sk_from:
            raise ValueError("The AttributeValue for a key attribute cannot contain an empty string value")
        return {sk: hits for (p, sk), hits in sorted(self.counters.items()) if p == pk and sk >= sk_from}

    # test helpers (not part of the port) -------------------------------------------------------
    def put_version(self, version: PluginVersion) -> None:
        """Arrange a stored version without the conditional check (its plugin's release index
        follows, when the plugin is stored)."""
        self._versions[(version.slug, sort_key(version.version))] = _stored(version)
        plugin = self._plugins.get(version.slug)
        if plugin is not None:
            self._index(plugin, version)


class FakeStore:
    """``chalicelib.logic.ports.ArtifactStore`` in memory.

    ``sources`` maps an object key to ``(bytes, metadata, version_id)``: the *current* version of
    that object, as a versioned bucket would serve it.
    """

    BUCKET_URL = "https://artifacts.fake-s3.test"

    def __init__(self) -> None:
        self.sources: dict[str, tuple[bytes, dict[str, str], str]] = {}
        self.packages: dict[str, bytes] = {}
        self.expirable: set[str] = set()
        #: Upload grants by source key, as the admin API's presigns and copies write them.
        self.grants: dict[str, UploadGrant] = {}
        #: When a grant's URL expires (grants made by a copy live as long).
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._next_version = 0

    def put_source(self, key: str, data: bytes, metadata: dict[str, str] | None = None) -> str:
        """Upload (or overwrite) a source object; returns its new S3 version id."""
        self._next_version += 1
        version_id = f"v{self._next_version:04d}"
        self.sources[key] = (data, dict(metadata or {}), version_id)
        return version_id

    def fetch_source(self, key: str, version_id: str | None, dest: Path, max_bytes: int) -> SourceObject:
        if key not in self.sources:
            raise LookupError(f"NoSuchKey: {key}")
        data, metadata, stored_version_id = self.sources[key]
        if version_id is not None and version_id != stored_version_id:
            raise LookupError(f"NoSuchVersion: {key} {version_id}")
        if len(data) > max_bytes:
            raise InvalidInput(f"source archive is larger than the {max_bytes} byte limit", code="too_large")
        dest.write_bytes(data)
        return SourceObject(
            metadata={name.lower(): value for name, value in metadata.items()},
            version_id=stored_version_id,
            size=len(data),
        )

    def put_package(self, key: str, path: Path, sha256: str, *, replace: bool) -> PutResult:
        data = path.read_bytes()
        if replace or key not in self.packages:
            self.packages[key] = data
            return PutResult.CREATED
        same = hashlib.sha256(self.packages[key]).hexdigest() == sha256
        return PutResult.IDENTICAL if same else PutResult.DIFFERENT

    def presign_download(self, key: str, filename: str, ttl: int) -> str:
        return f"{self.BUCKET_URL}/{key}?filename={filename}&X-Amz-Expires={ttl}"

    def presign_upload(self, key: str, metadata: dict[str, str], ttl: int) -> tuple[str, dict[str, str]]:
        self.grants[key] = UploadGrant(dict(metadata), self.clock() + timedelta(seconds=ttl))
        return f"{self.BUCKET_URL}/{key}?X-Amz-Expires={ttl}", {
            f"x-amz-meta-{k}": v for k, v in metadata.items()
        }

    def copy_package_to_source(self, package_key: str, source_key: str, metadata: dict[str, str]) -> None:
        self.grants[source_key] = UploadGrant(dict(metadata), self.clock() + timedelta(minutes=5))
        self.put_source(source_key, self.packages[package_key], metadata)

    def upload_grant(self, source_key: str) -> UploadGrant | None:
        return self.grants.get(source_key)

    def set_expirable(self, key: str, *, expirable: bool) -> None:
        if expirable:
            self.expirable.add(key)
        else:
            self.expirable.discard(key)


@dataclass
class FixedClock:
    """A clock that says the same time until a test moves it."""

    now: datetime = datetime(2024, 5, 6, 15, 4, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
