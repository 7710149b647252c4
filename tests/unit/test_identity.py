"""Console sessions: an access token is accepted only if this pool signed it (RS256, a key it
publishes), for this app client, as an access token, not expired, and the pool still holds it
(asked at most once per ``CONFIRM_SECONDS``); the person's role is their highest group, and an
account in no group is refused (never silently a viewer)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import boto3
import jwt
import pytest
from botocore.stub import Stubber
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.identity import CONFIRM_SECONDS, REFETCH_SECONDS, Pool, PoolHolds, PoolTokens
from chalicelib.logic.errors import Unauthorized
from chalicelib.logic.roles import ForbiddenRole, Role

POOL = Pool("us-east-1", "us-east-1_abc", "client-1")
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**public, "kid": kid, "alg": "RS256", "use": "sig"}


class Keys:
    """The pool's JWKS endpoint, counting fetches."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.keys = list(keys)
        self.fetched: list[str] = []

    def __call__(self, url: str) -> dict[str, Any]:
        self.fetched.append(url)
        return {"keys": self.keys}


class Held:
    """The pool's answer to "do you still hold this session?", counting the questions."""

    def __init__(self) -> None:
        self.ended: set[str] = set()
        self.asked = 0

    def __call__(self, token: str) -> bool:
        self.asked += 1
        return token not in self.ended


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": POOL.issuer,
        "sub": "0f1e",
        "client_id": POOL.client_id,
        "token_use": "access",
        "username": "ada",
        "cognito:groups": ["releaser"],
        "iat": now,
        "exp": now + 3600,
    }
    return {key: value for key, value in {**base, **changes}.items() if value is not None}


def token(
    groups: Any = ("releaser",), *, key: rsa.RSAPrivateKey = KEY, kid: str = "k1", **changes: Any
) -> str:
    return jwt.encode(
        claims(**{"cognito:groups": groups}, **changes), key, algorithm="RS256", headers={"kid": kid}
    )


@pytest.fixture
def keys() -> Keys:
    return Keys(jwk(KEY, "k1"))


@pytest.fixture
def verifier(keys: Keys) -> PoolTokens:
    return PoolTokens(POOL, keys, holds=Held())


def test_a_good_token_names_the_person_and_their_role(verifier: PoolTokens, keys: Keys) -> None:
    person = verifier.person(token())
    assert (person.actor, person.role) == ("ada", Role.RELEASER)
    assert keys.fetched == ["https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/jwks.json"]
    verifier.person(token())
    assert len(keys.fetched) == 1  # the keys are cached per container


def test_the_highest_group_wins(verifier: PoolTokens) -> None:
    assert verifier.person(token(["viewer", "admin", "other"])).role is Role.ADMIN


@pytest.mark.parametrize("groups", [None, [], ["staff"]])
def test_an_account_in_no_role_group_is_refused(verifier: PoolTokens, groups: list[str] | None) -> None:
    with pytest.raises(ForbiddenRole):
        verifier.person(token(groups))


def test_an_expired_session_says_so(verifier: PoolTokens) -> None:
    past = int(time.time()) - 7200
    with pytest.raises(Unauthorized) as refused:
        verifier.person(token(iat=past, exp=past + 3600))
    assert refused.value.code == "session_expired"


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "another-client"},  # another app's token (the access token's audience)
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_other"},  # another pool
        {"token_use": "id"},  # an id token is not a session
        {"username": None},
        {"exp": None},
        {"iat": int(time.time()) + 3600},  # issued in the future
    ],
)
def test_a_token_for_someone_else_is_refused(verifier: PoolTokens, changes: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized) as refused:
        verifier.person(token(**changes))
    assert refused.value.code == "unauthorized"


def test_a_wrong_signature_is_refused(verifier: PoolTokens) -> None:
    with pytest.raises(Unauthorized):
        verifier.person(token(key=OTHER_KEY))  # same kid, signed by a key the pool does not hold
    header, payload, _ = token().split(".")
    _, _, other_signature = token(key=OTHER_KEY).split(".")
    with pytest.raises(Unauthorized):
        verifier.person(f"{header}.{payload}.{other_signature}")


