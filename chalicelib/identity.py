"""People's identities: the stage's Cognito user pool (``infra/template.yaml``: AdminUserPool).

Two jobs, one per class. ``PoolTokens`` verifies an access token the pool issued, against the
pool's published keys (JWKS): RS256 only, this pool's issuer, this app client, ``token_use``
access, not expired. The keys are fetched once per container and again only when a token names a
key id not yet seen (the pool rotated), at most once a minute. A signature alone would keep a
session good until it expires (1 h) after its person signed out, was disabled or changed role,
so the pool is also asked whether it still holds the session (``GetUser`` with the token: no AWS
credentials, the token is its own); its yes is believed for ``CONFIRM_SECONDS``, which bounds how
long an ended session still works.
``PoolSessions`` signs a person in (``InitiateAuth`` with their password, which needs no AWS
credentials: the app client is public) and out (``RevokeToken`` ends the refresh token and the
access tokens issued with it; ``GlobalSignOut`` the rest).

Deployed, the keys are at ``<issuer>/.well-known/jwks.json``; on the local stack moto serves the
same document at ``<endpoint>/<pool id>/.well-known/jwks.json`` and signs its tokens with the key
it lists, so the code path is the same: only the URL the keys come from differs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import boto3
import jwt
from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.logic.accounts import Account
from chalicelib.logic.errors import InvalidInput, Unauthorized
from chalicelib.logic.roles import ForbiddenRole, Person, Role, role_of
from chalicelib.settings import get_settings

log = logging.getLogger(__name__)

#: Seconds of clock difference tolerated on ``exp``/``iat`` (Cognito's and Lambda's clocks).
LEEWAY = 30
#: A token naming an unknown key refetches the keys at most this often (a forged ``kid`` cannot
#: make every request fetch).
REFETCH_SECONDS = 60
_FETCH_TIMEOUT = 5
#: How long the pool's confirmation of a session is believed: a session ended at the pool (sign-out,
#: a disabled account, a changed role) is refused at most this many seconds later.
CONFIRM_SECONDS = 30
#: Confirmed sessions remembered per container (expired ones are dropped first when it is full).
_MAX_CONFIRMED = 1024


@dataclass(frozen=True)
class Pool:
    """Where a pool's tokens come from and who they are for."""

    region: str
    pool_id: str
    client_id: str
    #: The service endpoint when it is not AWS (moto locally), else "".
    endpoint_url: str = ""

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        base = f"{self.endpoint_url.rstrip('/')}/{self.pool_id}" if self.endpoint_url else self.issuer
        return f"{base}/.well-known/jwks.json"


@lru_cache(maxsize=1)
def cognito(pool: Pool) -> Any:
    """The container's one Cognito client for its pool: sign-in, session checks and the accounts'
    calls share it, instead of building a client (botocore's service model loaded again) each."""
    return boto3.client("cognito-idp", region_name=pool.region, endpoint_url=pool.endpoint_url or None)


