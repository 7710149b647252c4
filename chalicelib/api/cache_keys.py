"""What each anonymous public answer depends on: the one declaration of the shared caches' keys.

A shared cache (the CDN of ``infra/edge.yaml``, or any proxy between a site and us) may hand a
stored answer to another requester only if that answer is the same for every request with the
same key. The key of a route is derived here from its ``RouteSpec`` (``api/routing.py``): the
path, the query-string parameters its query model reads, the site credentials when its auth reads
them, ``Origin`` when it answers CORS, plus the request headers listed in ``SHARED`` that its
answer reads besides. The answers name those headers in ``Vary`` (``api/http.py``), the edge
template keys on them, and ``tests/integration/test_cache_keys.py`` proves that nothing else
changes an answer. A route missing from ``SHARED`` never answers ``Cache-Control: public``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from chalice.app import Request

from chalicelib.api.callers import SITE_ID_HEADER, SITE_KEY_HEADER
from chalicelib.api.routing import REGISTRY, Auth, RouteSpec

#: The routes whose anonymous answers any cache may keep, with the request headers each reads
#: beyond its credentials and ``Origin``: check-update takes the WordPress version from
#: WordPress' ``User-Agent`` when the query states none (``logic/updates.site_request``).
SHARED: dict[str, tuple[str, ...]] = {
    "/plugins/{slug}/check-update": ("User-Agent",),
    "/plugins/{slug}/info": (),
    "/plugins/{slug}/latest": (),
    "/keys": (),
    "/openapi.json": (),
}

#: Headers a shared cache may key on a normalised form of, to keep its key small: the edge's
#: viewer-request function puts the WordPress version WordPress' User-Agent names (the pattern of
#: ``logic/rollout.wordpress_version_from_user_agent``) into this header, or removes it, so a site's
#: URL in its agent string does not split the cache.
NORMALISED = {"User-Agent": "X-IGNY8-WordPress"}

#: Every cacheable answer varies on the encoding API Gateway and the CDN compress it with; the
#: CDN keys on it through its own normalisation (gzip, br), not as a header.
ENCODING = "Accept-Encoding"


@dataclass(frozen=True)
class CacheKey:
    """Everything one route's anonymous answer depends on, as a cache must key it."""

    #: The route as declared, under the stage (``/plugins/{slug}/check-update``).
    path: str
    #: Query-string parameters the route reads; any other parameter changes nothing.
    query: tuple[str, ...]
    #: Request headers the answer depends on, as named in ``Vary`` (encoding aside).
    headers: tuple[str, ...]

    @property
    def vary(self) -> str:
        """The ``Vary`` value of this route's answers."""
        return ", ".join((*self.headers, ENCODING))

    @property
    def edge_headers(self) -> tuple[str, ...]:
        """The headers the CDN keys on: ``headers``, with normalised forms where declared."""
        return tuple(NORMALISED.get(name, name) for name in self.headers)


def _key(spec: RouteSpec) -> CacheKey:
    credentials = (SITE_ID_HEADER, SITE_KEY_HEADER) if spec.auth is Auth.SITE_OPTIONAL else ()
    query = tuple(spec.query.model_fields) if spec.query is not None else ()
    origin = ("Origin",) if spec.cors else ()
    return CacheKey(spec.path, query, (*credentials, *origin, *SHARED[spec.path]))


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
