"""The admin API client: the only code that speaks HTTP.

Every command goes through ``AdminApi.call``, so authentication, the "is the stack running?"
hint and the mapping of the API's ``{"error": {"code", "message"}}`` bodies to ``CliError`` are
written once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from requests.auth import AuthBase

from igny8_cli.errors import CliError

if TYPE_CHECKING:
    from botocore.credentials import Credentials

#: Seconds per request; the admin API answers from DynamoDB in milliseconds.
REQUEST_TIMEOUT = 30.0

#: Headers SigV4 produces. Only these are copied onto the request, so the headers requests adds
#: later (or a proxy rewrites) never invalidate the signature.
_SIGV4_HEADERS = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")


class BearerToken(AuthBase):
    """The local stack's admin auth."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        # Keeps the secret out of tracebacks and debug logs.
        return "BearerToken(<redacted>)"


class IamAuth(AuthBase):
    """Deployed stages: API Gateway's IAM authorizer checks a SigV4 signature for execute-api."""

    def __init__(self, credentials: Credentials, region: str) -> None:
        # botocore is imported here, by the one auth that signs: the local stack's token needs none.
        from botocore.auth import SigV4Auth  # noqa: PLC0415

        self._signer = SigV4Auth(credentials, "execute-api", region)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        from botocore.awsrequest import AWSRequest  # noqa: PLC0415

        signed = AWSRequest(
            method=request.method,
            url=request.url,
            data=request.body or b"",
            headers={name: request.headers[name] for name in ("Content-Type",) if name in request.headers},
        )
        self._signer.add_auth(signed)
        for name in _SIGV4_HEADERS:
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
        return request


class AdminApi:
    def __init__(self, base_url: str, auth: AuthBase) -> None:
        self._base_url = base_url.rstrip("/")
        self._auth = auth
        self._http = requests.Session()

    def call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send one request and return its JSON object, or raise ``CliError`` with the API's reason."""
        response = _send(
            self._http,
            method,
            self._base_url + path,
            f"the admin API at {self._base_url}",
            json=body,
            auth=self._auth,
        )
        return _decode(response)


class PublicApi:
    """The routes every site calls without credentials, on the same base URL as the admin API."""

    def __init__(self, base_url: str) -> None:
        self._base_url = base_url.rstrip("/")
        self._where = f"the API at {self._base_url}"
        self._http = requests.Session()

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return _decode(_send(self._http, "GET", self._base_url + path, self._where, params=params))

    def redirect(self, path: str, params: Mapping[str, str] | None = None) -> tuple[int, str | None]:
        """The status and ``Location`` of a route that answers with a redirect; errors raise."""
        response = _send(
            self._http, "GET", self._base_url + path, self._where, params=params, allow_redirects=False
        )
        if response.is_redirect:
            return response.status_code, response.headers.get("Location")
        if response.ok:
            return response.status_code, None
        raise _error(response)

    def fetch(self, url: str) -> bytes:
        """The body of an absolute URL (a presigned package URL: it carries its own authorisation)."""
        response = _send(self._http, "GET", url, f"the package store at {url.split('?', maxsplit=1)[0]}")
        if not response.ok:
            raise _error(response)
        return response.content


def put_file(
    url: str, headers: Mapping[str, str], path: Path, progress: Callable[[int], None] | None
) -> None:
    """PUT ``path`` to a presigned URL (it carries its own authorisation) with the headers it was
    signed for, streamed from disk and reported to ``progress`` as it goes."""
    where = f"the upload URL {url.split('?', maxsplit=1)[0]}"
    with path.open("rb") as raw:
        body = _Reading(raw, path.stat().st_size, progress)
        response = _send(requests.Session(), "PUT", url, where, data=body, headers=dict(headers))
    if not response.ok:
        raise CliError(
            "upload_failed",
            f"{where} refused the upload: {response.status_code} {response.reason}",
            status=response.status_code,
        )


class _Reading:
    """A file as a request body: its length known up front (a presigned PUT needs Content-Length,
    not chunks), each block read counted for the progress bar."""

    def __init__(self, raw: Any, size: int, progress: Callable[[int], None] | None) -> None:
        self._raw, self._size, self._progress = raw, size, progress

    def __len__(self) -> int:
        return self._size

    def read(self, amount: int = -1) -> bytes:
        block: bytes = self._raw.read(amount)
        if block and self._progress is not None:
            self._progress(len(block))
        return block


def _send(http: requests.Session, method: str, url: str, where: str, **options: Any) -> requests.Response:
    try:
        return http.request(method, url, timeout=REQUEST_TIMEOUT, **options)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise CliError(
            "unreachable",
            f"{where} is unreachable ({type(exc).__name__}); "
            "is the local stack running? Start it with `make run`.",
        ) from exc


def _decode(response: requests.Response) -> dict[str, Any]:
    if not response.ok:
        raise _error(response)
    payload = _json(response)
    if isinstance(payload, dict):
        return payload
    raise CliError("bad_response", f"the API answered {response.status_code} without a JSON object")


def _error(response: requests.Response) -> CliError:
    """The API's ``{"error": {"code", "message"}}`` as a ``CliError``, whatever else it sent."""
    code, message = f"http_{response.status_code}", response.reason or "request failed"
    payload = _json(response)
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            code = str(error.get("code", code))
            message = str(error.get("message", message))
        elif isinstance(payload.get("message"), str):
            # API Gateway's own refusals (e.g. an IAM signature it rejects) look like this.
            message = payload["message"]
    return CliError(code, message, status=response.status_code)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
