"""Ed25519 package-signing keys: create one, rotate, publish the public halves.

    python -m infra.keys ensure --stage dev     # create the first key if there is none
    python -m infra.keys rotate --stage dev     # new active key; old ones stay published

The private keys live in the stack's Secrets Manager secret (read only by the packager); the
public keys, with their ids, in its SSM parameter (read by the API for ``GET /api/keys/``).
Retired keys stay published so signatures made with them keep verifying.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from infra import stack

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager.client import SecretsManagerClient
    from mypy_boto3_ssm.client import SSMClient


def new_key(now: datetime | None = None) -> dict[str, str]:
    """A fresh key: its id is the first 16 hex chars of SHA-256 over the public key."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    seed = private.private_bytes_raw()
    return {
        "key_id": hashlib.sha256(public).hexdigest()[:16],
        "private_key": base64.b64encode(seed).decode(),
        "public_key": base64.b64encode(public).decode(),
        "created_at": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


class KeyStore:
    def __init__(
        self, secret_name: str, parameter_name: str, session: boto3.session.Session | None = None
    ) -> None:
        session = session or boto3.session.Session()
        self._secrets: SecretsManagerClient = session.client("secretsmanager")
        self._ssm: SSMClient = session.client("ssm")
        self.secret_name = secret_name
        self.parameter_name = parameter_name

    @classmethod
    def of_stack(cls, outputs: Mapping[str, str], session: boto3.session.Session | None = None) -> KeyStore:
        return cls(outputs["SigningKeysSecretName"], outputs["SigningPublicKeysParameterName"], session)

    def ensure(self) -> str:
        """The active key id, creating the first key when the secret holds none."""
        material = self._material()
        return str(material["active"]) if material.get("active") else self.rotate()

    def rotate(self) -> str:
        material = self._material()
        key = new_key()
        material["keys"] = [*material.get("keys", []), key]
        material["active"] = key["key_id"]
        self._secrets.put_secret_value(SecretId=self.secret_name, SecretString=json.dumps(material))
        self._publish(material)
        return key["key_id"]

    def _material(self) -> dict[str, Any]:
        value = self._secrets.get_secret_value(SecretId=self.secret_name)["SecretString"]
        material = json.loads(value)
        if not isinstance(material, dict):
            raise ValueError(f"secret {self.secret_name} does not hold a key set")
        return material

    def _publish(self, material: dict[str, Any]) -> None:
        public = [
            {
                "key_id": key["key_id"],
                "algorithm": "ed25519",
                "public_key": key["public_key"],
                "created_at": key["created_at"],
                "status": "active" if key["key_id"] == material["active"] else "retired",
            }
            for key in material["keys"]
        ]
        self._ssm.put_parameter(
            Name=self.parameter_name, Value=json.dumps({"keys": public}), Type="String", Overwrite=True
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["ensure", "rotate"])
    parser.add_argument("--stage", required=True)
    args = parser.parse_args(argv)
    store = KeyStore.of_stack(stack.stack_outputs(args.stage))
    key_id = store.ensure() if args.action == "ensure" else store.rotate()
    print(f"active signing key: {key_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
