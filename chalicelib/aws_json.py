"""DynamoDB, Secrets Manager and SSM reads for check-update's fast path, on the standard library alone.

The public function's cold init is held under 350 ms. Importing botocore (with urllib3,
dateutil and its JSON service models) costs about 150-200 ms of every cold start, and building its
clients about 100 ms more on the first request. The fast path needs three reads: DynamoDB GetItem
(a plugin's item, a site's item) and Secrets Manager GetSecretValue (the metadata signing key);
``chalicelib/aws_values.py`` reads SSM parameters through it too, so no read of a value needs botocore.
Each is one SigV4-signed POST of a JSON body, which hashlib, hmac, http.client, ssl, json, os and
datetime can send, so this module imports nothing else (no botocore, boto3, urllib3, requests,
pydantic, nor any chalicelib module, which could pull them in).

What botocore would otherwise give, kept as small as these reads allow: credentials, region and
endpoint from the environment Lambda sets (read at each call, so a test may change it), one
keep-alive connection per endpoint and thread (a warm call costs a round trip, not a handshake),
and a single retry. Every call made here is an idempotent read, so repeating one is always safe.
Credentials and secret values never appear in an exception (nothing here logs).

As measured (tests/integration/test_aws_json_moto.py): importing this module costs about 35 ms,
most of it http.client's, against about 165 ms for ``botocore.session`` and 70-80 ms more for one
botocore client.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import os
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlsplit

#: One socket timeout, which http.client applies to the connect and to each read. In-region
#: DynamoDB and Secrets Manager answer in milliseconds; 2 s only cuts off a hung connection, so
#: the public function (6 s, .chalice/config.json) can still answer after a failed read.
TIMEOUT_SECONDS = 2.0
#: The pause before the one retry of a 5xx or a throttled call: long enough for a throttled
#: partition to refill a little, short next to the function's timeout.
RETRY_PAUSE_SECONDS = 0.1
#: Error codes that mean "slow down" rather than "no": worth one more try after the pause.
THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
#: A kept-alive connection the server closed while idle: reconnecting and resending is safe.
#: (http.client's RemoteDisconnected is a ConnectionResetError.)
_DROPPED = (BrokenPipeError, ConnectionResetError)


class _Protocol(NamedTuple):
    """One service's JSON-protocol facts: what its X-Amz-Target starts with, its content type, and
    the suffix of the endpoint override variable botocore reads for it."""

    target_prefix: str
    content_type: str
    endpoint_variable: str


#: Keyed by the SigV4 signing name, which is also the default endpoint's first label.
_PROTOCOLS = {
    "dynamodb": _Protocol("DynamoDB_20120810.", "application/x-amz-json-1.0", "DYNAMODB"),
    "secretsmanager": _Protocol("secretsmanager.", "application/x-amz-json-1.1", "SECRETS_MANAGER"),
    "ssm": _Protocol("AmazonSSM.", "application/x-amz-json-1.1", "SSM"),
}


class AwsError(Exception):
    """A call that failed: ``code`` is AWS's error type (``ResourceNotFoundException``), or
    ``ConnectionError`` / ``HttpError`` when no AWS answer came, or ``MissingCredentials`` /
    ``MissingRegion`` when the environment cannot make the call; ``status`` is 0 without an HTTP
    answer."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(f"{code} ({status}): {message}" if status else f"{code}: {message}")
        self.code = code
        self.status = status
        self.message = message


ConnectionFactory = Callable[[str, str, float], http.client.HTTPConnection]


