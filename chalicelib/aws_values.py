"""Secrets Manager secrets and SSM parameters, read through the standard-library AWS client and
kept for a few minutes.

What Powertools' ``parameters`` utility did for this service, without its cost: importing it
imports boto3 (its AppConfig provider does, at import), and botocore alone is about 165 ms of a
cold start plus tens of ms per client built (``chalicelib/aws_json.py``). The public function
signs every check-update answer with a key read here, on its fast path
(``api/hot_check.py``), which imports no botocore. A value is cached for ``max_age`` seconds, so a
rotation reaches every warm container within that time; values are never logged.
"""

from __future__ import annotations

import time

from chalicelib import aws_json

#: name -> (monotonic time it was read, value), per service.
_CACHE: dict[tuple[str, str], tuple[float, str]] = {}


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
    client = aws_json.default_client()
    if service == "secretsmanager":
        value = client.secret_string(name)
    else:
        value = str(client.call("ssm", "GetParameter", {"Name": name})["Parameter"]["Value"])
    _CACHE[key] = (time.monotonic(), value)
    return value


def clear() -> None:
    """Forget every value and the client (tests, after a new stack: a new environment's endpoint)."""
    _CACHE.clear()
    aws_json.default_client.cache_clear()
