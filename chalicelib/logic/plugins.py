"""Changing a plugin record safely while admins and the packager change it too."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.logic.errors import Conflict
from chalicelib.logic.model import Plugin
from chalicelib.logic.ports import Repository

#: Concurrent writers of one plugin are a handful of admins and packager runs, never a crowd.
ATTEMPTS = 5


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
