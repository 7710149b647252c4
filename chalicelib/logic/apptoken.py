"""App tokens: how the IGNY8 app's backend vouches for its signed-in user to this service.

The app's users have no site key, and the browser that runs the app's download card cannot keep
a secret. So the app's *backend*, which knows who is signed in, mints a short-lived token for that
user with a key both sides hold (a per-stage secret in Secrets Manager), and the card sends it in
``X-IGNY8-App-Token``. A valid token lets the service count the download for that user and apply a
per-user allowance instead of the per-address one (an office behind one address is many users).

Format (the README has the app team's version of this)::

    v1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(key, "v1." + base64url(JSON claims)))>

Claims: ``sub`` (the app's user id), ``iat`` and ``exp`` (Unix seconds). A token lives at most
``MAX_LIFETIME_SECONDS``: a leaked one is soon useless, and no revocation list is needed.
Base64url without padding, as JWTs use, so the token fits a header unescaped.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from chalicelib.logic.errors import Unauthorized

VERSION = "v1"
#: The longest a token may be valid, from its ``iat`` to its ``exp``.
MAX_LIFETIME_SECONDS = 900
#: How far ahead of our clock the app's ``iat`` may be (clocks drift a little).
CLOCK_SKEW_SECONDS = 60
#: The app's user ids: opaque, short, safe to log and to use in a counter's key.
_USER_ID = re.compile(r"[A-Za-z0-9_.@:-]{1,128}")
#: The shortest signing key accepted (the template generates 64 characters).
MIN_KEY_CHARS = 32
#: Longer than any honest token: refused before any decoding or HMAC work.
_MAX_TOKEN_CHARS = 1024


@dataclass(frozen=True)
class AppUser:
    """A user of the IGNY8 app, as its backend vouched for them."""

    user_id: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, signed: str) -> bytes:
    return hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest()


def mint(key: bytes, user_id: str, now: datetime, lifetime_seconds: int = 300) -> str:
    """A token for ``user_id``, valid ``lifetime_seconds`` from ``now`` (what the app's backend
    does; here for the tests and the example card's stand-in backend)."""
    if not _USER_ID.fullmatch(user_id) or not 0 < lifetime_seconds <= MAX_LIFETIME_SECONDS:
        raise ValueError("a user id of 1-128 safe characters and a lifetime within the maximum")
    issued = int(now.timestamp())
    claims = json.dumps({"sub": user_id, "iat": issued, "exp": issued + lifetime_seconds}).encode()
    signed = f"{VERSION}.{_b64(claims)}"
    return f"{signed}.{_b64(_signature(key, signed))}"


def verify(token: str, keys: Sequence[bytes], now: datetime) -> AppUser:
    """The user ``token`` vouches for, or ``Unauthorized``: ``invalid_app_token`` for anything not
    signed by one of ``keys`` (the current and, while the secret rotates, the previous one) or not
    well-formed, ``expired_app_token`` once it has lapsed (the app mints a fresh one and retries)."""
    invalid = Unauthorized("the X-IGNY8-App-Token is not a valid app token", code="invalid_app_token")
    parts = token.split(".")
    if len(token) > _MAX_TOKEN_CHARS or len(parts) != 3 or parts[0] != VERSION or not keys:
        raise invalid
    signed = f"{parts[0]}.{parts[1]}"
    try:
        signature = _unb64(parts[2])
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    if not any(hmac.compare_digest(signature, _signature(key, signed)) for key in keys):
        raise invalid
    user_id, issued, expires = _claims(claims)
    if user_id is None or issued is None or expires is None:
        raise invalid
    moment = now.timestamp()
    if expires - issued > MAX_LIFETIME_SECONDS or issued > moment + CLOCK_SKEW_SECONDS or expires <= issued:
        raise invalid
    if expires <= moment:
        raise Unauthorized("the app token has expired; ask the app for a new one", code="expired_app_token")
    return AppUser(user_id=user_id, expires_at=expires)


def _claims(claims: object) -> tuple[str | None, int | None, int | None]:
    """``sub``, ``iat`` and ``exp`` when each has its type (a bool is not a time)."""
    if not isinstance(claims, dict):
        return None, None, None
    sub, iat, exp = claims.get("sub"), claims.get("iat"), claims.get("exp")
    user_id = sub if isinstance(sub, str) and _USER_ID.fullmatch(sub) else None

    def moment(value: object) -> int | None:
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return user_id, moment(iat), moment(exp)


def keys_from_secret(value: str) -> tuple[bytes, ...]:
    """The signing keys in the secret's JSON: ``key`` (current) and, during a rotation,
    ``previous``. A secret without a usable key (one shorter than ``MIN_KEY_CHARS`` is guessable)
    accepts no token at all."""
    try:
        data = json.loads(value)
    except ValueError:
        return ()
    if not isinstance(data, dict):
        return ()
    return tuple(
        data[name].encode()
        for name in ("key", "previous")
        if isinstance(data.get(name), str) and len(data[name]) >= MIN_KEY_CHARS
    )
