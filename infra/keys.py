"""Ed25519 package-signing keys: create one, rotate, publish the public halves.

    python -m infra.keys ensure --stage dev     # create the first key if there is none
    python -m infra.keys rotate --stage dev     # new active key; old ones stay published
    python -m infra.keys revoke --stage dev --key-id ID   # a stolen, non-active key: trusted by none

The private keys live in the stack's Secrets Manager secret (read only by the packager); the
public keys, with their ids, in its SSM parameter (read by the API for ``GET /api/keys/``).
Retired keys stay published so signatures made with them keep verifying.

A root key, in a secret of its own that no function may read, signs the list of signing keys
each time it changes. Sites pin the root (the packager writes it into ``igny8-trust.json``), so a
rotation reaches every site through ``GET /api/keys/`` without a new bridge.
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


def key_list_statement(material: dict[str, Any], now: datetime | None = None) -> str:
    """The signed statement of which signing keys exist and their status, as the exact JSON text the
    root signs: sites verify the signature over these bytes, then parse them (no canonical JSON)."""
    keys = [
        {
            "key_id": key["key_id"],
            "algorithm": "ed25519",
            "public_key": key["public_key"],
            "created_at": key["created_at"],
            "status": _status(key, material["active"]),
        }
        for key in material["keys"]
    ]
    issued = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"purpose": "igny8-signing-keys", "issued_at": issued, "keys": keys}, sort_keys=True)


def _status(key: dict[str, Any], active: str | None) -> str:
    """active signs new packages; retired still vouches for old ones; revoked for none (stolen)."""
    if key.get("revoked"):
        return "revoked"
    return "active" if key["key_id"] == active else "retired"


class KeyStore:
    """The stage's two tiers of keys: a root key (used only here, by an operator) certifies the
    package-signing keys, so sites that pin the root accept a rotated signing key without an update."""

    def __init__(
        self,
        secret_name: str,
        parameter_name: str,
        root_secret_name: str,
        session: boto3.session.Session | None = None,
    ) -> None:
        session = session or boto3.session.Session()
        self._secrets: SecretsManagerClient = session.client("secretsmanager")
        self._ssm: SSMClient = session.client("ssm")
        self.secret_name = secret_name
        self.parameter_name = parameter_name
        self.root_secret_name = root_secret_name

    @classmethod
    def of_stack(cls, outputs: Mapping[str, str], session: boto3.session.Session | None = None) -> KeyStore:
        return cls(
            outputs["SigningKeysSecretName"],
            outputs["SigningPublicKeysParameterName"],
            outputs["SigningRootKeySecretName"],
            session,
        )

    def ensure(self) -> str:
        """The active key id, creating the root and the first signing key when there are none."""
        material = self._material(self.secret_name)
        if not material.get("active"):
            return self.rotate()
        if not self._root()["keys"]:
            self._publish(material)  # a stage from before the root existed gets one now
        return str(material["active"])

    def rotate(self) -> str:
        material = self._material(self.secret_name)
        key = new_key()
        material["keys"] = [*material.get("keys", []), key]
        material["active"] = key["key_id"]
        self._secrets.put_secret_value(SecretId=self.secret_name, SecretString=json.dumps(material))
        self._publish(material)
        return key["key_id"]

    def revoke(self, key_id: str) -> None:
        """Sites stop accepting anything this key signed once they fetch the new root-signed list
        (they refresh it daily). The active key cannot be revoked: rotate first."""
        material = self._material(self.secret_name)
        key = next((k for k in material.get("keys", []) if k["key_id"] == key_id), None)
        if key is None:
            raise ValueError(f"no signing key {key_id}")
        if key_id == material.get("active"):
            raise ValueError(f"{key_id} is the active key: rotate first, then revoke it")
        key["revoked"] = True
        self._secrets.put_secret_value(SecretId=self.secret_name, SecretString=json.dumps(material))
        self._publish(material)

    def _root(self) -> dict[str, Any]:
        root = self._material(self.root_secret_name)
        root.setdefault("keys", [])
        return root

    def _root_key(self) -> dict[str, str]:
        root = self._root()
        if not root["keys"]:
            root["keys"].append(new_key())
            self._secrets.put_secret_value(SecretId=self.root_secret_name, SecretString=json.dumps(root))
        return dict(root["keys"][-1])

    def _material(self, secret_name: str) -> dict[str, Any]:
        value = self._secrets.get_secret_value(SecretId=secret_name)["SecretString"]
        material = json.loads(value)
        if not isinstance(material, dict):
            raise ValueError(f"secret {secret_name} does not hold a key set")
        return material

    def _publish(self, material: dict[str, Any]) -> None:
        root = self._root_key()
        statement = key_list_statement(material)
        signer = Ed25519PrivateKey.from_private_bytes(base64.b64decode(root["private_key"]))
        published = {
            "keys": json.loads(statement)["keys"],
            "roots": [{"key_id": root["key_id"], "algorithm": "ed25519", "public_key": root["public_key"]}],
            "key_list": statement,
            "key_list_root_id": root["key_id"],
            "key_list_signature": base64.b64encode(signer.sign(statement.encode())).decode(),
        }
        self._ssm.put_parameter(
            Name=self.parameter_name, Value=json.dumps(published), Type="String", Overwrite=True
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["ensure", "rotate", "revoke"])
    parser.add_argument("--stage", required=True)
    parser.add_argument("--key-id", help="the key to revoke")
    args = parser.parse_args(argv)
    store = KeyStore.of_stack(stack.stack_outputs(args.stage))
    if args.action == "revoke":
        if not args.key_id:
            parser.error("revoke needs --key-id")
        store.revoke(args.key_id)
    key_id = store.rotate() if args.action == "rotate" else store.ensure()
    print(f"active signing key: {key_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
