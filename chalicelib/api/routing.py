"""The one way a route is declared: its auth, inputs and answer, once, for Chalice and OpenAPI alike.

``route`` registers the view with Chalice and records a ``RouteSpec`` that ``api/openapi.py``
publishes. At each request, in this order: credentials (so an unauthenticated caller learns
nothing of a slug, a body's rules or its size), the path parameters, the query string, the body;
only then the view, with typed values. A domain refusal is answered in the service's error shape;
anything unexpected as the generic 500.

Chalice is told every route accepts any Content-Type: its own 415 would come before the
credentials check. The body's encoding is checked here instead, after it (``api/bodies.py``).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from chalice.app import Blueprint, Request
from pydantic import BaseModel, ConfigDict, create_model

from chalicelib.api.auth import iam
from chalicelib.api.bodies import parse_body, parse_query
from chalicelib.api.callers import admin_person, app_user, claimed_site, site_of
from chalicelib.api.cors import preflight, with_cors
from chalicelib.api.errors import internal_error, refusal
from chalicelib.logic.errors import DomainError
from chalicelib.logic.fields import SiteId, Slug, Version
from chalicelib.logic.inputs import parse
from chalicelib.logic.roles import Person, Role, require

View = TypeVar("View", bound=Callable[..., Any])

log = logging.getLogger(__name__)


class Auth(StrEnum):
    #: Anyone.
    PUBLIC = "public"
    #: Anyone; a site key, when sent, must be valid (and may unlock private plugins).
    SITE_OPTIONAL = "site-optional"
    #: A site's id and key.
    SITE = "site"
    #: An admin: IAM (SigV4) deployed, the admin token locally.
    ADMIN = "admin"
    #: As ADMIN, but the view decides what an unauthenticated browser sees (a login page).
    ADMIN_PAGE = "admin-page"
    #: A person signed in to the console: the session cookie, plus the CSRF token on changes.
    #: Every ADMIN route is also served this way, under ``CONSOLE_PREFIX``.
    SESSION = "session"
    #: As SESSION, but the view decides what an unauthenticated browser sees (the sign-in page).
    SESSION_PAGE = "session-page"


#: Where the admin API is served to people (no API Gateway authorizer: a browser cannot sign).
CONSOLE_PREFIX = "/admin/console"
#: Auths whose callers are checked against a route's role.
_PERSONS = (Auth.ADMIN, Auth.SESSION)


#: The type of each path parameter, by name (a route may override: ``{slug}`` is a platform once).
PATH_TYPES: dict[str, Any] = {"slug": Slug, "version": Version, "site_id": SiteId}


@dataclass(frozen=True)
class RouteSpec:
    """What the OpenAPI document says of one method on one path."""

    path: str
    method: str
    name: str
    tag: str
    doc: str
    auth: Auth
    path_model: type[BaseModel]
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    #: The success answer: a model, a ready JSON schema, or None (no JSON body).
    response: type[BaseModel] | dict[str, Any] | None
    status: int
    #: The success answer's media type when it is not JSON (a page, a file, a redirect).
    produces: str = "application/json"
    #: Extra statuses this route answers besides its success and the errors (e.g. 304).
    also: tuple[int, ...] = field(default=())
    #: The IGNY8 app's pages may read this route from their own origin (``api/cors.py``).
    cors: bool = False
    #: An app token (``X-IGNY8-App-Token``) is accepted here, in place of a site's key.
    app: bool = False
    #: What a caller with an app token gets instead of ``response`` (status 200), if different.
    app_response: type[BaseModel] | None = None
    #: The least role that may call this admin route.
    role: Role | None = None
    #: The role a body asking ``force_update`` needs, when more than ``role``.
    forcing: Role | None = None


REGISTRY: list[RouteSpec] = []


def route(
    blueprint: Blueprint,
    path: str,
    *,
    methods: tuple[str, ...] = ("GET",),
    auth: Auth = Auth.PUBLIC,
    path_types: dict[str, Any] | None = None,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | dict[str, Any] | None = None,
    status: int = 200,
    produces: str = "application/json",
    also: tuple[int, ...] = (),
    own_body: bool = False,
    cors: bool = False,
    app: bool = False,
    app_response: type[BaseModel] | None = None,
    role: Role | None = None,
    forcing: Role | None = None,
) -> Callable[[View], View]:
    """Declare ``path`` on ``blueprint``: the view receives its path parameters typed, plus, when
    declared, ``actor`` (admin), ``caller`` (site), ``query`` and ``body`` as parsed models.
    ``own_body``: the view parses the declared body itself (to answer a browser with a page).
    ``cors``: the app's allowed origins may read the answers; the path's preflight is registered.
    ``app``: an app token is accepted in place of a site key; the view gets ``user`` (an
    ``AppUser`` or None) and, for such a user, no body (the app's card posts none).
    ``role``: required of every ADMIN route, checked right after the credentials; such a route is
    served twice, to machines (``/admin/...``) and to people (``/admin/console/...``).
    ``forcing``: the role a body with ``force_update`` set needs (checked once the body is read)."""
    if (auth is Auth.ADMIN) != (role is not None):
        raise TypeError(f"{path}: an admin route declares the role it needs, and only an admin route")

    def decorate(view: View) -> View:
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        types = {**PATH_TYPES, **(path_types or {})}
        path_model = create_model(  # type: ignore[call-overload]
            f"{view.__name__}_path",
            __config__=ConfigDict(extra="forbid", defer_build=True),  # built on its first request
            **{name: (types[name], ...) for name in names},
        )
        parsed_body = None if own_body else body
        _check_signature(view, names, auth, query, parsed_body, app=app)

        def _register(path: str, auth: Auth) -> None:
            for method in methods:
                REGISTRY.append(
                    RouteSpec(
                        path=path,
                        method=method.lower(),
                        name=view.__name__,
                        tag=_tag(blueprint),
                        doc=inspect.getdoc(view) or "",
                        auth=auth,
                        path_model=path_model,
                        query=query,
                        body=body,
                        response=response,
                        status=status,
                        produces=produces,
                        also=also,
                        cors=cors,
                        app=app,
                        app_response=app_response,
                        role=role,
                        forcing=forcing,
                    )
                )

            def _answer(request: Request, params: dict[str, Any]) -> Any:
                try:
                    return view(
                        **_inputs(
                            request,
                            auth=auth,
                            path_model=path_model,
                            params=params,
                            query=query,
                            body=parsed_body,
                            app=app,
                            role=role,
                            forcing=forcing,
                        )
                    )
                except DomainError as exc:
                    refused = refusal(exc)
                    log.info(
                        "refused",
                        extra={
                            "route": view.__name__,
                            "status": refused.status_code,
                            "reason": exc.code,
                            **params,
                        },
                    )
                    return refused
                except Exception:
                    log.exception("unhandled error", extra={"route": view.__name__, **params})
                    return internal_error(request)

            @functools.wraps(view)
            def handle(**params: Any) -> Any:
                request = blueprint.current_request
                answer = _answer(request, params)
                return with_cors(answer, request) if cors else answer

            blueprint.route(
                path,
                methods=list(methods),
                content_types=["*/*"],
                authorizer=iam if auth in (Auth.ADMIN, Auth.ADMIN_PAGE) else None,
            )(handle)

        served = [(path, auth)]
        if auth is Auth.ADMIN:
            served.append((CONSOLE_PREFIX + path.removeprefix("/admin"), Auth.SESSION))
        for served_path, served_auth in served:
            _register(served_path, served_auth)
        if cors:
            _register_preflight(blueprint, path, methods, path_model, view.__name__)
        return view

    return decorate


def _tag(blueprint: Blueprint) -> str:
    """The OpenAPI tag of a blueprint's routes: its module's name (public, sites, admin...)."""
    return blueprint._import_name.rsplit(".", 1)[-1]


def _register_preflight(
    blueprint: Blueprint, path: str, methods: tuple[str, ...], path_model: type[BaseModel], name: str
) -> None:
    """The ``OPTIONS`` a browser sends before the card's request, documented like any route."""
    REGISTRY.append(
        RouteSpec(
            path=path,
            method="options",
            name=f"{name}_preflight",
            tag=_tag(blueprint),
            doc="CORS preflight: may the IGNY8 app's page send this request? (allowed origins only)",
            auth=Auth.PUBLIC,
            path_model=path_model,
            query=None,
            body=None,
            response=None,
            status=204,
            produces="",
            cors=True,
        )
    )

    def answer_preflight(**_params: Any) -> Any:
        return preflight(blueprint.current_request, methods)

    answer_preflight.__name__ = f"{name}_preflight"
    blueprint.route(path, methods=["OPTIONS"], content_types=["*/*"])(answer_preflight)


def _inputs(
    request: Request,
    *,
    auth: Auth,
    path_model: type[BaseModel],
    params: dict[str, Any],
    query: type[BaseModel] | None,
    body: type[BaseModel] | None,
    app: bool,
    role: Role | None,
    forcing: Role | None,
) -> dict[str, Any]:
    inputs: dict[str, Any] = {}
    person: Person | None = None
    user = app_user(request) if app else None
    if app:
        inputs["user"] = user
    if auth in _PERSONS:
        person = admin_person(request, console=auth is Auth.SESSION)
        if role is not None:
            require(person, role)
        inputs["actor"] = person.actor
    elif auth is Auth.SITE and user is None:
        inputs["caller"] = site_of(request)
    elif auth in (Auth.SITE, Auth.SITE_OPTIONAL):
        inputs["caller"] = claimed_site(request)
    inputs.update(dict(parse(path_model, params, "path")))
    if query is not None:
        inputs["query"] = parse_query(query, request.query_params)
    if body is not None:
        content_type = request.headers.get("content-type")
        inputs["body"] = None if user is not None else parse_body(body, request.raw_body, content_type)
        if forcing is not None and person is not None and getattr(inputs["body"], "force_update", None):
            require(person, forcing)
    return inputs


def _check_signature(
    view: Callable[..., Any], names: list[str], auth: Auth, query: object, body: object, *, app: bool
) -> None:
    """A view takes exactly what its declaration gives it: a mismatch fails at import, not at a
    request."""
    given = set(names)
    given |= {"actor"} if auth in _PERSONS else set()
    given |= {"caller"} if auth in (Auth.SITE, Auth.SITE_OPTIONAL) else set()
    given |= {"query"} if query is not None else set()
    given |= {"body"} if body is not None else set()
    given |= {"user"} if app else set()
    taken = set(inspect.signature(view).parameters)
    if taken != given:
        raise TypeError(f"view {view.__name__} takes {sorted(taken)} but its route gives {sorted(given)}")
