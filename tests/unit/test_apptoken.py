"""App tokens (logic/apptoken.py): what the service accepts from the IGNY8 app's backend."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.logic.apptoken import MAX_LIFETIME_SECONDS, AppUser, keys_from_secret, mint, verify
from chalicelib.logic.errors import Unauthorized

KEY = b"k" * 64
NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def signed(claims: object, key: bytes = KEY) -> str:
    """A token with arbitrary claims, signed as the app would: what a buggy app backend may send."""
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    digest = hmac.new(key, f"v1.{body}".encode(), hashlib.sha256).digest()
    return f"v1.{body}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"


def refusal(token: str, at: datetime = NOW, keys: tuple[bytes, ...] = (KEY,)) -> str:
    with pytest.raises(Unauthorized) as refused:
        verify(token, keys, at)
    return refused.value.code


def test_a_minted_token_names_its_user_until_it_lapses() -> None:
    token = mint(KEY, "user-42@acme", NOW, 300)

    assert verify(token, (KEY,), NOW + timedelta(seconds=299)) == AppUser(
        "user-42@acme", int(NOW.timestamp()) + 300
    )
    assert refusal(token, NOW + timedelta(seconds=300)) == "expired_app_token"


def test_the_token_is_header_safe() -> None:
    token = mint(KEY, "u", NOW)
    assert all(c.isalnum() or c in "._-" for c in token)


def test_only_the_listed_keys_verify() -> None:
    token = mint(b"o" * 64, "u", NOW)

    assert refusal(token) == "invalid_app_token"
    assert verify(token, (KEY, b"o" * 64), NOW).user_id == "u"
    assert refusal(token, keys=()) == "invalid_app_token"


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "u", "iat": 0, "exp": 10**10},  # longer than the maximum lifetime
        {"sub": "u", "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + MAX_LIFETIME_SECONDS + 1},
        {
            "sub": "u",
            "iat": int(NOW.timestamp()) + 3600,
            "exp": int(NOW.timestamp()) + 3700,
        },  # from the future
        {"sub": "u", "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp())},  # no lifetime at all
        {"sub": "", "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 60},
        {"sub": "a b", "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 60},
        {"sub": 7, "iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 60},
        {"sub": "u", "iat": True, "exp": int(NOW.timestamp()) + 60},
        {"sub": "u", "iat": int(NOW.timestamp()), "exp": "soon"},
        {"iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 60},
        ["u", 1, 2],
    ],
)
def test_well_signed_but_unreasonable_claims_are_refused(claims: object) -> None:
    assert refusal(signed(claims)) == "invalid_app_token"


@pytest.mark.parametrize("token", ["", "v1", "v1..", "v1.!!.!!", "v1.e30.e30.e30", "v1.bm90IGpzb24.AAAA"])
def test_malformed_tokens_are_refused(token: str) -> None:
    assert refusal(token) == "invalid_app_token"


def test_the_app_cannot_mint_what_the_service_would_refuse() -> None:
    with pytest.raises(ValueError):
        mint(KEY, "u", NOW, MAX_LIFETIME_SECONDS + 1)
    with pytest.raises(ValueError):
        mint(KEY, "not a user id", NOW)


@pytest.mark.parametrize(
    ("secret", "keys"),
    [
        (json.dumps({"key": "a" * 64}), (b"a" * 64,)),
        (json.dumps({"key": "a" * 64, "previous": "b" * 40}), (b"a" * 64, b"b" * 40)),
        (json.dumps({"key": "short"}), ()),
        (json.dumps({}), ()),
        ("not json", ()),
        ('"a string"', ()),
    ],
)
def test_keys_come_from_the_secret_and_short_ones_are_ignored(secret: str, keys: tuple[bytes, ...]) -> None:
    assert keys_from_secret(secret) == keys


def test_the_readme_example_mints_tokens_the_service_accepts() -> None:
    """The app team copies the README's Python example: it must keep agreeing with ``verify``."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```python\n(.*?def mint_app_token.*?)```", readme, re.DOTALL)
    assert example is not None, "the README shows how to mint an app token"
    namespace: dict[str, Any] = {}
    exec(example.group(1), namespace)  # our own README's example

    token = namespace["mint_app_token"]("a" * 64, "user-7", 120)

    user = verify(token, (b"a" * 64,), datetime.now(UTC))
    assert user.user_id == "user-7"
    assert refusal(token, datetime.now(UTC), keys=(b"b" * 64,)) == "invalid_app_token"
