"""Who may call the admin API, and the settings that decide it."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pytest
from chalice.app import CaseInsensitiveMapping

from chalicelib.api.auth import require_admin
from chalicelib.logic.errors import Unauthorized
from chalicelib.settings import Settings, SettingsError, load_settings

TOKEN = "s3cr3t-admin-token-for-unit-tests"  # a throwaway credential
ARN = "arn:aws:iam::123456789012:user/alice"

BASE = Settings(
    stage="test",
    region="us-east-1",
    plugins_table="plugins",
    versions_table="versions",
    installations_table="installations",
    idempotency_table="idempotency",
    artifacts_bucket="artifacts",
    audit_table="audit",
    sites_table="sites",
    counters_table="counters",
    site_downloads_per_hour=10,
    anonymous_downloads_per_hour=30,
    site_key_overlap_seconds=3600,
    signing_keys_secret="signing-keys",
    signing_public_keys_parameter="/signing-public-keys",
    admin_auth="token",
    admin_token_sha256=hashlib.sha256(TOKEN.encode()).hexdigest(),
    public_base_url="https://plugins.test/api",
    download_url_ttl=300,
    packager_limits={},
    public_cache_seconds=60,
)
TOKEN_MODE = BASE
IAM_MODE = replace(BASE, admin_auth="iam", admin_token_sha256="")


def headers(**values: str) -> CaseInsensitiveMapping:
    """Request headers the way Chalice hands them to a view (case-insensitive)."""
    return CaseInsensitiveMapping({name.replace("_", "-"): value for name, value in values.items()})


def iam_context(arn: str | None = ARN) -> dict[str, Any]:
    return {"identity": {"userArn": arn, "sourceIp": "198.51.100.7"}}


# --- token mode (the local stack) -------------------------------------------------------------------


@pytest.mark.parametrize("value", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"Bearer {TOKEN} "])
def test_token_mode_accepts_the_admin_token(value: str) -> None:
    assert require_admin(TOKEN_MODE, {}, headers(Authorization=value)) == "local-admin"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="no-header"),
        pytest.param("", id="empty-header"),
        pytest.param(TOKEN, id="no-scheme"),
        pytest.param(f"Basic {TOKEN}", id="basic-scheme"),
        pytest.param(f"Token {TOKEN}", id="token-scheme"),
        pytest.param("Bearer wrong-token", id="wrong-token"),
        pytest.param(f"Bearer {TOKEN}x", id="token-with-extra-char"),
        pytest.param(f"Bearer {TOKEN[:-1]}", id="token-prefix"),
        pytest.param(f"Bearer {BASE.admin_token_sha256}", id="the-hash-itself"),
        pytest.param("Bearer ", id="empty-token"),
        pytest.param("Bearer", id="scheme-only"),
        pytest.param("Bearer    ", id="blank-token"),
    ],
)
def test_token_mode_refuses_anything_but_the_admin_token(value: str | None) -> None:
    request_headers = headers() if value is None else headers(Authorization=value)

    with pytest.raises(Unauthorized):
        require_admin(TOKEN_MODE, iam_context(), request_headers)


# --- IAM mode (deployed) ----------------------------------------------------------------------------


def test_iam_mode_accepts_a_signed_request_and_names_the_caller() -> None:
    assert require_admin(IAM_MODE, iam_context(), headers()) == ARN


@pytest.mark.parametrize(
    "context",
    [
        pytest.param({}, id="no-identity"),
        pytest.param({"identity": None}, id="null-identity"),
        pytest.param(iam_context(None), id="anonymous"),
        pytest.param(iam_context(""), id="empty-arn"),
    ],
)
def test_iam_mode_refuses_a_request_without_an_iam_identity(context: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized):
        require_admin(IAM_MODE, context, headers())


def test_iam_mode_does_not_accept_a_bearer_token_instead() -> None:
    settings = replace(IAM_MODE, admin_token_sha256=BASE.admin_token_sha256)

    with pytest.raises(Unauthorized):
        require_admin(settings, {}, headers(Authorization=f"Bearer {TOKEN}"))


# --- settings --------------------------------------------------------------------------------------


def test_the_baseline_environment_loads() -> None:
    settings = load_settings()

    assert settings.admin_auth == "token"
    assert len(settings.admin_token_sha256) == 64


def test_token_mode_works_with_an_uppercase_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_AUTH", "token")
    monkeypatch.setenv("ADMIN_TOKEN_SHA256", hashlib.sha256(TOKEN.encode()).hexdigest().upper())

    settings = load_settings()

    assert require_admin(settings, {}, headers(Authorization=f"Bearer {TOKEN}")) == "local-admin"


def test_iam_mode_needs_no_token_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_AUTH", "iam")
    monkeypatch.delenv("ADMIN_TOKEN_SHA256")

    assert load_settings().admin_auth == "iam"


def test_admin_auth_defaults_to_iam(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADMIN_AUTH")

    assert load_settings().admin_auth == "iam"


@pytest.mark.parametrize(
    "token_hash",
    [
        pytest.param(None, id="unset"),
        pytest.param("", id="empty"),
        pytest.param("ab" * 31, id="62-hex"),
        pytest.param("ab" * 33, id="66-hex"),
        pytest.param(TOKEN, id="the-token-itself"),
        pytest.param("z" * 64, id="64-non-hex"),
        pytest.param(" " * 64, id="64-blanks"),
    ],
)
def test_token_mode_refuses_a_missing_or_malformed_hash(
    monkeypatch: pytest.MonkeyPatch, token_hash: str | None
) -> None:
    monkeypatch.setenv("ADMIN_AUTH", "token")
    if token_hash is None:
        monkeypatch.delenv("ADMIN_TOKEN_SHA256")
    else:
        monkeypatch.setenv("ADMIN_TOKEN_SHA256", token_hash)

    with pytest.raises(SettingsError):
        load_settings()


@pytest.mark.parametrize("mode", ["IAM", "Token", "none", "basic", "iam "])
def test_an_unknown_admin_auth_mode_is_refused(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv("ADMIN_AUTH", mode)

    with pytest.raises(SettingsError):
        load_settings()


@pytest.mark.parametrize("ttl", ["0", "-1", "901", "3600", "five", "1.5"])
def test_download_url_ttl_outside_1_to_900_seconds_is_refused(
    monkeypatch: pytest.MonkeyPatch, ttl: str
) -> None:
    monkeypatch.setenv("DOWNLOAD_URL_TTL", ttl)

    with pytest.raises(SettingsError):
        load_settings()


@pytest.mark.parametrize("ttl", ["1", "300", "900"])
def test_download_url_ttl_within_limits_is_kept(monkeypatch: pytest.MonkeyPatch, ttl: str) -> None:
    monkeypatch.setenv("DOWNLOAD_URL_TTL", ttl)

    assert load_settings().download_url_ttl == int(ttl)


def test_packager_limits_come_from_the_environment_and_default_when_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PACKAGER_MAX_ENTRIES", "500")
    monkeypatch.setenv("PACKAGER_MAX_ARCHIVE_BYTES", "1048576")

    assert load_settings().packager_limits == {"max_entries": 500, "max_archive_bytes": 1048576}


@pytest.mark.parametrize("value", ["0", "-5", "lots", ""])
def test_a_packager_limit_that_is_not_a_positive_integer_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("PACKAGER_MAX_ENTRIES", value)

    with pytest.raises(SettingsError, match="PACKAGER_MAX_ENTRIES"):
        load_settings()
