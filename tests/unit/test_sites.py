"""Sites and their API keys: what an admin sees when creating, rotating and revoking, and what a
site gets back when it authenticates."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.logic.commands import CreateSite
from chalicelib.logic.errors import Conflict, InvalidInput, NotFound, Unauthorized
from chalicelib.logic.inputs import parse
from chalicelib.logic.model import Site
from chalicelib.logic.sites import AUDIT_SCOPE, KEY_PREFIX, Sites
from tests.unit.fakes import FakeRepository

NOW = datetime(2024, 5, 6, 15, 4, 5, tzinfo=UTC)
OVERLAP = timedelta(hours=24)
SHOP = {"name": "Shop", "url": "https://shop.example.com", "site_id": "shop-1"}


def sites(repo: FakeRepository, now: datetime = NOW) -> Sites:
    return Sites(repo, now, OVERLAP, actor="admin@example.com")


def created(repo: FakeRepository, **body: Any) -> tuple[Site, str]:
    return sites(repo).create(parse(CreateSite, {**SHOP, **body}, "body"))


def refusal(repo: FakeRepository, site_id: str | None, key: str | None, now: datetime = NOW) -> str:
    with pytest.raises(Unauthorized) as caught:
        sites(repo, now).authenticate(site_id, key)
    return caught.value.message


# create ----------------------------------------------------------------------------------------


def test_a_new_key_is_prefixed_and_carries_256_random_bits() -> None:
    repo = FakeRepository()
    _, key = created(repo)

    assert key.startswith(KEY_PREFIX) and KEY_PREFIX == "igny8_sk_"
    secret = key[len(KEY_PREFIX) :]
    assert len(secret) >= 43  # 43 url-safe base64 characters = 256 bits
    assert re.fullmatch(r"[A-Za-z0-9_-]+", secret)


def test_only_the_keys_hash_is_stored() -> None:
    repo = FakeRepository()
    _, key = created(repo)
    stored = repo.get_site("shop-1")

    assert stored is not None
    assert stored.key_sha256 == hashlib.sha256(key.encode()).hexdigest()
    assert key not in [str(value) for value in dataclasses.asdict(stored).values()]
    assert key not in repr(stored)
    assert key.startswith(stored.key_prefix)
    assert len(KEY_PREFIX) < len(stored.key_prefix) <= len(KEY_PREFIX) + 8
    assert (stored.name, stored.url, stored.created_at) == ("Shop", "https://shop.example.com", NOW)


def test_two_sites_get_different_keys() -> None:
    repo = FakeRepository()
    _, first = created(repo, site_id="shop-1")
    _, second = created(repo, site_id="shop-2")

    assert first != second


def test_a_site_id_is_generated_when_none_is_given() -> None:
    repo = FakeRepository()
    site, key = sites(repo).create(
        parse(CreateSite, {"name": "Blog", "url": "http://blog.example.com"}, "body")
    )

    assert site.site_id.startswith("site_")
    assert sites(repo).authenticate(site.site_id, key).site_id == site.site_id


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": ""}, "invalid_name"),
        ({"name": "   "}, "invalid_name"),
        ({"name": "x" * 201}, "invalid_name"),
        ({"url": "ftp://shop.example.com"}, "invalid_url"),
        ({"url": "https://"}, "invalid_url"),
        ({"url": "shop.example.com"}, "invalid_url"),
        ({"site_id": "bad id!"}, "invalid_site_id"),
        ({"url": "http://[::1"}, "invalid_url"),
        ({"owner": "me"}, "unknown_field"),
    ],
)
def test_a_bad_site_is_refused_with_a_reason(body: dict[str, Any], code: str) -> None:
    repo = FakeRepository()
    with pytest.raises(InvalidInput) as caught:
        created(repo, **body)

    assert caught.value.code == code
    assert repo.sites() == []
    assert repo.audit(AUDIT_SCOPE) == []


def test_a_200_character_name_is_fine() -> None:
    site, _ = created(FakeRepository(), name="x" * 200)

    assert site.name == "x" * 200


def test_a_taken_site_id_is_refused_and_the_first_key_keeps_working() -> None:
    repo = FakeRepository()
    _, key = created(repo)

    with pytest.raises(Conflict) as caught:
        created(repo, name="Impostor")

    assert caught.value.code == "site_exists"
    assert sites(repo).authenticate("shop-1", key).name == "Shop"


# authenticate ----------------------------------------------------------------------------------


def test_the_right_key_authenticates_its_site() -> None:
    repo = FakeRepository()
    _, key = created(repo)

    assert sites(repo).authenticate("shop-1", key).site_id == "shop-1"


def test_every_wrong_credential_gets_the_same_answer_without_the_key() -> None:
    repo = FakeRepository()
    _, key = created(repo, site_id="shop-1")
    _, other_key = created(repo, site_id="shop-2")
    _, revoked_key = created(repo, site_id="shop-3")
    sites(repo).revoke("shop-3")

    messages = [
        refusal(repo, "shop-1", key[:-1] + ("A" if key[-1] != "A" else "B")),  # wrong key
        refusal(repo, "shop-1", other_key),  # another site's key
        refusal(repo, "nobody", key),  # unknown site
        refusal(repo, "shop-3", revoked_key),  # revoked site
    ]

    assert len(set(messages)) == 1
    assert not any(secret in message for message in messages for secret in (key, other_key, revoked_key))


def test_missing_or_malformed_headers_get_the_same_answer_as_a_wrong_key() -> None:
    repo = FakeRepository()
    _, key = created(repo)
    wrong_key_message = refusal(repo, "shop-1", key + "x")

    messages = {
        "no site id": refusal(repo, None, key),
        "no key": refusal(repo, "shop-1", None),
        "empty site id": refusal(repo, "", key),
        "empty key": refusal(repo, "shop-1", ""),
        "malformed site id": refusal(repo, "bad id!", key),
        "over-long key": refusal(repo, "shop-1", key + "x" * 200),
    }

    assert not any(key in message for message in messages.values())
    assert messages == dict.fromkeys(messages, wrong_key_message)


# rotate ----------------------------------------------------------------------------------------


def test_after_rotation_the_new_key_works_and_the_old_one_until_the_overlap_ends() -> None:
    repo = FakeRepository()
    _, old = created(repo)

    rotated, new = sites(repo).rotate("shop-1")

    assert new != old and new.startswith(KEY_PREFIX)
    assert rotated.rotated_at == NOW
    assert rotated.previous_key_valid_until == NOW + OVERLAP
    assert sites(repo).authenticate("shop-1", new).site_id == "shop-1"
    assert sites(repo).authenticate("shop-1", old).site_id == "shop-1"
    just_before = NOW + OVERLAP - timedelta(seconds=1)
    assert sites(repo, just_before).authenticate("shop-1", old).site_id == "shop-1"

    just_after = NOW + OVERLAP + timedelta(seconds=1)
    refusal(repo, "shop-1", old, now=just_after)
    assert sites(repo, just_after).authenticate("shop-1", new).site_id == "shop-1"


def test_a_second_rotation_ends_the_first_key_at_once() -> None:
    repo = FakeRepository()
    _, first = created(repo)
    _, second = sites(repo).rotate("shop-1")
    _, third = sites(repo).rotate("shop-1")

    refusal(repo, "shop-1", first)
    assert sites(repo).authenticate("shop-1", second).site_id == "shop-1"
    assert sites(repo).authenticate("shop-1", third).site_id == "shop-1"


def test_a_revoked_site_cannot_rotate_and_an_unknown_one_is_not_found() -> None:
    repo = FakeRepository()
    created(repo)
    sites(repo).revoke("shop-1")

    with pytest.raises(Conflict) as caught:
        sites(repo).rotate("shop-1")
    assert caught.value.code == "site_revoked"

    with pytest.raises(NotFound):
        sites(repo).rotate("nobody")


def test_a_rotation_racing_another_is_refused_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    repo = FakeRepository()
    created(repo)
    stale = repo.get_site("shop-1")
    _, winner = sites(repo).rotate("shop-1")

    monkeypatch.setattr(repo, "get_site", lambda site_id: dataclasses.replace(stale))
    with pytest.raises(Conflict) as caught:
        sites(repo).rotate("shop-1")
    monkeypatch.undo()

    assert caught.value.code == "concurrent_change"
    assert sites(repo).authenticate("shop-1", winner).site_id == "shop-1"


# revoke ----------------------------------------------------------------------------------------


def test_revoking_ends_both_the_current_and_the_previous_key() -> None:
    repo = FakeRepository()
    _, old = created(repo)
    _, new = sites(repo).rotate("shop-1")

    revoked = sites(repo).revoke("shop-1")

    assert revoked.revoked_at == NOW
    refusal(repo, "shop-1", new)
    refusal(repo, "shop-1", old)
    with pytest.raises(Conflict) as caught:
        sites(repo).revoke("shop-1")
    assert caught.value.code == "site_revoked"


# audit -----------------------------------------------------------------------------------------


def test_every_action_is_audited_without_the_key_or_its_hash() -> None:
    repo = FakeRepository()
    _, first = created(repo)
    _, second = sites(repo).rotate("shop-1")
    sites(repo).revoke("shop-1")

    entries = repo.audit(AUDIT_SCOPE)

    assert [entry.action for entry in entries] == ["revoke-site", "rotate-site-key", "create-site"]
    assert all(entry.actor == "admin@example.com" and entry.at == NOW for entry in entries)
    assert all(entry.after["site_id"] == "shop-1" for entry in entries)
    secrets = [first, second] + [hashlib.sha256(k.encode()).hexdigest() for k in (first, second)]
    for entry in entries:
        text = repr(entry.before) + repr(entry.after)
        assert not any(secret in text for secret in secrets)
