"""Every public answer matches the schema the OpenAPI document publishes for it, as the contract
fuzzer will check it: real answers built for each situation a site meets, validated by JSON Schema
(Draft 2020-12, formats checked), and answers that differ from what is declared refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chalicelib.logic.answers import (
    CheckUpdateAnswer,
    DownloadUrl,
    InstallationAnswer,
    LatestCard,
    PluginInformation,
    PublishedKeys,
)
from chalicelib.logic.decision import SiteRequest
from chalicelib.logic.metadata_signing import sealed
from chalicelib.logic.model import Installation, Status
from chalicelib.logic.updates import latest_for_platform
from infra.keys import key_list_statement, new_key
from tests.unit.test_updates import (
    LINKS,
    NOW,
    OUT_10,
    check_update,
    info_of,
    make_plugin,
    make_version,
    stored,
)

SIGNED = {"sha384": "ab" * 48, "signature": "c2ln", "signature_key_id": "0123456789abcdef"}
README = {
    "description": "Connects a site to IGNY8.",
    "faq": "= Does it phone home? =\nOnly to check for updates.",
    "upgrade_notice": "= 1.1.0 =\nFixes a data loss.",
}


def schema_of(model: type[Any]) -> dict[str, Any]:
    return dict(model.model_json_schema(mode="serialization"))


def problems(model: type[Any], answer: Any) -> list[str]:
    """What both validators find wrong: jsonschema (date-time checked) and jsonschema_rs, which
    schemathesis uses and which also checks ``format: uri``."""
    schema = schema_of(model)
    found = [
        e.message
        for e in jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        ).iter_errors(answer)
    ]
    rs = jsonschema_rs.validator_for(schema, validate_formats=True)
    return found + [str(e) for e in rs.iter_errors(answer)]


def over_the_wire(answer: dict[str, Any]) -> Any:
    """As a client reads it: what ``json`` can carry, nothing Python-only."""
    return json.loads(json.dumps(answer))


def signed_over_the_wire(answer: dict[str, Any]) -> Any:
    """A check-update or info answer as its route sends it: sealed with its signing times."""
    return over_the_wire(sealed(answer, NOW))


ANSWERS = (CheckUpdateAnswer, PluginInformation, LatestCard, DownloadUrl, InstallationAnswer, PublishedKeys)


@pytest.mark.parametrize("model", ANSWERS, ids=lambda model: model.__name__)
def test_every_published_schema_is_a_valid_draft_2020_12_schema(model: type[Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(schema_of(model))


# --- check-update --------------------------------------------------------------------------------

CHECK_UPDATE_CASES: dict[str, tuple[list[Any], SiteRequest, dict[str, Any]]] = {
    "offered, signed": (
        [make_version("1.0.0", **SIGNED), make_version("1.1.0", sections=README, **SIGNED)],
        SiteRequest("1.0.0"),
        {"update_available": True, "reason": None, "signature_algorithm": "ed25519"},
    ),
    "offered, unsigned": (
        [make_version("1.0.0"), make_version("1.1.0")],
        SiteRequest("1.0.0"),
        {"update_available": True, "signature": None, "signature_url": None},
    ),
    "forced": (
        [make_version("1.0.0"), make_version("1.1.0", force_update=True), make_version("1.2.0")],
        SiteRequest("1.0.0"),
        {"force_update": True, "latest_version": "1.2.0"},
    ),
    "up to date": (
        [make_version("1.0.0"), make_version("1.1.0")],
        SiteRequest("1.1.0"),
        {"update_available": False, "reason": "up_to_date", "latest_version": "1.1.0"},
    ),
    "the site's version was pulled": (
        [make_version("1.0.0"), make_version("1.1.0", Status.PULLED)],
        SiteRequest("1.1.0"),
        {"reason": "pulled", "latest_version": "1.0.0"},
    ),
    "held back by a rollout": (
        [make_version("1.0.0"), make_version("1.1.0", rollout_percent=10)],
        SiteRequest("1.0.0", site_id=OUT_10),
        {"reason": "not_in_rollout", "latest_version": "1.0.0"},
    ),
    "needs a newer WordPress, never released before": (
        [make_version("1.1.0", requires="9.0")],
        SiteRequest("1.0.0", wp_version="6.5"),
        {"reason": "requires_wp", "latest_version": None},
    ),
    "no release": (
        [make_version("1.0.0", Status.DRAFT)],
        SiteRequest("1.0.0"),
        {"reason": "no_release", "latest_version": None, "update_available": False},
    ),
    "beta channel, never released": (
        [make_version("2.0.0-beta1", channel="beta", released_at=None)],
        SiteRequest("1.0.0", channel="beta"),
        {"latest_version": "2.0.0-beta1", "released_at": None},
    ),
}


@pytest.mark.parametrize(
    ("versions", "site", "expected"), CHECK_UPDATE_CASES.values(), ids=CHECK_UPDATE_CASES
)
def test_every_check_update_answer_matches_its_schema(
    versions: list[Any], site: SiteRequest, expected: dict[str, Any]
) -> None:
    answer = signed_over_the_wire(check_update(make_plugin(), stored(*versions), site, LINKS))

    assert {key: answer[key] for key in expected} == expected
    assert problems(CheckUpdateAnswer, answer) == []


def test_a_check_update_answer_is_exactly_one_shape() -> None:
    """Each shape's keys are its own: a fuzzer catches a key that is missing, added or of the
    wrong kind, and an offer that names a reason."""
    offer = signed_over_the_wire(
        check_update(make_plugin(), stored(make_version("1.1.0")), SiteRequest("1.0.0"), LINKS)
    )
    nothing = signed_over_the_wire(check_update(make_plugin(), [], SiteRequest("1.0.0"), LINKS))
    assert set(nothing) < set(offer)

    assert problems(CheckUpdateAnswer, {**nothing, "update": offer["update"]})
    assert problems(CheckUpdateAnswer, {k: v for k, v in offer.items() if k != "sha256"})
    assert problems(CheckUpdateAnswer, {**offer, "reason": "up_to_date"})
    assert problems(CheckUpdateAnswer, {**offer, "reason": "because"})
    assert problems(CheckUpdateAnswer, {**offer, "download_url": "not a url"})
    assert problems(CheckUpdateAnswer, {**offer, "update": {**offer["update"], "autoupdate": None}})
    assert problems(CheckUpdateAnswer, {**nothing, "latest_version": "1.0.0"})


def test_the_wordpress_update_item_is_sent_without_an_update() -> None:
    answer = check_update(make_plugin(), stored(make_version("1.0.0")), SiteRequest("1.0.0"), LINKS)

    assert answer["update"]["new_version"] == "1.0.0"
    assert answer["update"]["autoupdate"] is False
    assert (answer["update"]["icons"], answer["update"]["banners"]) == ({}, {})


# --- info ----------------------------------------------------------------------------------------


INFO_CASES: dict[str, tuple[Any, list[Any], str | None]] = {
    "signed, with a readme": (
        make_plugin(),
        [
            make_version("1.0.0"),
            make_version("1.1.0", sections=README, author_uri="https://a.test", **SIGNED),
        ],
        None,
    ),
    "unsigned, no readme, headers left empty": (
        make_plugin(description=""),
        [make_version("1.0.0", changelog="", plugin_uri="", author="", released_at=None)],
        None,
    ),
    "private, a site in a rollout": (
        make_plugin(private=True),
        [
            make_version("1.0.0", Status.DEPRECATED),
            make_version("1.1.0"),
            make_version("1.2.0", rollout_percent=10),
        ],
        OUT_10,
    ),
}


@pytest.mark.parametrize(("plugin", "versions", "site_id"), INFO_CASES.values(), ids=INFO_CASES)
def test_every_info_answer_matches_its_schema(plugin: Any, versions: list[Any], site_id: str | None) -> None:
    answer = signed_over_the_wire(info_of(plugin, stored(*versions), site_id))

    assert problems(PluginInformation, answer) == []


def test_info_carries_plugin_update_checkers_names_alongside_wordpress() -> None:
    version = make_version("1.1.0", sections=README, author_uri="https://a.test", **SIGNED)

    answer = info_of(make_plugin(), stored(version))

    assert answer["download_url"] == answer["download_link"]
    assert answer["checksum"] == answer["sha256"] == version.sha256
    assert answer["author_homepage"] == answer["author_profile"] == "https://a.test"
    assert answer["upgrade_notice"] == "Fixes a data loss."
    assert set(answer["sections"]) == {"description", "changelog", "faq"}  # no Installation: none sent
    assert answer["versions"] == {"1.1.0": answer["download_link"]}


def test_an_info_answer_with_an_empty_section_or_an_unknown_key_is_refused() -> None:
    answer = signed_over_the_wire(info_of(make_plugin(), stored(make_version("1.0.0"))))

    assert problems(PluginInformation, {**answer, "sections": {**answer["sections"], "reviews": "<p>5</p>"}})
    assert problems(PluginInformation, {**answer, "rating": 100})
    assert problems(PluginInformation, {k: v for k, v in answer.items() if k != "download_url"})


# --- the latest card, download-url, installations --------------------------------------------------


@pytest.mark.parametrize("site_key", [False, True], ids=["anonymous", "site key"])
def test_the_latest_card_matches_its_schema(site_key: bool) -> None:
    public = stored(make_version("1.0.0"))
    private = stored(make_version("2.0.0", slug="secret", released_at=NOW + timedelta(days=1)))
    plugins = [make_plugin(), make_plugin("secret", private=True)]

    card = over_the_wire(
        latest_for_platform(
            plugins,
            "wordpress",
            LINKS,
            lambda slug: private if slug == "secret" else public,
            site_key=site_key,
        )
    )

    assert card["slug"] == ("secret" if site_key else "igny8-wp-bridge")
    assert problems(LatestCard, card) == []
    assert problems(LatestCard, {**card, "platform": "joomla"})


def test_a_download_url_answer_matches_its_schema() -> None:
    answer = DownloadUrl(
        url="https://bucket.s3.amazonaws.com/packages/x.zip?X-Amz-Signature=abc",
        expires_at="2024-05-06T15:09:05Z",
        version="1.1.0",
        sha256="ab" * 32,
        file_size=12345,
    ).json_body()

    assert set(answer) == {"url", "expires_at", "version", "sha256", "file_size"}
    assert problems(DownloadUrl, answer) == []
    assert problems(DownloadUrl, {**answer, "expires_at": "in five minutes"})


def test_an_installation_answer_shows_what_decides_updates_and_keeps_the_telemetry() -> None:
    installation = Installation(
        site_id="site-1",
        slug="igny8-wp-bridge",
        created_at=NOW,
        updated_at=NOW,
        current_version="1.0.0",
        health_status="active",
        wp_version="6.5",
        site_url="https://site.test",
    )

    answer = over_the_wire(InstallationAnswer(installation=installation).json_body())

    assert answer == {
        "installation": {
            "site_id": "site-1",
            "slug": "igny8-wp-bridge",
            "current_version": "1.0.0",
            "is_active": True,
            "health_status": "active",
            "pending_update": None,
        }
    }
    assert problems(InstallationAnswer, answer) == []


# --- keys ----------------------------------------------------------------------------------------


def published(*, revoked: bool = False) -> dict[str, Any]:
    """The parameter as ``infra.keys`` publishes it (``KeyStore._publish``'s shape)."""
    old, active, root, metadata = new_key(), new_key(), new_key(), new_key()
    old["revoked"] = revoked
    statement = key_list_statement(
        {"keys": [old, active], "active": active["key_id"]},
        datetime.now(UTC),
        metadata={"keys": [metadata], "active": metadata["key_id"]},
    )
    signer = Ed25519PrivateKey.from_private_bytes(base64.b64decode(root["private_key"]))
    return {
        "keys": json.loads(statement)["keys"],
        "metadata_keys": json.loads(statement)["metadata_keys"],
        "roots": [{"key_id": root["key_id"], "algorithm": "ed25519", "public_key": root["public_key"]}],
        "key_list": statement,
        "key_list_root_id": root["key_id"],
        "key_list_signature": base64.b64encode(signer.sign(statement.encode())).decode(),
    }


@pytest.mark.parametrize(
    "answer",
    [{"keys": []}, published(), published(revoked=True)],
    ids=["never published", "a rotation", "a revocation"],
)
def test_every_keys_answer_matches_its_schema(answer: dict[str, Any]) -> None:
    assert problems(PublishedKeys, answer) == []


def test_a_keys_answer_with_half_a_signed_list_is_refused() -> None:
    answer = published()

    assert problems(PublishedKeys, {**answer, "key_list_signature": None})
    assert problems(PublishedKeys, {k: v for k, v in answer.items() if k != "roots"})
    assert problems(PublishedKeys, {**answer, "keys": [{**answer["keys"][0], "status": "lost"}]})
