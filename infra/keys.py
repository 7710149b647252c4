"""Ed25519 keys of two roles: package keys and metadata keys. Create, rotate, revoke, publish.

    python -m infra.keys ensure --stage dev     # create the first key of each role if there is none
    python -m infra.keys rotate --stage dev     # new active package key; old ones stay published
    python -m infra.keys rotate --stage dev --role metadata   # new active metadata key
    python -m infra.keys revoke --stage dev --key-id ID   # a stolen, non-active key: trusted by none

Package keys sign packages (their secret is read only by the packager); the metadata key signs
check-update and info answers (its own secret, the only one the public API function may read), so
a code-execution bug in the internet-facing function can delay or misdescribe offers but never
sign a package. The public halves, with their ids, go to the stack's SSM parameter (read by the
API for ``GET /api/keys/``). A key replaced by a rotation is ``retired`` with ``retired_at``: it
keeps vouching for what it signed before that moment only.

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
from itertools import pairwise
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


#: The two roles a key may have; each role's keys live in a secret of their own.
PACKAGE, METADATA = "package", "metadata"


def key_list_statement(
    material: dict[str, Any], now: datetime | None = None, metadata: dict[str, Any] | None = None
) -> str:
    """The signed statement of which keys exist, their role and status, as the exact JSON text the
    root signs: sites verify the signature over these bytes, then parse them (no canonical JSON).

    Metadata keys are listed apart (``metadata_keys``): a bridge from before roles existed trusts
    every entry of ``keys`` for packages, and must never come to trust the API's metadata key."""
    issued = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    statement = {"purpose": "igny8-signing-keys", "issued_at": issued, "keys": _entries(material, PACKAGE)}
    if metadata is not None:
        statement["metadata_keys"] = _entries(metadata, METADATA)
    return json.dumps(statement, sort_keys=True)


def _entries(material: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """The public entries of one role's keys. A key retired before ``retired_at`` was recorded
    (older stages) retired when the next key was made."""
    keys = material.get("keys", [])
    replaced = {key["key_id"]: later["created_at"] for key, later in pairwise(keys)}
    return [
        {
            "key_id": key["key_id"],
            "algorithm": "ed25519",
            "role": role,
            "public_key": key["public_key"],
            "created_at": key["created_at"],
            "status": (status := _status(key, material.get("active"))),
            "retired_at": None
            if status == "active"
            else key.get("retired_at") or replaced.get(key["key_id"]),
        }
        for key in keys
    ]


def _status(key: dict[str, Any], active: str | None) -> str:
    """active signs new packages; retired still vouches for old ones; revoked for none (stolen)."""
    if key.get("revoked"):
        return "revoked"
    return "active" if key["key_id"] == active else "retired"


class KeyStore:
    """The stage's two tiers of keys: a root key (used only here, by an operator) certifies the
    package and metadata keys, so sites that pin the root accept a rotated key without an update."""

    def __init__(
        self,
        secret_name: str,
        parameter_name: str,
        root_secret_name: str,
        session: boto3.session.Session | None = None,
        metadata_secret_name: str | None = None,
    ) -> None:
        session = session or boto3.session.Session()
        self._secrets: SecretsManagerClient = session.client("secretsmanager")
        self._ssm: SSMClient = session.client("ssm")
        self.secret_name = secret_name
        self.parameter_name = parameter_name
        self.root_secret_name = root_secret_name
        self.metadata_secret_name = metadata_secret_name

    @classmethod
    def of_stack(cls, outputs: Mapping[str, str], session: boto3.session.Session | None = None) -> KeyStore:
        return cls(
            outputs["SigningKeysSecretName"],
            outputs["SigningPublicKeysParameterName"],
            outputs["SigningRootKeySecretName"],
            session,
            outputs.get("MetadataKeySecretName"),
        )

    def ensure(self) -> str:
        """The active package key id, creating the root and the first key of each role when there
        are none."""
        if self.metadata_secret_name and not self._material(self.metadata_secret_name).get("active"):
            self.rotate(METADATA)
        material = self._material(self.secret_name)
        if not material.get("active"):
            return self.rotate()
        if not self._root()["keys"]:
            self._publish()  # a stage from before the root existed gets one now
        return str(material["active"])

    def rotate(self, role: str = PACKAGE) -> str:
        """A new active key of ``role``; the one it replaces is retired from now on."""
        secret = self._secret_of(role)
        material = self._material(secret)
        key = new_key()
        for old in material.get("keys", []):
            if old["key_id"] == material.get("active"):
                old["retired_at"] = key["created_at"]
        material["keys"] = [*material.get("keys", []), key]
        material["active"] = key["key_id"]
        self._secrets.put_secret_value(SecretId=secret, SecretString=json.dumps(material))
        self._publish()
        return key["key_id"]

    def revoke(self, key_id: str) -> None:
        """Sites stop accepting anything this key signed once they fetch the new root-signed list
        (they refresh it daily, and at once when they meet a key they do not know). The active key
        cannot be revoked: rotate first."""
        for role in (PACKAGE, METADATA):
            if role == METADATA and not self.metadata_secret_name:
                continue
            material = self._material(self._secret_of(role))
            key = next((k for k in material.get("keys", []) if k["key_id"] == key_id), None)
            if key is None:
                continue
            if key_id == material.get("active"):
                raise ValueError(f"{key_id} is the active {role} key: rotate first, then revoke it")
            key["revoked"] = True
            self._secrets.put_secret_value(SecretId=self._secret_of(role), SecretString=json.dumps(material))
            self._publish()
            return
        raise ValueError(f"no signing key {key_id}")

    def _secret_of(self, role: str) -> str:
        if role == PACKAGE:
            return self.secret_name
        if role == METADATA and self.metadata_secret_name:
            return self.metadata_secret_name
        raise ValueError(f"this stage has no {role} keys")

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

    def _publish(self) -> None:
        root = self._root_key()
        material = self._material(self.secret_name)
        metadata = self._material(self.metadata_secret_name) if self.metadata_secret_name else None
        statement = key_list_statement(material, metadata=metadata)
        signer = Ed25519PrivateKey.from_private_bytes(base64.b64decode(root["private_key"]))
        listed = json.loads(statement)
        published = {
            "keys": listed["keys"],
            **({"metadata_keys": listed["metadata_keys"]} if metadata is not None else {}),
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
    parser.add_argument("--role", choices=[PACKAGE, METADATA], default=PACKAGE, help="the keys to rotate")
    args = parser.parse_args(argv)
    store = KeyStore.of_stack(stack.stack_outputs(args.stage))
    if args.action == "revoke":
        if not args.key_id:
            parser.error("revoke needs --key-id")
        store.revoke(args.key_id)
    if args.action == "rotate":
        print(f"active {args.role} key: {store.rotate(args.role)}")
        return 0
    print(f"active signing key: {store.ensure()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