def fetch_json(url: str) -> dict[str, Any]:
    """GET a JSON document (the pool's keys); http(s) only."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url}")
    with urllib.request.urlopen(url, timeout=_FETCH_TIMEOUT) as answer:  # noqa: S310 - checked above
        document: dict[str, Any] = json.load(answer)
    return document


class PoolTokens:
    """Verifies the pool's access tokens; one per container (the keys are cached here)."""

    def __init__(
        self,
        pool: Pool,
        fetch: Callable[[str], dict[str, Any]] | None = None,
        clock: Callable[[], float] = time.time,
        holds: Callable[[str], bool] | None = None,
    ) -> None:
        self._pool = pool
        self._fetch = fetch
        self._clock = clock
        self._holds = holds
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._confirmed: dict[str, float] = {}
        self._lock = threading.Lock()

    def person(self, token: str) -> Person:
        """Who the token names and their role; ``Unauthorized`` for any token not good now."""
        claims = self.claims(token)
        person = Person(actor=str(claims["username"]), role=role_of(claims.get("cognito:groups") or ()))
        self._confirm(token)
        return person

    def _confirm(self, token: str) -> None:
        """Refuse a well-signed session the pool no longer holds (asked once per ``CONFIRM_SECONDS``)."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        with self._lock:
            if self._confirmed.get(digest, float("-inf")) > now:
                return
        if self._holds is None:
            self._holds = PoolHolds(self._pool)
        if not self._holds(token):
            log.info("session ended at the pool")
            raise Unauthorized("the session has ended: sign in again", code="session_ended")
        with self._lock:
            if len(self._confirmed) >= _MAX_CONFIRMED:
                self._confirmed = {key: until for key, until in self._confirmed.items() if until > now}
                if len(self._confirmed) >= _MAX_CONFIRMED:
                    self._confirmed.clear()
            self._confirmed[digest] = now + CONFIRM_SECONDS

    def claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("the session is not valid: sign in again") from exc
        if header.get("alg") != "RS256":
            raise Unauthorized("the session is not valid: sign in again")
        key = self._key(str(header.get("kid", "")))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._pool.issuer,
                leeway=LEEWAY,
                options={
                    "require": ["exp", "iat", "iss", "token_use", "client_id", "username"],
                    "verify_aud": False,
                },
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the session has expired: sign in again", code="session_expired") from exc
        except jwt.InvalidTokenError as exc:
            log.info("session refused", extra={"reason": type(exc).__name__})
            raise Unauthorized("the session is not valid: sign in again") from exc
        if claims["token_use"] != "access" or claims["client_id"] != self._pool.client_id:  # noqa: S105
            raise Unauthorized("the session is not valid: sign in again")
        return claims

    def _key(self, kid: str) -> Any:
        with self._lock:
            if kid not in self._keys and self._clock() - self._fetched_at >= REFETCH_SECONDS:
                self._fetched_at = self._clock()
                document = (self._fetch or fetch_json)(self._pool.jwks_url)
                self._keys = {
                    str(entry["kid"]): jwt.PyJWK(entry, algorithm="RS256").key
                    for entry in document.get("keys", [])
                    if entry.get("kty") == "RSA"
                }
                log.info("pool keys fetched", extra={"keys": len(self._keys), "url": self._pool.jwks_url})
            key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("the session is not valid: sign in again")
        return key


class PoolHolds:
    """Whether the pool still holds a session: ``GetUser`` with the access token, which Cognito
    refuses once the person signed out, was signed out by an admin or was disabled."""

    def __init__(self, pool: Pool, client: Any = None) -> None:
        self._client = client or cognito(pool)

    def __call__(self, token: str) -> bool:
        try:
            self._client.get_user(AccessToken=token)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "NotAuthorizedException",
                "UserNotFoundException",
            ):
                return False
            log.warning("session not confirmed", extra={"reason": exc.response.get("Error", {}).get("Code")})
            raise Unauthorized("the user pool could not confirm the session: try again") from exc
        except BotoCoreError as exc:
            log.warning("session not confirmed", extra={"reason": type(exc).__name__})
            raise Unauthorized("the user pool could not confirm the session: try again") from exc
        return True


@dataclass(frozen=True)
class Tokens:
    """What a sign-in gives: the access token (the session), its lifetime, the refresh token."""

    access: str
    expires_in: int
    refresh: str


class PoolSessions:
    """Sign in and out against the pool, as its public app client."""

    def __init__(self, pool: Pool, client: Any = None) -> None:
        self._pool = pool
        self._client = client or cognito(pool)

    def sign_in(self, username: str, password: str) -> Tokens:
        """``Unauthorized`` for a wrong name or password (the same answer for both); a person who
        must first set a new password is refused with what to do."""
        try:
            answer = self._client.initiate_auth(
                ClientId=self._pool.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in ("NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException"):
                raise Unauthorized("the user name or password is not right") from exc
            if code == "PasswordResetRequiredException":
                raise Unauthorized(
                    "this account's password must be reset: ask an admin", code="password_reset"
                ) from exc
            raise
        if "AuthenticationResult" not in answer:
            challenge = answer.get("ChallengeName", "")
            raise InvalidInput(
                f"this account must complete {challenge} first; an admin can set its password with "
                "'aws cognito-idp admin-set-user-password --permanent'",
                code="password_change_required",
            )
        result = answer["AuthenticationResult"]
        return Tokens(result["AccessToken"], int(result["ExpiresIn"]), result.get("RefreshToken", ""))

    def sign_out(self, access: str, refresh: str) -> None:
        """End the session at the pool: ``GlobalSignOut`` invalidates the person's refresh tokens
        (and, at Cognito, their access tokens); when the pool refuses it (the access token already
        ended), ``RevokeToken`` still revokes this refresh token. A pool that cannot be reached
        does not keep a person signed in here: the caller clears the cookies regardless."""
        try:
            self._client.global_sign_out(AccessToken=access)
            return
        except (ClientError, BotoCoreError) as exc:
            log.info("global sign-out refused", extra={"reason": type(exc).__name__})
        if refresh:
            try:
                self._client.revoke_token(Token=refresh, ClientId=self._pool.client_id)
            except (ClientError, BotoCoreError) as exc:
                log.warning("refresh token not revoked", extra={"reason": type(exc).__name__})


def stage_pool() -> Pool:
    """This stage's pool, from the settings; ``Unauthorized`` where none is configured."""
    settings = get_settings()
    if not settings.user_pool_id or not settings.user_pool_client_id:
        raise Unauthorized("console sign-in is not configured on this stage (no user pool)")
    return Pool(
        settings.region, settings.user_pool_id, settings.user_pool_client_id, settings.aws_endpoint_url
    )


