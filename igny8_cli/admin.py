"""What the commands ask of the admin API, each written once over ``AdminApi.call``.

Paths are built here and only here, and waiting for the packager (after an upload or a
rollback, both of which put a source under ``sources/``) is one loop polled by ``source_key``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from igny8_cli.errors import CliError

if TYPE_CHECKING:
    from igny8_cli.client import AdminApi

#: Seconds between polls while waiting for the packager (an S3 event, a queue and a Lambda away).
POLL_INTERVAL = 0.5

#: Statuses under which sites are offered a version.
OFFERED = frozenset({"released", "update_ready"})


def plugin_path(slug: str) -> str:
    return f"/admin/plugins/{quote(slug, safe='')}"


def version_path(slug: str, version: str) -> str:
    return f"{plugin_path(slug)}/versions/{quote(version, safe='')}"


def site_path(site_id: str) -> str:
    return f"/admin/sites/{quote(site_id, safe='')}"


def get_plugin(api: AdminApi, slug: str) -> dict[str, Any] | None:
    """The plugin and its versions; None while the packager has not registered the slug yet."""
    try:
        return api.call("GET", plugin_path(slug))
    except CliError as error:
        if error.status == 404 and error.code == "not_found":
            return None
        raise


def find_version(document: Mapping[str, Any] | None, version: str) -> dict[str, Any] | None:
    for record in (document or {}).get("versions", []):
        if record.get("version") == version:
            return dict(record)
    return None


def latest_on(document: Mapping[str, Any] | None, channel: str) -> str | None:
    """The version the server offers on ``channel``, from the plugin's ``latest`` map."""
    latest = ((document or {}).get("plugin") or {}).get("latest") or {}
    value = latest.get(channel)
    return str(value) if value else None


def change_version(
    api: AdminApi, slug: str, version: str, action: str | None, body: Mapping[str, Any]
) -> dict[str, Any]:
    """POST a transition (``release``, ``pull``, ...) or, with ``action`` None, PATCH the version.

    Returns the whole answer: ``{"version": V}`` plus whatever the action reports
    (``installations_notified`` for push-update).
    """
    if action is None:
        return api.call("PATCH", version_path(slug, version), body)
    return api.call("POST", f"{version_path(slug, version)}/{action}", body)


def create_plugin(api: AdminApi, slug: str, platform: str) -> None:
    """Register ``slug`` on ``platform`` (named after the slug until the packager reads its header);
    one that another upload registered meanwhile is as good."""
    try:
        api.call("POST", "/admin/plugins", {"slug": slug, "name": slug, "platform": platform})
    except CliError as error:
        if error.code != "plugin_exists":
            raise


def upload_grant(api: AdminApi, slug: str, version: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """``{"url", "method", "headers", "key", "expires_at"}``: a presigned PUT whose grant names the
    authenticated admin, so the packager audits the upload (and acts on its requests) as them."""
    return api.call("POST", f"{version_path(slug, version)}/upload", body)


def rollback(api: AdminApi, slug: str, body: Mapping[str, Any]) -> dict[str, Any]:
    return api.call("POST", f"{plugin_path(slug)}/rollback", body)


def audit(api: AdminApi, slug: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = api.call("GET", f"{plugin_path(slug)}/audit").get("entries", [])
    return entries


def create_site(api: AdminApi, body: Mapping[str, Any]) -> dict[str, Any]:
    """``{"site", "api_key"}``: the only answer that ever carries the new site's key."""
    return api.call("POST", "/admin/sites", body)


def list_sites(api: AdminApi) -> dict[str, Any]:
    """``{"sites": [...]}``, with any stray ``api_key`` dropped: a listing never shows a key."""
    document = api.call("GET", "/admin/sites")
    sites = [_without_key(site) for site in document.get("sites") or []]
    return {**_without_key(document), "sites": sites}


def site_action(api: AdminApi, site_id: str, action: str) -> dict[str, Any]:
    """POST ``rotate`` (answers with the new key) or ``revoke`` for one site."""
    return api.call("POST", f"{site_path(site_id)}/{action}", {})


def stats(api: AdminApi, slug: str, days: int) -> dict[str, Any]:
    return api.call("GET", f"{plugin_path(slug)}/stats?{urlencode({'days': days})}")


def wait_for_package(api: AdminApi, slug: str, key: str, timeout: float) -> dict[str, Any]:
    """Poll until the packager has built (or refused) the source at ``key``."""
    deadline = time.monotonic() + timeout
    while (packaged := packaging_outcome(api, slug, key)) is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise CliError(
                "timeout",
                f"the packager has not finished {key} after {timeout:g} s; "
                f"check later with `igny8-plugins status {slug}`",
                details={"source_key": key},
            )
        time.sleep(min(POLL_INTERVAL, remaining))
    return packaged


def packaging_outcome(api: AdminApi, slug: str, key: str) -> dict[str, Any] | None:
    """The version built from ``key``; None while the packager has not got to it yet."""
    document = get_plugin(api, slug)
    if document is None:
        # A first upload of a slug: the plugin only exists once the packager registered it.
        return None
    for version in document.get("versions", []):
        if version.get("source_key") == key and version.get("status") != "pending":
            if version.get("status") == "failed":
                raise _packaging_failed(key, version.get("failure_code"), version.get("failure_reason"))
            return dict(version)
    failure = document.get("plugin", {}).get("last_failure")
    if failure and failure.get("source_key") == key:
        raise _packaging_failed(key, failure.get("code"), failure.get("message"))
    return None


def _packaging_failed(key: str, code: str | None, reason: str | None) -> CliError:
    message = f"packaging failed: {reason or 'no reason given'}"
    return CliError(code or "failed", message, details={"source_key": key})


def _without_key(document: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name != "api_key"}
