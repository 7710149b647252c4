"""Ed25519 signing with keys from Secrets Manager (package keys for the packager, the metadata key
for the public API's answers), and the published public keys.

Why not KMS: KMS can hold an unexportable Ed25519 key (ECC_NIST_EDWARDS25519), but moto cannot
emulate it, so that path could not be tested here; the README records the trade-off. Both values
are cached for a few minutes (``chalicelib/aws_values.py``), so a rotation takes effect within that time.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib import aws_values
from chalicelib.logic.errors import DomainError
from chalicelib.logic.ports import Signature

_SECRET_MAX_AGE = 300
_PUBLIC_MAX_AGE = 60


class SigningUnavailable(DomainError):
    code = "signing_unavailable"


class SecretsManagerSigner:
    def __init__(self, secret_name: str, public_parameter: str) -> None:
        self.secret_name = secret_name
        self.public_parameter = public_parameter

    def sign(self, message: bytes) -> Signature:
        key_id, private = active_key(self.secret_name)
        return Signature(key_id=key_id, value=base64.b64encode(private.sign(message)).decode())

    def trust_anchor(self) -> bytes:
        roots = published_keys(self.public_parameter).get("roots") or []
        if not roots:
            raise SigningUnavailable(
                f"no root key published in {self.public_parameter}; run `python -m infra.keys ensure --stage <stage>`"
            )
        return json.dumps({"roots": roots}, indent=2, sort_keys=True).encode() + b"\n"


class MetadataSigner:
    """Signs update answers with the stage's active metadata key: the only private key the public
    API function may read (``logic/metadata_signing.py`` says what is signed, and why)."""

    def __init__(self, secret_name: str) -> None:
        self.secret_name = secret_name

    def __call__(self, message: bytes) -> tuple[str, str]:
        key_id, private = active_key(self.secret_name)
        return key_id, _answer_signature(private, message)


@lru_cache(maxsize=1024)
def _answer_signature(private: Ed25519PrivateKey, message: bytes) -> str:
    """The signature of an answer's exact bytes by one key, made once: a warm container answers
    the same check many times within one 10-minute signing epoch, and Ed25519 is deterministic,
    so a repeat costs a lookup instead of a signature (bench/answer_signing_bench.py). It never
    hands out an expired signature: the bytes state their own ``signed_at`` and ``expires`` (the
    epoch of the request that asked), and a rotated key is a different key object (``_private``)."""
    return base64.b64encode(private.sign(message)).decode()


def active_key(secret_name: str) -> tuple[str, Ed25519PrivateKey]:
    """The active key of a key set secret (``{"active": id, "keys": [...]}``, ``infra/keys.py``);
    the secret is cached for a few minutes, so a rotation takes effect within that time."""
    key = _active_in(aws_values.secret(secret_name, max_age=_SECRET_MAX_AGE))
    if key is None:
        raise SigningUnavailable(
            f"no active signing key in {secret_name}; run `python -m infra.keys ensure --stage <stage>`"
        )
    return key


@lru_cache(maxsize=8)
def _active_in(secret: str) -> tuple[str, Ed25519PrivateKey] | None:
    """The active key of a secret's text, read once per text rather than once per signature (the
    public API signs every update answer with it)."""
    material: Any = json.loads(secret)
    active = material.get("active") if isinstance(material, dict) else None
    key = next((k for k in material.get("keys", []) if k.get("key_id") == active), None) if active else None
    return None if key is None else (str(active), _private(key["private_key"]))


@lru_cache(maxsize=8)
def _private(seed: str) -> Ed25519PrivateKey:
    """The key object for a base64 seed, made once per key (the same object for the same key, which
    ``_answer_signature`` memoises by)."""
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(seed))


def published_keys(parameter_name: str) -> dict[str, Any]:
    """What ``GET /api/keys/`` publishes: the public keys, active and retired (old signatures keep
    verifying), the root keys, and the key list signed by the root (what sites actually trust)."""
    value: Any = json.loads(aws_values.parameter(parameter_name, max_age=_PUBLIC_MAX_AGE))
    if not isinstance(value, dict):
        return {"keys": []}
    keys = [key for key in value.get("keys", []) if isinstance(key, dict)]
    return {**value, "keys": keys}
