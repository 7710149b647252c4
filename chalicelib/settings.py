"""One frozen settings object, read from the environment once per Lambda container.

Every stage (AWS, the local stack, tests) configures the service the same way: environment
variables written from the CloudFormation outputs (see ``infra/stack.py``). Nothing else reads
``os.environ``, so a reader finds every knob here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

#: WordPress caches an offer for 12 h, so presigned URLs are minted per request and kept short.
MAX_DOWNLOAD_URL_TTL = 900


class SettingsError(RuntimeError):
    """The environment is misconfigured: fail at start-up, not on a site's request."""


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    plugins_table: str
    versions_table: str
    installations_table: str
    idempotency_table: str
    audit_table: str
    sites_table: str
    counters_table: str
    #: Downloads one site may start per plugin per hour, unless the plugin sets its own limit.
    site_downloads_per_hour: int
    #: Downloads one source address may start per plugin per hour without a site key.
    anonymous_downloads_per_hour: int
    #: How long a rotated site key keeps working, so a site can pick up its new one.
    site_key_overlap_seconds: int
    artifacts_bucket: str
    #: Secrets Manager secret with the private signing keys (packager only).
    signing_keys_secret: str
    #: SSM parameter with the public signing keys (published at GET /api/keys/).
    signing_public_keys_parameter: str
    #: ``iam`` when deployed (API Gateway verifies SigV4), ``token`` on the local stack.
    admin_auth: str
    #: SHA-256 hex of the local admin token; the token itself is never configured or stored.
    admin_token_sha256: str
    #: Base of the stable URLs we hand to sites, e.g. ``https://api.igny8.com/api``; derived from
    #: the request when empty.
    public_base_url: str
    download_url_ttl: int
    #: How long caches may keep anonymous check-update and info answers (seconds).
    public_cache_seconds: int
    #: Overrides of the packager's archive limits (``logic.packaging.Limits`` field -> value).
    packager_limits: dict[str, int]
    #: Deliveries of one message before SQS parks it in the dead-letter queue (the template's
    #: PackagerMaxReceiveCount): the packager's last chance to record what it could not finish.
    packager_max_receive_count: int = 5
    #: Web origins whose pages may read the public routes the app's download card uses (CORS),
    #: e.g. ``https://app.igny8.com``; exact matches only, never a wildcard.
    app_origins: tuple[str, ...] = ()
    #: Secrets Manager secret with the key the IGNY8 app's backend signs its users' tokens with.
    app_token_secret: str = ""
    #: Downloads one app user (vouched for by an app token) may start per plugin per hour.
    user_downloads_per_hour: int = 10
    #: The local stack under the fleet simulator (bench/fleet_sim) only: a file holding the
    #: simulated time, which ``clock.now`` reads instead of the system clock. Refused on any
    #: other stage, so no deployed function can be told what time it is.
    simulated_clock_file: str = ""
    #: How long a warm container answers from memory (plugins and their release index, verified
    #: site keys, recorded offers): the bound on how stale a public answer may be (0: off).
    hot_cache_seconds: int = 10
    #: Secrets Manager secret with the metadata key that signs check-update and info answers
    #: (the only private key the public API may read); unset: answers go out unsigned.
    metadata_key_secret: str = ""
    #: The console's people (the template's AdminUserPool) and its public app client; unset: no
    #: one can sign in to the console (the CLI's credentials still work).
    user_pool_id: str = ""
    user_pool_client_id: str = ""
    #: Where AWS is when it is not AWS (moto, on the local stack): the pool's keys are read there.
    aws_endpoint_url: str = ""


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None or value == "":
        raise SettingsError(f"environment variable {name} is required")
    return value


#: Environment variable -> ``Limits`` field; unset ones keep the packager's safe defaults.
PACKAGER_LIMIT_ENV = {
    "PACKAGER_MAX_ARCHIVE_BYTES": "max_archive_bytes",
    "PACKAGER_MAX_TOTAL_BYTES": "max_total_bytes",
    "PACKAGER_MAX_ENTRIES": "max_entries",
    "PACKAGER_MAX_COMPRESSION_RATIO": "max_compression_ratio",
    "PACKAGER_MAX_NESTED_ARCHIVE_BYTES": "max_nested_archive_bytes",
}


#: What an allowed origin looks like: scheme, host and optional port, as a browser sends it.
_ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?")


def _origins(name: str) -> tuple[str, ...]:
    """A comma-separated list of exact origins. A wildcard or a URL with a path would be compared
    with the ``Origin`` header and never match, or match too much: refused at start-up."""
    origins = tuple(part.strip() for part in os.environ.get(name, "").split(",") if part.strip())
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
            raise SettingsError(f"{name}: {origin!r} is not an origin like https://app.igny8.com")
    return origins