def open_connection(scheme: str, netloc: str, timeout: float) -> http.client.HTTPConnection:
    """A connection to ``netloc``; http for a local stack's endpoint, https for AWS's."""
    if scheme == "https":
        return http.client.HTTPSConnection(netloc, timeout=timeout, context=_tls_context())
    return http.client.HTTPConnection(netloc, timeout=timeout)


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """Made once: loading the system's CA certificates is the slow part of a TLS connection's
    setup, and each endpoint (and each reconnection) would otherwise load them again."""
    return ssl.create_default_context()


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class AwsJson:
    """Signed AWS JSON-protocol calls over kept-alive connections, one instance per process.

    ``environ``, ``clock``, ``connection_factory`` and ``sleep`` are there for tests: a fixed
    signing time, a fake server, no real pause.
    """

    def __init__(
        self,
        environ: Mapping[str, str] = os.environ,
        *,
        clock: Callable[[], datetime.datetime] = _utc_now,
        connection_factory: ConnectionFactory = open_connection,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._environ = environ
        self._clock = clock
        self._connection_factory = connection_factory
        self._sleep = sleep
        # The local stack serves requests on several threads; an http.client connection carries
        # one exchange at a time, so each thread keeps its own (Lambda only ever has one).
        self._local = threading.local()

    def get_item(
        self,
        table: str,
        key: Mapping[str, str],
        *,
        consistent: bool = False,
        projection: Sequence[str] | None = None,
    ) -> dict[str, Any] | None:
        """The item under ``key`` (string attributes), decoded, or None when there is none.

        ``projection`` names the attributes to return; they are passed as ``#p0``, ``#p1``, ...
        so DynamoDB's reserved words (``name``, ``status``) need no care from the caller.
        """
        request: dict[str, Any] = {
            "TableName": table,
            "Key": {name: {"S": value} for name, value in key.items()},
            "ConsistentRead": consistent,
        }
        if projection is not None:
            if not projection:
                raise ValueError("a projection names at least one attribute")
            names = {f"#p{index}": name for index, name in enumerate(projection)}
            request["ProjectionExpression"] = ", ".join(names)
            request["ExpressionAttributeNames"] = names
        item = self.call("dynamodb", "GetItem", request).get("Item")
        return None if item is None else decode_item(item)

    def secret_string(self, secret_id: str) -> str:
        """The current ``SecretString`` of a secret (name or ARN)."""
        answer = self.call("secretsmanager", "GetSecretValue", {"SecretId": secret_id})
        value = answer.get("SecretString")
        if not isinstance(value, str):
            raise AwsError("NoSecretString", 0, f"secret {secret_id} holds no string (a binary secret?)")
        return value

    def call(self, service: str, target: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """AWS's answer to ``target`` (an operation, e.g. ``GetItem``) of ``service``.

        A dropped kept-alive connection is reconnected and the call resent at once; a 5xx or a
        throttled answer is tried once more after a short pause; anything else is an AwsError.
        """
        protocol = _protocol(service)
        body = json.dumps(payload, separators=(",", ":")).encode()
        endpoint = self.endpoint(service)
        status, answer = self._send(service, protocol, target, endpoint, body)
        if status != 200:
            error = _error(answer, status)
            if not (status >= 500 or error.code in THROTTLING_CODES):
                raise error
            self._sleep(RETRY_PAUSE_SECONDS)
            status, answer = self._send(service, protocol, target, endpoint, body)
            if status != 200:
                raise _error(answer, status)
        return _json_object(answer, status)

    def region(self) -> str:
        region = self._environ.get("AWS_REGION") or self._environ.get("AWS_DEFAULT_REGION")
        if not region:
            raise AwsError("MissingRegion", 0, "neither AWS_REGION nor AWS_DEFAULT_REGION is set")
        return region

    def endpoint(self, service: str) -> str:
        """The URL a call goes to, resolved as botocore resolves an override: the service's own
        variable, then the global one, else the service's regional AWS endpoint."""
        variable = f"AWS_ENDPOINT_URL_{_protocol(service).endpoint_variable}"
        override = self._environ.get(variable) or self._environ.get("AWS_ENDPOINT_URL")
        return override or f"https://{service}.{self.region()}.amazonaws.com"

    def _send(
        self, service: str, protocol: _Protocol, target: str, endpoint: str, body: bytes
    ) -> tuple[int, bytes]:
        """``_exchange``, once more on a fresh connection if the kept-alive one was dropped."""
        try:
            return self._exchange(service, protocol, target, endpoint, body)
        except _DROPPED:
            pass
        try:
            return self._exchange(service, protocol, target, endpoint, body)
        except _DROPPED as error:
            raise AwsError("ConnectionError", 0, f"{service} {target}: {error!r}") from error

    def _exchange(
        self, service: str, protocol: _Protocol, target: str, endpoint: str, body: bytes
    ) -> tuple[int, bytes]:
        """One request on the thread's connection to ``endpoint``: (status, body).

        A connection that failed in any way is closed and forgotten, so the next call starts a
        fresh one rather than reading a half-finished answer.
        """
        parts = urlsplit(endpoint)
        headers = self._signed_headers(
            service,
            _host(parts.scheme, parts.netloc),
            protocol.target_prefix + target,
            protocol.content_type,
            body,
        )
        connections = self._connections()
        where = (parts.scheme, parts.netloc)
        connection = connections.get(where)
        if connection is None:
            connection = connections[where] = self._connection_factory(*where, TIMEOUT_SECONDS)
        try:
            connection.request("POST", "/", body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        except _DROPPED:
            self._forget(where, connection)
            raise
        except (OSError, http.client.HTTPException) as error:
            self._forget(where, connection)
            raise AwsError("ConnectionError", 0, f"{service} {target}: {error!r}") from error

    def _connections(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        """This thread's connections, by (scheme, host and port)."""
        connections: dict[tuple[str, str], http.client.HTTPConnection] | None = getattr(
            self._local, "connections", None
        )
        if connections is None:
            connections = self._local.connections = {}
        return connections

    def _forget(self, where: tuple[str, str], connection: http.client.HTTPConnection) -> None:
        connection.close()
        self._connections().pop(where, None)

    def _signed_headers(
        self, service: str, host: str, target: str, content_type: str, body: bytes
    ) -> dict[str, str]:
        """The request's headers, signed with Signature Version 4 (the Authorization header).

        Every header given here is signed; http.client adds only Content-Length and
        Accept-Encoding (Host is given), which SigV4 does not require to be signed.
        """
        access_key = self._environ.get("AWS_ACCESS_KEY_ID")
        secret_key = self._environ.get("AWS_SECRET_ACCESS_KEY")
        if not access_key or not secret_key:
            raise AwsError(
                "MissingCredentials", 0, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set"
            )
        region = self.region()
        amz_date = self._clock().astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        headers = {"content-type": content_type, "host": host, "x-amz-date": amz_date, "x-amz-target": target}
        token = self._environ.get("AWS_SESSION_TOKEN")
        if token:
            headers["x-amz-security-token"] = token
        names = sorted(headers)
        signed_names = ";".join(names)
        canonical_request = "\n".join(
            [
                "POST",
                "/",
                "",
                "".join(f"{name}:{headers[name]}\n" for name in names),
                signed_names,
                hashlib.sha256(body).hexdigest(),
            ]
        )
        scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
        string_to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
        )
        key = f"AWS4{secret_key}".encode()
        for part in (amz_date[:8], region, service, "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
            f"SignedHeaders={signed_names}, Signature={signature}"
        )
        return headers


def _protocol(service: str) -> _Protocol:
    protocol = _PROTOCOLS.get(service)
    if protocol is None:
        raise ValueError(f"no JSON protocol known for service {service!r}")
    return protocol


def _host(scheme: str, netloc: str) -> str:
    """The Host header as botocore signs it: the scheme's default port left out."""
    default_port = ":443" if scheme == "https" else ":80"
    return netloc.removesuffix(default_port)


def _json_object(body: bytes, status: int) -> dict[str, Any]:
    try:
        answer = json.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise AwsError("HttpError", status, "the answer is not a JSON object")
    return answer


def _error(body: bytes, status: int) -> AwsError:
    """The AwsError an error answer describes; its ``__type`` may carry a namespace before '#'."""
    try:
        answer = _json_object(body, status)
    except AwsError:
        return AwsError("HttpError", status, "an error answer without an AWS error body")
    kind = answer.get("__type")
    if not isinstance(kind, str):
        return AwsError("HttpError", status, "an error answer without an AWS error type")
    message = answer.get("message") or answer.get("Message") or ""
    return AwsError(kind.rpartition("#")[2], status, str(message))


def decode_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB item (or map) in its typed JSON form, as plain Python values."""
    return {name: _decode(value) for name, value in item.items()}


def _decode(value: Mapping[str, Any]) -> Any:
    if len(value) != 1:
        raise ValueError(f"a DynamoDB value has exactly one type, not {sorted(value)}")
    ((kind, raw),) = value.items()
    decoder = _DECODERS.get(kind)
    if decoder is None:
        raise ValueError(f"unknown DynamoDB type {kind!r}")
    return decoder(raw)


def _number(text: str) -> int | float:
    """An int when DynamoDB's number is integral text, else a float (the fast path reads counts,
    versions and times, never a number beyond a float's precision)."""
    try:
        return int(text)
    except ValueError:
        return float(text)


#: DynamoDB's type descriptor -> how its JSON value becomes a Python one.
_DECODERS: dict[str, Callable[[Any], Any]] = {
    "S": str,
    "N": _number,
    "BOOL": bool,
    "NULL": lambda _: None,
    "M": decode_item,
    "L": lambda elements: [_decode(element) for element in elements],
    "SS": set,
    "NS": lambda elements: {_number(element) for element in elements},
    "B": base64.b64decode,
    "BS": lambda elements: {base64.b64decode(element) for element in elements},
}


@lru_cache(maxsize=1)
def default_client() -> AwsJson:
    """The process's client, made on first use, reading ``os.environ`` as Lambda set it."""
    return AwsJson()
