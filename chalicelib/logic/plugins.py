"""Changing a plugin record safely while admins and the packager change it too."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.logic.errors import Conflict, InvalidInput, NotFound
from chalicelib.logic.model import AuditEntry, Platform, Plugin, check_platform, check_slug
from chalicelib.logic.ports import Repository

#: Concurrent writers of one plugin are a handful of admins and packager runs, never a crowd.
ATTEMPTS = 5


def new_plugin(slug: str, name: str, platform: Platform, now: datetime, description: str = "") -> Plugin:
    """A plugin record with its own rollout salt (so its early sites are not every plugin's)."""
    return Plugin(
        slug=check_slug(slug),
        name=name,
        platform=platform,
        description=description,
        created_at=now,
        updated_at=now,
        rollout_salt=secrets.token_hex(16),
    )


def create_plugin(repo: Repository, body: dict[str, Any], now: datetime, actor: str) -> Plugin:
    """An admin registers a plugin before its first upload (an upload also creates it)."""
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise InvalidInput("name is required (1-200 characters)", code="invalid_name")
    description = body.get("description", "")
    if not isinstance(description, str) or len(description) > 10_000:
        raise InvalidInput(
            "description must be text of at most 10 000 characters", code="invalid_description"
        )
    slug, platform = body.get("slug"), body.get("platform", "wordpress")
    if not isinstance(slug, str) or not isinstance(platform, str):
        raise InvalidInput("slug and platform must be strings", code="invalid_input")
    plugin = new_plugin(slug, name.strip(), check_platform(platform), now, description)
    try:
        repo.save_plugin(plugin)
    except Conflict:
        raise Conflict(f"plugin {slug!r} already exists", code="plugin_exists") from None
    repo.append_audit(
        AuditEntry(
            slug=plugin.slug,
            at=now,
            actor=actor,
            action="create-plugin",
            version=None,
            before={},
            after={"name": plugin.name, "platform": plugin.platform.value},
        )
    )
    return plugin


def configure(repo: Repository, slug: str, body: dict[str, Any], now: datetime, actor: str) -> Plugin:
    unknown = set(body) - {"private", "downloads_per_hour", "name", "description"}
    if unknown:
        raise InvalidInput(f"unknown fields: {', '.join(sorted(unknown))}", code="invalid_input")
    private, limit = body.get("private"), body.get("downloads_per_hour")
    if private is not None and not isinstance(private, bool):
        raise InvalidInput("private must be true or false", code="invalid_private")
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000
    ):
        raise InvalidInput("downloads_per_hour must be an integer from 1 to 10000", code="invalid_limit")
    for field in ("name", "description"):
        if field in body and (not isinstance(body[field], str) or len(body[field]) > 10_000):
            raise InvalidInput(f"{field} must be text", code=f"invalid_{field}")
    before: dict[str, Any] = {}

    def change(plugin: Plugin) -> bool:
        before.update(private=plugin.private, downloads_per_hour=plugin.downloads_per_hour)
        for field, value in body.items():
            setattr(plugin, field, value)
        plugin.updated_at = now
        return True

    plugin = update_plugin(repo, slug, change, missing_plugin(slug))
    after = {"private": plugin.private, "downloads_per_hour": plugin.downloads_per_hour}
    repo.append_audit(AuditEntry(slug, now, actor, "configure-plugin", None, before, after))
    return plugin


def missing_plugin(slug: str) -> Callable[[], Plugin]:
    """For ``update_plugin``'s ``new``: changing a plugin that does not exist is a 404."""

    def fail() -> Plugin:
        raise NotFound(f"no plugin {slug!r}")

    return fail


def update_plugin(
    repo: Repository, slug: str, change: Callable[[Plugin], bool], new: Callable[[], Plugin]
) -> Plugin:
    """Read, ``change`` and save the plugin (``new()`` if absent), re-reading on a concurrent save
    so no writer's change is lost (e.g. the latest pointer never moves down). ``change`` says
    whether it changed anything; an unchanged, stored plugin is not written again."""
    for _ in range(ATTEMPTS):
        stored = repo.get_plugin(slug)
        plugin = stored or new()
        if not change(plugin) and stored is not None:
            return plugin
        try:
            repo.save_plugin(plugin)
        except Conflict:
            continue
        return plugin
    raise Conflict(f"{slug} keeps changing under us; try again", code="concurrent_change")
