"""Where the CLI points: options, then environment, then the local stack's ``.local/stack.json``.

Defaults target the local stack so that ``make run`` followed by ``igny8-plugins upload ...``
needs no flags; a deployed stage is reached with explicit options and IAM credentials. Deployed,
the admin API is a REST API of its own (README: Deploy): ``--admin-api`` names its base, and the
public routes stay on ``--api``'s; locally one server answers both under the same base.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from igny8_cli.client import AdminApi, BearerToken, IamAuth, PublicApi
from igny8_cli.errors import CliError

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_sqs import SQSClient

AuthMode = Literal["token", "iam"]

STACK_FILE_ENV = "IGNY8_STACK_FILE"
TOKEN_ENV = "IGNY8_ADMIN_TOKEN"  # noqa: S105 - the name of the variable, not a secret
DEFAULT_STACK_FILE = Path(".local") / "stack.json"

#: moto accepts any key; real credentials would only be wasted on it (and looking them up can
#: stall on the instance-metadata endpoint of a laptop).
_LOCAL_CREDENTIAL = "testing"
_CREDENTIAL_ENV = frozenset({"AWS_ACCESS_KEY_ID", "AWS_PROFILE"})
_START_STACK = "start the local stack (`make run`)"


@dataclass(frozen=True)
class Target:
    api_url: str | None
    s3_endpoint: str | None
    bucket: str | None
    region: str | None
    auth: AuthMode
    token: str | None = field(default=None, repr=False)
    #: The packager's queue and its dead-letter queue (the local stack file names them).
    queue_url: str | None = None
    dead_letter_queue_url: str | None = None
    #: The admin API's base when it is not ``api_url`` (deployed: the control plane's REST API).
    admin_api_url: str | None = None

    def admin_api(self) -> AdminApi:
        api_url = self.admin_api_url or self._require_api_url()
        if self.auth == "token":
            if not self.token:
                raise CliError("no_token", f"no admin token: set {TOKEN_ENV} or pass --token-file")
            return AdminApi(api_url, BearerToken(self.token))
        session = _boto3_session(self.region)
        credentials = session.get_credentials()
        if credentials is None:
            raise CliError("no_credentials", "--auth iam needs AWS credentials (profile, env or SSO)")
        if not session.region_name:
            raise CliError("no_region", "--auth iam needs a region: pass --region or set AWS_REGION")
        return AdminApi(api_url, IamAuth(credentials, session.region_name))

    def public_api(self) -> PublicApi:
        """The routes sites call, without credentials, on the public edge's base URL."""
        return PublicApi(self._require_api_url())

    def _require_api_url(self) -> str:
        if not self.api_url:
            raise CliError("no_api", f"no API URL: pass --api, set IGNY8_API_URL, or {_START_STACK}")
        return self.api_url

    def sqs(self) -> SQSClient:
        return self.session().client("sqs", endpoint_url=self.s3_endpoint)

    def session(self) -> boto3.session.Session:
        """AWS as the target reaches it: the local stack's moto server (its endpoint serves every
        service) with throwaway credentials, or the caller's own credentials."""
        local_only = self.s3_endpoint is not None and not (_CREDENTIAL_ENV & os.environ.keys())
        credential = _LOCAL_CREDENTIAL if local_only else None
        return _boto3_session(self.region, credential)


def _boto3_session(region: str | None, credential: str | None = None) -> boto3.session.Session:
    """A boto3 session, boto3 imported only now: about 0.2 s that the local stack's token auth
    and most commands never need."""
    import boto3  # noqa: PLC0415

    return boto3.session.Session(
        region_name=region, aws_access_key_id=credential, aws_secret_access_key=credential
    )


def resolve_target(
    *,
    api_url: str | None,
    admin_api_url: str | None = None,
    s3_endpoint: str | None,
    bucket: str | None,
    region: str | None,
    auth: AuthMode | None,
    token_file: Path | None,
) -> Target:
    """Fill every option left unset from the local stack file; ``api_url`` already carries its env var."""
    stack = _load_stack(Path(os.environ.get(STACK_FILE_ENV) or DEFAULT_STACK_FILE))
    token = _find_token(token_file, stack)
    return Target(
        api_url=api_url or stack.get("api_url"),
        admin_api_url=admin_api_url or stack.get("admin_api_url"),
        s3_endpoint=s3_endpoint or stack.get("aws_endpoint_url"),
        bucket=bucket or stack.get("bucket"),
        region=region or stack.get("region"),
        auth=auth or ("token" if token else "iam"),
        token=token,
        queue_url=stack.get("packager_queue_url"),
        dead_letter_queue_url=stack.get("dead_letter_queue_url"),
    )


def _load_stack(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError("bad_stack_file", f"cannot read the local stack file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise CliError("bad_stack_file", f"the local stack file {path} is not a JSON object")
    return {key: value for key, value in data.items() if isinstance(value, str) and value}


def _find_token(token_file: Path | None, stack: dict[str, str]) -> str | None:
    """An explicit --token-file beats the environment, which beats the stack's token file."""
    if token_file is not None:
        return _read_token(token_file)
    if token := os.environ.get(TOKEN_ENV, "").strip():
        return token
    stack_token_file = Path(stack["admin_token_file"]) if "admin_token_file" in stack else None
    if stack_token_file is not None and stack_token_file.is_file():
        return _read_token(stack_token_file)
    return None


def _read_token(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise CliError("bad_token_file", f"cannot read the admin token file {path}: {exc.strerror}") from exc
