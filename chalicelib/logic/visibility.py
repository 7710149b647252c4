"""Which plugins a public or site route may name at all: one rule for every route, the
check-update fast path (``api/hot_check.py``) included, so a private plugin's existence never
leaks through one of them."""

from __future__ import annotations

from typing import Protocol

from chalicelib.logic.errors import NotFound


class Listed(Protocol):
    """What the rule reads of a plugin: a ``Plugin`` record, or the fast path's reading of its item."""

    @property
    def is_active(self) -> bool: ...
    @property
    def private(self) -> bool: ...


def hidden_from_sites(plugin: Listed, *, site_key: bool) -> bool:
    """Whether a public or site route must answer as if this plugin did not exist: it is
    deactivated, or private and the caller sent no valid site key. Such an answer is the one an
    unknown slug gets (``unknown_plugin``), so whether a private plugin exists does not leak."""
    return not plugin.is_active or (plugin.private and not site_key)


def unknown_plugin(slug: str) -> NotFound:
    """The one refusal for a plugin that does not exist or that this caller may not know of."""
    return NotFound(f"no plugin {slug!r}")
