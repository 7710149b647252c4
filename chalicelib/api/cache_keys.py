"""The shared caches' key of every registered route (the rules: ``api/cache_rules.py``).

The key of a route is derived here from its ``RouteSpec`` (``api/routing.py``): its query model
names the parameters, its auth whether the site credentials count. The answers name those headers in ``Vary`` (``api/http.py``), the edge
template keys on them, and ``tests/integration/test_cache_keys.py`` proves that nothing else
changes an answer. A route missing from ``SHARED`` never answers ``Cache-Control: public``.
"""

from __future__ import annotations

from functools import cache

from chalice.app import Request

from chalicelib.api.cache_rules import SHARED, CacheKey, key
from chalicelib.api.routing import REGISTRY, Auth, RouteSpec


def _key(spec: RouteSpec) -> CacheKey:
    query = tuple(spec.query.model_fields) if spec.query is not None else ()
    return key(spec.path, query, credentials=spec.auth is Auth.SITE_OPTIONAL, cors=spec.cors)


@cache
def cache_keys() -> dict[str, CacheKey]:
    """The cache key of every shared route, derived from the registered routes (call it once the
    routes are imported: a shared route that is not registered is an error, not a silent gap)."""
    specs = {spec.path: spec for spec in REGISTRY if spec.method.upper() == "GET" and spec.path in SHARED}
    missing = set(SHARED) - set(specs)
    if missing:
        raise LookupError(f"shared cache routes not registered: {sorted(missing)}")
    return {path: _key(specs[path]) for path in SHARED}


def vary(request: Request) -> str:
    """The ``Vary`` value of the answers of the route ``request`` is for."""
    return cache_keys()[request.context["resourcePath"]].vary
