"""S3 implementation of ``logic.ports.ArtifactStore``.

Four rules live here: presign with SigV4 (boto3 would otherwise use SigV2), stream objects
through bounded chunks (a Lambda has little memory, archives can be large), write packages
only if absent (released bytes never change), and bind what the admin API asked of an upload
in a grant under ``grants/`` (only the API's role writes there; uploaders write ``sources/``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.session import Session, get_session

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.ports import PutResult, SourceObject, UploadGrant

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_CHUNK = 1 << 20
_SHA256_META = "sha256"
#: The tag infra/template.yaml's lifecycle rule expires packages by (retention).
EXPIRABLE_TAG = "retention-expirable"
#: Where upload grants live (outside sources/, so writing one is no upload); the template's
#: lifecycle rule removes them once no dead letter can still need one.
GRANT_PREFIX = "grants/"
#: A rollback's copy is written at once: its grant only has to outlast that write.
COPY_GRANT_TTL = 300


@lru_cache(maxsize=1)
def _session() -> Session:
    """One botocore session per process, as boto3's default one: its loaded service models are shared."""
    return get_session()


def grant_key(source_key: str) -> str:
    return f"{GRANT_PREFIX}{source_key}.json"


class S3ArtifactStore:
    def __init__(self, bucket: str, region: str, client: S3Client | None = None) -> None:
        self.bucket = bucket
        # botocore's client, not boto3's: the same client, without boto3's import cost (about a third
        # of the public function's cold start, README: Cold starts); pynamodb loads botocore anyway.
        self._s3: S3Client = client or _session().create_client(  # type: ignore[assignment]
            "s3", region_name=region, config=Config(signature_version="s3v4", retries={"mode": "standard"})
        )

    def fetch_source(self, key: str, version_id: str | None, dest: Path, max_bytes: int) -> SourceObject:
        """Stream one uploaded source to ``dest``, refusing it past ``max_bytes`` as it arrives."""
        extra: dict[str, Any] = {"VersionId": version_id} if version_id else {}
        response = self._s3.get_object(Bucket=self.bucket, Key=key, **extra)
        size = 0
        with dest.open("wb") as out:
            for chunk in response["Body"].iter_chunks(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise InvalidInput(
                        f"source archive is larger than the {max_bytes} byte limit", code="too_large"
                    )
                out.write(chunk)
        # Metadata is ASCII on the wire; uploaders percent-encode anything else (see igny8_cli).
        metadata = {name.lower(): unquote(value) for name, value in response.get("Metadata", {}).items()}
        return SourceObject(metadata=metadata, version_id=response.get("VersionId") or "", size=size)

    def put_package(self, key: str, path: Path, sha256: str, *, replace: bool) -> PutResult:
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "ContentType": "application/zip",
            "ChecksumAlgorithm": "SHA256",
            "Metadata": {_SHA256_META: sha256},
        }
        with path.open("rb") as body:
            try:
                if replace:
                    self._s3.put_object(Body=body, **kwargs)
                else:
                    self._s3.put_object(Body=body, IfNoneMatch="*", **kwargs)
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in ("PreconditionFailed", "ConditionalRequestConflict"):
                    raise
                return PutResult.IDENTICAL if self._stored_sha256(key) == sha256 else PutResult.DIFFERENT
        return PutResult.CREATED

    def _stored_sha256(self, key: str) -> str:
        head = self._s3.head_object(Bucket=self.bucket, Key=key)
        recorded = head.get("Metadata", {}).get(_SHA256_META)
        if recorded:
            return recorded
        digest = hashlib.sha256()
        for chunk in self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].iter_chunks(_CHUNK):
            digest.update(chunk)
        return digest.hexdigest()

    def presign_upload(self, key: str, metadata: dict[str, str], ttl: int) -> tuple[str, dict[str, str]]:
        self._grant(key, metadata, ttl)
        encoded = {name: quote(value, safe="") for name, value in metadata.items()}
        url = self._s3.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": key, "Metadata": encoded}, ExpiresIn=ttl
        )
        return url, {f"x-amz-meta-{name}": value for name, value in encoded.items()}

    def upload_origin(self) -> str:
        """Where ``presign_upload``'s URLs point (scheme, host, port), made the same way and without
        a call: the console's page may send its uploads there and nowhere else (its CSP)."""
        url = self._s3.generate_presigned_url("put_object", Params={"Bucket": self.bucket, "Key": "sources/"})
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def copy_package_to_source(self, package_key: str, source_key: str, metadata: dict[str, str]) -> None:
        self._grant(source_key, metadata, COPY_GRANT_TTL)
        self._s3.copy_object(
            Bucket=self.bucket,
            Key=source_key,
            CopySource={"Bucket": self.bucket, "Key": package_key},
            Metadata={name: quote(value, safe="") for name, value in metadata.items()},
            MetadataDirective="REPLACE",
        )

    def _grant(self, source_key: str, metadata: dict[str, str], ttl: int) -> None:
        """Written before the URL or copy exists, so the packager can never see the upload first."""
        expires_at = datetime.now(UTC) + timedelta(seconds=ttl)
        body = json.dumps({"metadata": metadata, "expires_at": expires_at.isoformat()})
        self._s3.put_object(
            Bucket=self.bucket, Key=grant_key(source_key), Body=body.encode(), ContentType="application/json"
        )

    def upload_grant(self, source_key: str) -> UploadGrant | None:
        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=grant_key(source_key))
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        data = json.loads(response["Body"].read())
        return UploadGrant(
            metadata={str(k): str(v) for k, v in data["metadata"].items()},
            expires_at=datetime.fromisoformat(data["expires_at"]),
        )

    def set_expirable(self, key: str, *, expirable: bool) -> None:
        if expirable:
            tags: list[Any] = [{"Key": EXPIRABLE_TAG, "Value": "true"}]
            self._s3.put_object_tagging(Bucket=self.bucket, Key=key, Tagging={"TagSet": tags})
        else:
            self._s3.delete_object_tagging(Bucket=self.bucket, Key=key)

    def presign_download(self, key: str, filename: str, ttl: int) -> str:
        return self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{filename}"',
                "ResponseContentType": "application/zip",
            },
            ExpiresIn=ttl,
        )
