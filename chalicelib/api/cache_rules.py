"""What each anonymous public answer depends on: the one declaration of the shared caches' keys.

A shared cache (the CDN of ``infra/edge.yaml``, or any proxy between a site and us) may hand a
stored answer to another requester only if that answer is the same for every request with the
same key: the path, the query-string parameters the route reads, the site credentials when its
auth reads them, ``Origin`` when it answers CORS, plus the request headers listed in ``SHARED``
that its answer reads besides (``key``). ``api/cache_keys.py`` applies it to every registered
route; check-update's fast path (``api/hot_check.py``) to its own, without importing the routes.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.api.headers import SITE_ID_HEADER, SITE_KEY_HEADER

#: The routes whose anonymous answers any cache may keep, with the request headers each reads
#: beyond its credentials and ``Origin``: check-update takes the WordPress version from
#: WordPress' ``User-Agent`` when the query states none (``logic/checks.site_request``).
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


def key(path: str, query: tuple[str, ...], *, credentials: bool, cors: bool) -> CacheKey:
    """The key of a shared route's answers: ``credentials`` when the route reads a site's key
    (whose answers are then the site's own), ``cors`` when it answers browsers' origins."""
    sent = (SITE_ID_HEADER, SITE_KEY_HEADER) if credentials else ()
    origin = ("Origin",) if cors else ()
    return CacheKey(path, query, (*sent, *origin, *SHARED[path]))
