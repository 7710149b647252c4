"""Secrets Manager secrets and SSM parameters, read through botocore and kept for a few minutes.

What Powertools' ``parameters`` utility did for this service, without its cost: importing it
imports boto3 (its AppConfig provider does, at import), about a third of the public function's
cold start (README: Cold starts). botocore is loaded anyway (pynamodb uses it), and so is its
session (``dal.models.botocore_session``): one session per container, one client per service,
built on first use. A value is cached for ``max_age`` seconds, so a rotation reaches every warm
container within that time; values are never logged.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from chalicelib.dal.models import botocore_session
from chalicelib.settings import get_settings

#: name -> (monotonic time it was read, value), per service.
_CACHE: dict[tuple[str, str], tuple[float, str]] = {}


@lru_cache(maxsize=2)
def _client(service: str) -> Any:
    return botocore_session().create_client(service, region_name=get_settings().region)


def secret(name: str, max_age: float) -> str:
    """A secret's current string value (``SecretString``)."""
    return _cached("secretsmanager", name, max_age)


def parameter(name: str, max_age: float) -> str:
    """A plain (not encrypted) SSM parameter's value."""
    return _cached("ssm", name, max_age)


def _cached(service: str, name: str, max_age: float) -> str:
    key = (service, name)
    kept = _CACHE.get(key)
    if kept is not None and time.monotonic() - kept[0] < max_age:
        return kept[1]
    if service == "secretsmanager":
        value = str(_client(service).get_secret_value(SecretId=name)["SecretString"])
    else:
        value = str(_client(service).get_parameter(Name=name)["Parameter"]["Value"])
    _CACHE[key] = (time.monotonic(), value)
    return value


def clear() -> None:
    """Forget every value and client (tests, after a new stack; a new environment's endpoint)."""
    _CACHE.clear()
    _client.cache_clear()
