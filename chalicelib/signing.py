"""Ed25519 package signing with keys from Secrets Manager, and the published public keys.

Why not KMS: KMS can hold an unexportable Ed25519 key (ECC_NIST_EDWARDS25519), but moto cannot
emulate it, so that path could not be tested here; the README records the trade-off. Powertools
parameters cache both values for a few minutes, so a rotation takes effect within that time.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aws_lambda_powertools.utilities import parameters
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

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
        material: Any = parameters.get_secret(self.secret_name, transform="json", max_age=_SECRET_MAX_AGE)
        active = material.get("active") if isinstance(material, dict) else None
        key = (
            next((k for k in material.get("keys", []) if k.get("key_id") == active), None) if active else None
        )
        if key is None:
            raise SigningUnavailable(
                f"no active signing key in {self.secret_name}; run `python -m infra.keys ensure --stage <stage>`"
            )
        private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(key["private_key"]))
        return Signature(key_id=str(active), value=base64.b64encode(private.sign(message)).decode())

    def trust_anchor(self) -> bytes:
        roots = published_keys(self.public_parameter).get("roots") or []
        if not roots:
            raise SigningUnavailable(
                f"no root key published in {self.public_parameter}; run `python -m infra.keys ensure --stage <stage>`"
            )
        return json.dumps({"roots": roots}, indent=2, sort_keys=True).encode() + b"\n"


def published_keys(parameter_name: str) -> dict[str, Any]:
    """What ``GET /api/keys/`` publishes: the public keys, active and retired (old signatures keep
    verifying), the root keys, and the key list signed by the root (what sites actually trust)."""
    value: Any = parameters.get_parameter(parameter_name, transform="json", max_age=_PUBLIC_MAX_AGE)
    if not isinstance(value, dict):
        return {"keys": []}
    keys = [key for key in value.get("keys", []) if isinstance(key, dict)]
    return {**value, "keys": keys}
