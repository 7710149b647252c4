"""The AWS adapters, each built once per Lambda container on first use (never at import);
``reset`` forgets them and the clock (``chalicelib/clock.py``).

Lazily: moto's tests and the local stack set the environment first; Lambda reuses warm
containers, so clients and connections survive between invocations. What only the packager
uses (Powertools' idempotency, which imports boto3; the package signer) is imported when first
built, so the public function's cold start does not pay for it (README: Cold starts).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from chalicelib import aws_values
from chalicelib.clock import clock
from chalicelib.dal.repository import DynamoRepository
from chalicelib.logic.apptoken import keys_from_secret
from chalicelib.settings import get_settings
from chalicelib.storage import S3ArtifactStore

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from chalicelib.signing import SecretsManagerSigner


@lru_cache(maxsize=1)
def repository() -> DynamoRepository:
    return DynamoRepository(get_settings())


@lru_cache(maxsize=1)
def store() -> S3ArtifactStore:
    settings = get_settings()
    return S3ArtifactStore(settings.artifacts_bucket, settings.region)


@lru_cache(maxsize=1)
def signer() -> SecretsManagerSigner:
    from chalicelib.signing import SecretsManagerSigner  # noqa: PLC0415 - the packager's only

    settings = get_settings()
    return SecretsManagerSigner(settings.signing_keys_secret, settings.signing_public_keys_parameter)


#: Seconds a warm container keeps the app-token secret: a rotation reaches every container soon.
APP_TOKEN_SECRET_MAX_AGE = 300


def app_token_keys() -> tuple[bytes, ...]:
    """The keys app tokens are verified with (``logic/apptoken.py``), from Secrets Manager; none
    when the stage has no such secret configured. The value is never logged."""
    name = get_settings().app_token_secret
    if not name:
        return ()
    return keys_from_secret(aws_values.secret(name, max_age=APP_TOKEN_SECRET_MAX_AGE))


@lru_cache(maxsize=1)
def idempotency_store() -> DynamoDBPersistenceLayer:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer  # noqa: PLC0415

    return DynamoDBPersistenceLayer(table_name=get_settings().idempotency_table)


def reset() -> None:
    """Forget every built adapter and cached setting or parameter (tests, after a new stack)."""
    for cached in (get_settings, clock, repository, store, signer, idempotency_store):
        cached.cache_clear()
    aws_values.clear()
