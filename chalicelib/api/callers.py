"""Who is asking: the admin principal or person, the site whose key a request carries, or the IGNY8 app's
user its backend vouched for.

Routes never read credentials themselves: ``api/routing.py`` calls these, according to the auth
each route declares, before its path, query or body is read.
"""

from __future__ import annotations

from datetime import timedelta

from chalice.app import Request

from chalicelib.adapters import app_token_keys, repository
from chalicelib.api.auth import machine_person, session_person
from chalicelib.api.headers import APP_TOKEN_HEADER, SITE_ID_HEADER, SITE_KEY_HEADER
from chalicelib.api.http import hot
from chalicelib.clock import now
from chalicelib.logic.apptoken import AppUser, verify
from chalicelib.logic.model import Site
from chalicelib.logic.roles import Person
from chalicelib.logic.sites import Sites
from chalicelib.settings import get_settings


def sites(actor: str = "") -> Sites:
    overlap = timedelta(seconds=get_settings().site_key_overlap_seconds)
    return Sites(repository(), now(), overlap, actor)


def admin_person(request: Request, *, console: bool) -> Person:
    """Who is calling the admin API and their role: a person's console session (``console``),
    else the CLI's credentials; ``Unauthorized``/``Forbidden`` otherwise."""
    if console:
        return session_person(request.headers, request.method)
    return machine_person(get_settings(), request.context, request.headers)


def site_of(request: Request) -> Site:
    """The site these request headers prove, or ``Unauthorized``; a key verified within the warm
    cache's seconds is trusted without reading the site again (``HotReads.site``)."""
    site_id, key = request.headers.get(SITE_ID_HEADER), request.headers.get(SITE_KEY_HEADER)
    if not site_id or not key:
        return sites().authenticate(site_id, key)  # refused, the same way as any other
    return hot().site(site_id, key, lambda: sites().authenticate(site_id, key))


def claimed_site(request: Request) -> Site | None:
    """As ``site_of`` when a key is sent, else None: a site id alone claims nothing (check-update
    still buckets it for rollouts), while a key that does not match is always refused."""
    return None if request.headers.get(SITE_KEY_HEADER) is None else site_of(request)


def app_user(request: Request) -> AppUser | None:
    """The app user ``X-IGNY8-App-Token`` vouches for, None without the header, ``Unauthorized``
    for a token that is not valid (never silently anonymous: the app would count nothing)."""
    token = request.headers.get(APP_TOKEN_HEADER)
    return None if token is None else verify(token, app_token_keys(), now())