def tokens() -> PoolTokens:
    """This container's verifier for the stage's pool (its keys cached with it)."""
    return _tokens(stage_pool())


def sessions() -> PoolSessions:
    return _sessions(stage_pool())


@lru_cache(maxsize=1)
def _tokens(pool: Pool) -> PoolTokens:
    return PoolTokens(pool)


@lru_cache(maxsize=1)
def _sessions(pool: Pool) -> PoolSessions:
    return PoolSessions(pool)


class PoolDirectory:
    """The pool's accounts, as the console's admins manage them (``logic/accounts.py``): the admin
    function's role may call these on its stage's pool only (``admin/.chalice`` policies)."""

    def __init__(self, pool: Pool, client: Any = None) -> None:
        self._pool = pool
        self._client = client or cognito(pool)

    def get(self, username: str) -> Account | None:
        try:
            user = self._client.admin_get_user(UserPoolId=self._pool.pool_id, Username=username)
        except self._client.exceptions.UserNotFoundException:
            return None
        return self._account(user["Username"], user["Enabled"], user["UserStatus"])

    def every(self) -> list[Account]:
        pages = self._client.get_paginator("list_users").paginate(UserPoolId=self._pool.pool_id)
        users = [user for page in pages for user in page["Users"]]
        return [self._account(u["Username"], u["Enabled"], u["UserStatus"]) for u in users]

    def create(self, username: str, password: str, role: Role) -> Account:
        pool = self._pool.pool_id
        self._client.admin_create_user(UserPoolId=pool, Username=username, MessageAction="SUPPRESS")
        self._client.admin_set_user_password(
            UserPoolId=pool, Username=username, Password=password, Permanent=True
        )
        return self.set_role(username, role)

    def set_role(self, username: str, role: Role) -> Account:
        pool = self._pool.pool_id
        for held in self._groups(username):
            if held != role.value and held in {r.value for r in Role}:
                self._client.admin_remove_user_from_group(UserPoolId=pool, Username=username, GroupName=held)
        self._client.admin_add_user_to_group(UserPoolId=pool, Username=username, GroupName=role.value)
        self._end_sessions(username)  # their tokens name the old role: they sign in again
        found = self.get(username)
        assert found is not None
        return found

    def disable(self, username: str) -> Account:
        self._client.admin_disable_user(UserPoolId=self._pool.pool_id, Username=username)
        self._end_sessions(username)
        found = self.get(username)
        assert found is not None
        return found

    def _end_sessions(self, username: str) -> None:
        """Sign the person out everywhere: ``PoolTokens`` refuses their sessions within
        ``CONFIRM_SECONDS``, and their refresh tokens end now."""
        self._client.admin_user_global_sign_out(UserPoolId=self._pool.pool_id, Username=username)

    def _groups(self, username: str) -> list[str]:
        answer = self._client.admin_list_groups_for_user(UserPoolId=self._pool.pool_id, Username=username)
        return [str(group["GroupName"]) for group in answer["Groups"]]

    def _account(self, username: str, enabled: bool, status: str) -> Account:
        groups = self._groups(username)
        try:
            role: Role | None = role_of(groups)
        except ForbiddenRole:
            role = None
        return Account(username=username, role=role, enabled=bool(enabled), status=str(status))


def directory() -> PoolDirectory:
    return PoolDirectory(stage_pool())