def _positive_int(name: str, least: int = 1) -> int:
    try:
        value = int(os.environ[name])
    except ValueError:
        value = least - 1
    if value < least:
        raise SettingsError(f"{name} must be an integer of at least {least}")
    return value


def _int_or(name: str, default: int, least: int = 1) -> int:
    return _positive_int(name, least) if name in os.environ else default


def load_settings() -> Settings:
    """Build settings from the environment, rejecting values that would fail later and obscurely."""
    admin_auth = _env("ADMIN_AUTH", "iam")
    if admin_auth not in ("iam", "token"):
        raise SettingsError("ADMIN_AUTH must be 'iam' or 'token'")
    token_hash = os.environ.get("ADMIN_TOKEN_SHA256", "").lower()
    if admin_auth == "token" and not re.fullmatch(r"[0-9a-f]{64}", token_hash):
        raise SettingsError("ADMIN_AUTH=token needs ADMIN_TOKEN_SHA256 (64 hex chars)")
    try:
        ttl = int(_env("DOWNLOAD_URL_TTL", "300"))
    except ValueError as exc:
        raise SettingsError("DOWNLOAD_URL_TTL must be an integer number of seconds") from exc
    if not 1 <= ttl <= MAX_DOWNLOAD_URL_TTL:
        raise SettingsError(f"DOWNLOAD_URL_TTL must be between 1 and {MAX_DOWNLOAD_URL_TTL}")
    return Settings(
        stage=_env("STAGE", "local"),
        region=_env("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1")),
        plugins_table=_env("PLUGINS_TABLE"),
        versions_table=_env("VERSIONS_TABLE"),
        installations_table=_env("INSTALLATIONS_TABLE"),
        idempotency_table=_env("IDEMPOTENCY_TABLE"),
        audit_table=_env("AUDIT_TABLE"),
        sites_table=_env("SITES_TABLE"),
        counters_table=_env("COUNTERS_TABLE"),
        site_downloads_per_hour=_int_or("SITE_DOWNLOADS_PER_HOUR", 10),
        anonymous_downloads_per_hour=_int_or("ANONYMOUS_DOWNLOADS_PER_HOUR", 30),
        site_key_overlap_seconds=_int_or("SITE_KEY_OVERLAP_SECONDS", 3600),
        artifacts_bucket=_env("ARTIFACTS_BUCKET"),
        signing_keys_secret=_env("SIGNING_KEYS_SECRET"),
        signing_public_keys_parameter=_env("SIGNING_PUBLIC_KEYS_PARAMETER"),
        admin_auth=admin_auth,
        admin_token_sha256=token_hash,
        simulated_clock_file=_simulated_clock(),
        public_base_url=os.environ.get("PUBLIC_BASE_URL", "").rstrip("/"),
        download_url_ttl=ttl,
        public_cache_seconds=_int_or("PUBLIC_CACHE_SECONDS", 60),
        packager_limits={
            field: _positive_int(env) for env, field in PACKAGER_LIMIT_ENV.items() if env in os.environ
        },
        packager_max_receive_count=_int_or("PACKAGER_MAX_RECEIVE_COUNT", 5),
        app_origins=_origins("APP_ORIGINS"),
        app_token_secret=os.environ.get("APP_TOKEN_SECRET", ""),
        user_downloads_per_hour=_int_or("USER_DOWNLOADS_PER_HOUR", 10),
        hot_cache_seconds=_int_or("HOT_CACHE_SECONDS", 10, least=0),
        metadata_key_secret=os.environ.get("METADATA_KEY_SECRET", ""),
        user_pool_id=os.environ.get("USER_POOL_ID", ""),
        user_pool_client_id=os.environ.get("USER_POOL_CLIENT_ID", ""),
        aws_endpoint_url=os.environ.get("AWS_ENDPOINT_URL", ""),
    )


def _simulated_clock() -> str:
    path = os.environ.get("SIMULATED_CLOCK_FILE", "")
    if path and os.environ.get("STAGE", "local") != "local":
        raise SettingsError("SIMULATED_CLOCK_FILE is for the local stack only (STAGE=local)")
    return path


def packager_queue_name() -> str:
    """The queue the packager consumes. Chalice needs it when the app is imported (its SQS
    decorator), before any setting may be read: from the environment a deploy writes, else by
    the template's naming rule for the stage (STAGE is in each stage's config), so `chalice
    package` works on a fresh clone with no stack deployed yet."""
    return os.environ.get("PACKAGER_QUEUE") or f"igny8-plugins-{os.environ.get('STAGE', 'local')}-packager"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests that change the environment call ``cache_clear()``."""
    return load_settings()
