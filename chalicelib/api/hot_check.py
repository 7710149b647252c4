"""check-update's fast path: the answers a cold container can give without the whole app.

A check is answered here when it is the common case: a well-formed query, a public plugin (or a
private one and a valid site key), its release index on the plugin item, and nothing to record.
It is read as the app reads it (the same decision, answer, signature, cache headers, warm-memory
bound and metrics), from the same items through the standard-library client (``dal/item_reads.py``)
instead of pynamodb, so this path imports neither pydantic, pynamodb nor botocore: about 450 ms of
a cold start's import and first answer (``bench/coldstart_bench.py``).

Every other check is *left* to the app (``api/entry.py``), which answers it as it always has:
anything it would refuse (a malformed query or site id, an unknown or hidden plugin, a site key
that does not prove its site: the app paces that refusal), a plugin stored before the release
index, a site on a version the index leaves out, and an offer to a known site that the app has
not recorded within the warm bound (``HOT_CACHE_SECONDS``; the app records it, at most once per
site, plugin and bound, as before). Nothing is answered differently whichever path answers:
``tests/integration/test_hot_check.py`` sends the same API Gateway events to both and compares the
answers byte for byte. An unexpected failure here (DynamoDB unavailable, a bug) is logged and left
to the app too, so this path can make a check slower but never wrong.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from chalice.app import APIGateway, Request, Response

from chalicelib.api.cache_rules import key
from chalicelib.api.cacheable import cacheable, links
from chalicelib.api.headers import SITE_ID_HEADER, SITE_KEY_HEADER
from chalicelib.api.signed import seal, signed
from chalicelib.clock import now
from chalicelib.dal.item_reads import PluginIndex, SiteKeys, Unindexed, plugin_index, site_keys
from chalicelib.logic.checks import check_update, site_request
from chalicelib.logic.decision import Candidate
from chalicelib.logic.errors import DomainError
from chalicelib.logic.grammar import is_slug
from chalicelib.logic.release import ordered
from chalicelib.logic.site_keys import claimable, digest, proves
from chalicelib.logic.ttl_cache import CAPACITY, TtlCache
from chalicelib.logic.visibility import hidden_from_sites
from chalicelib.logic.vocabulary import CHANNELS
from chalicelib.observability import count, observe
from chalicelib.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: The route, as API Gateway names it in the event's ``resourcePath``.
ROUTE = "/plugins/{slug}/check-update"
#: Chalice's own encoding of a response for API Gateway (nothing here is binary).
_BINARY_TYPES = APIGateway().binary_types


class Leave(Exception):
    """This check is the app's to answer; the message says why (logged, never sent)."""


@dataclasses.dataclass(frozen=True)
class Stated:
    """The query's parameters (``logic/checks.StatedQuery``): ``site_inputs.CheckUpdateQuery``'s
    fields, in order (a test holds the two equal). Any other parameter is ignored, as there."""

    current_version: str | None = None
    installed_version: str | None = None
    channel: str | None = None
    wp_version: str | None = None
    php_version: str | None = None
    php: str | None = None


#: The query parameters check-update reads.
PARAMETERS = tuple(field.name for field in dataclasses.fields(Stated))
#: check-update's ``Vary``: its cache key as the whole app derives it from the route's declaration
#: (site credentials optional, no CORS).
VARY = key(ROUTE, PARAMETERS, credentials=True, cors=False).vary


