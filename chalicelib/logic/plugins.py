"""Changing a plugin record safely while admins and the packager change it too."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from chalicelib.logic.commands import ConfigurePlugin, CreatePlugin
from chalicelib.logic.errors import Conflict, NotFound
from chalicelib.logic.model import AuditEntry, Platform, Plugin, check_slug
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


def create_plugin(repo: Repository, command: CreatePlugin, now: datetime, actor: str) -> Plugin:
    """An admin registers a plugin before its first upload (an upload also creates it)."""
    slug = command.slug
    plugin = new_plugin(slug, command.name, command.platform, now, command.description)
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


def configure(repo: Repository, slug: str, command: ConfigurePlugin, now: datetime, actor: str) -> Plugin:
    """Change the plugin-wide settings the command names (the others stay as they are)."""
    changes = {
        name: value
        for name, value in command.model_dump(include=command.given()).items()
        if value is not None
    }
    before: dict[str, Any] = {}

    def change(plugin: Plugin) -> bool:
        before.update(private=plugin.private, downloads_per_hour=plugin.downloads_per_hour)
        for field, value in changes.items():
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