def test_alg_none_and_hmac_with_the_public_key_are_refused(verifier: PoolTokens) -> None:
    unsigned = jwt.encode(claims(), "", algorithm="none", headers={"kid": "k1"})
    with pytest.raises(Unauthorized):
        verifier.person(unsigned)
    # HS256 keyed with the public key's bytes: the classic algorithm confusion
    segments = [
        base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()
        for part in ({"alg": "HS256", "kid": "k1", "typ": "JWT"}, claims())
    ]
    with pytest.raises(Unauthorized):
        verifier.person(".".join([*segments, "c2lnbmF0dXJl"]))


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", "e30.e30.", "x" * 5000])
def test_garbage_is_refused(verifier: PoolTokens, garbage: str) -> None:
    with pytest.raises(Unauthorized):
        verifier.person(garbage)


def test_a_rotated_key_is_fetched_once_and_unknown_kids_cannot_force_fetches(keys: Keys) -> None:
    now = [1000.0]
    verifier = PoolTokens(POOL, keys, clock=lambda: now[0], holds=Held())
    verifier.person(token())
    keys.keys.append(jwk(OTHER_KEY, "k2"))
    now[0] += REFETCH_SECONDS
    assert verifier.person(token(key=OTHER_KEY, kid="k2")).actor == "ada"  # the pool rotated
    assert len(keys.fetched) == 2
    for _ in range(5):
        with pytest.raises(Unauthorized):
            verifier.person(token(kid="forged"))
    assert len(keys.fetched) == 2  # within the minute, a forged kid fetches nothing


def test_the_local_stack_reads_the_keys_from_moto() -> None:
    local = Pool("us-east-1", "us-east-1_abc", "client-1", endpoint_url="http://127.0.0.1:5000/")
    assert local.jwks_url == "http://127.0.0.1:5000/us-east-1_abc/.well-known/jwks.json"
    assert local.issuer == POOL.issuer  # moto issues tokens under AWS' issuer, checked as deployed


def test_a_session_ended_at_the_pool_is_refused_within_the_bound(keys: Keys) -> None:
    now = [1000.0]
    held = Held()
    verifier = PoolTokens(POOL, keys, clock=lambda: now[0], holds=held)
    session = token()
    assert verifier.person(session).actor == "ada"
    held.ended.add(session)  # the person signed out, or an admin disabled them or changed their role
    now[0] += CONFIRM_SECONDS - 1
    assert verifier.person(session).actor == "ada"  # the pool's last yes still stands
    assert held.asked == 1
    now[0] += 1
    with pytest.raises(Unauthorized) as refused:
        verifier.person(session)
    assert refused.value.code == "session_ended"
    with pytest.raises(Unauthorized):
        verifier.person(session)  # a no is never remembered as a yes
    assert held.asked == 3


def test_a_badly_signed_token_never_reaches_the_pool(keys: Keys) -> None:
    held = Held()
    verifier = PoolTokens(POOL, keys, holds=held)
    with pytest.raises(Unauthorized):
        verifier.person(token(key=OTHER_KEY))
    assert held.asked == 0


def _stubbed_holds() -> tuple[PoolHolds, Stubber]:
    client = boto3.client(
        "cognito-idp", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return PoolHolds(POOL, client), Stubber(client)


def test_the_pool_is_asked_with_the_token_and_its_refusal_means_ended() -> None:
    holds, stub = _stubbed_holds()
    stub.add_response("get_user", {"Username": "ada", "UserAttributes": []}, {"AccessToken": "t1"})
    stub.add_client_error("get_user", "NotAuthorizedException", "Access Token has been revoked")
    stub.add_client_error("get_user", "UserNotFoundException", "User does not exist.")
    with stub:
        assert holds("t1") is True
        assert holds("t2") is False
        assert holds("t3") is False


def test_a_pool_that_cannot_answer_refuses_the_session() -> None:
    holds, stub = _stubbed_holds()
    stub.add_client_error("get_user", "TooManyRequestsException", "Rate exceeded", http_status_code=429)
    with stub, pytest.raises(Unauthorized) as refused:
        holds("t1")
    assert "could not confirm" in refused.value.message