def answer(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    """The proxy answer to this event if it is a check this path answers, else None."""
    where = event.get("requestContext") or {}
    if where.get("resourcePath") != ROUTE or where.get("httpMethod") != "GET":
        return None
    try:
        request = Request(event, context)
        response, offered = _check(request)
    except Leave as why:
        log.debug("check-update left to the app", extra={"reason": str(why)})
        count("CheckUpdateLeft")  # flushed with the app's answer: how often a check pays for it
        return None
    except Exception:  # the app answers instead: see the module's docstring
        log.exception("check-update fast path failed; the app answers")
        count("CheckUpdateLeft")
        return None

    def counted(_: Request) -> Response:
        count("CheckUpdate")
        if offered:
            count("UpdateOffered")
        return response

    answered: Response = observe(request, counted)
    return answered.to_dict(_BINARY_TYPES)


def _check(request: Request) -> tuple[Response, bool]:
    """The app's answer to this check (``api/public.check_update_view``), or ``Leave``."""
    slug = (request.uri_params or {}).get("slug", "")
    if not is_slug(slug):
        raise Leave("slug")
    headers = request.headers
    site_id, site_key = headers.get(SITE_ID_HEADER), headers.get(SITE_KEY_HEADER)
    try:
        site = site_request(
            _stated(request.query_params), site_id=site_id, user_agent=headers.get("user-agent")
        )
    except DomainError as refused:
        raise Leave(refused.code) from None
    caller = site_key is not None
    if site_key is not None and not _proven(site_id, site_key):
        raise Leave("site key")
    plugin = _plugin(slug)
    if plugin is None or hidden_from_sites(plugin, site_key=caller):
        raise Leave("unknown plugin")
    body = check_update(
        plugin, ordered(plugin.releases), site, links(request.context, headers), _outside_index
    )
    offered = bool(body["update_available"])
    if offered and caller and site_id is not None:
        _leave_unrecorded(site_id, slug, str(body["latest_version"]))
    personal = site.personal(private=plugin.private)
    return signed(cacheable(seal(body), request, personal=personal, vary=VARY)), offered


def _stated(query: Mapping[str, str] | None) -> Stated:
    """The parameters, as the app's query model reads them (the last of a repeated one), or
    ``Leave`` for what it would refuse or read differently."""
    values = dict(query or {})
    for name, value in values.items():
        if not _encodable(name) or not _encodable(value):
            raise Leave("invalid unicode")
    channel = values.get("channel")
    if channel is not None and channel not in CHANNELS:
        raise Leave("channel")
    return Stated(**{name: values[name] for name in PARAMETERS if name in values})


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _outside_index(version: str) -> Candidate | None:
    """The site runs a version the index leaves out: the app reads that version's item."""
    raise Leave("version outside the index")


def _proven(site_id: str | None, site_key: str) -> bool:
    """Whether the key proves the site, trusted for the warm bound once proven (as the app's
    ``HotReads.site``: only successes are kept, under the key's digest, never the key)."""
    if site_id is None or not claimable(site_id, site_key):
        return False
    remembered = (site_id, digest(site_key))
    if _memory().sites.fresh(remembered):
        return True
    found: SiteKeys | None = site_keys(get_settings().sites_table, site_id)
    if not proves(found, site_key, now()):
        return False
    _memory().sites.put(remembered, True)
    return True


def _plugin(slug: str) -> PluginIndex | None:
    try:
        return _memory().plugins.get(slug, lambda: plugin_index(get_settings().plugins_table, slug))
    except Unindexed:
        raise Leave("plugin stored before the release index") from None


def _leave_unrecorded(site_id: str, slug: str, version: str) -> None:
    """An offer the app records (installation funnel) unless left to it for this site, plugin and
    version within the warm bound: the app's own memory (``HotReads.offer_changed``) then reads
    nothing more either."""
    offers = _memory().offers
    if offers.fresh((site_id, slug)) == version:
        return
    offers.put((site_id, slug), version)
    raise Leave("offer to record")


@dataclasses.dataclass(frozen=True)
class _Memory:
    """This container's warm reads for the fast path, bounded as the app's (``HOT_CACHE_SECONDS``)."""

    plugins: TtlCache[str, PluginIndex | None]
    sites: TtlCache[tuple[str, str], bool]
    offers: TtlCache[tuple[str, str], str]


#: The memory, with the settings it was made for: settings read anew (``adapters.reset``, a new
#: stack in the tests) start an empty one, as the app's ``api/http.hot`` does.
_MEMORY: list[tuple[Settings, _Memory]] = []


def _memory() -> _Memory:
    settings = get_settings()
    if not _MEMORY or _MEMORY[0][0] is not settings:
        seconds = settings.hot_cache_seconds
        memory = _Memory(
            TtlCache(seconds, CAPACITY), TtlCache(seconds, CAPACITY), TtlCache(seconds, CAPACITY)
        )
        _MEMORY[:] = [(settings, memory)]
    return _MEMORY[0][1]
