"""The OpenAPI 3.1 document, generated from the route declarations.

Nothing here is written by hand per route: each operation comes from a ``RouteSpec`` (its auth,
path, query, body and answer, declared once with the view in ``api/routing.py``), and each schema
from the pydantic model that also parses or builds that value. A test checks that the document
lists exactly the routes the app registers, and the contract fuzzer (``tests/e2e``) checks the
running service against it. Served by ``api/openapi.py``, which imports this module on the first
request for the document.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from chalicelib.api.bodies import FORM, encodings
from chalicelib.api.openapi import REF_TEMPLATE, Operation
from chalicelib.api.routing import REGISTRY, Auth, RouteSpec
from chalicelib.api.views import view_schemas

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error the service answers, whatever the route and the cause.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "What went wrong, for programs (stable)."},
                "message": {"type": "string", "description": "What went wrong, for people."},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
SECURITY_SCHEMES: dict[str, Any] = {
    "siteId": {"type": "apiKey", "in": "header", "name": "X-IGNY8-Site-ID", "description": "The site's id."},
    "siteKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-IGNY8-API-Key",
        "description": "The site's API key (shown once when the site is created or its key rotated).",
    },
    "sigv4": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Deployed: an AWS SigV4-signed request from a principal allowed to invoke the admin API.",
        "x-amazon-apigateway-authtype": "awsSigv4",
    },
    "appToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-IGNY8-App-Token",
        "description": (
            "A user of the IGNY8 app, vouched for by the app's backend: v1.<base64url claims>.<base64url "
            "HMAC-SHA256>, claims sub/iat/exp, at most 900 s long, signed with the stage's app-token "
            "secret (README: App tokens). Invalid: 401 invalid_app_token; lapsed: 401 expired_app_token."
        ),
    },
    "consoleSession": {
        "type": "apiKey",
        "in": "cookie",
        "name": "igny8_session",
        "description": (
            "A person signed in to the console (POST /admin/console/session): the user pool's access "
            "token, HttpOnly. Requests that change anything also send the session's X-CSRF-Token."
        ),
    },
    "adminToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The local stack: the admin token it prints at start.",
    },
}
_SITE: dict[str, list[str]] = {"siteId": [], "siteKey": []}
_SECURITY: dict[Auth, list[dict[str, list[str]]]] = {
    Auth.PUBLIC: [],
    Auth.SITE_OPTIONAL: [{}, _SITE],
    Auth.SITE: [_SITE],
    Auth.ADMIN: [{"sigv4": []}, {"adminToken": []}],
    Auth.ADMIN_PAGE: [{"sigv4": []}, {"adminToken": []}],
    Auth.SESSION: [{"consoleSession": []}],
    Auth.SESSION_PAGE: [{}, {"consoleSession": []}],
}


@cache
def document(served: frozenset[Operation] | None = None) -> dict[str, Any]:
    """The document of the ``served`` operations (every declared route when None), without
    ``servers`` (which depends on the host it is served from)."""
    specs = [spec for spec in REGISTRY if served is None or (spec.path, spec.method) in served]
    schemas, refs = _schemas(specs)
    paths: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for spec in specs:
        operation = _operation(spec, refs)
        operation_id = spec.name if spec.name not in seen else f"{spec.name}_{len(seen)}"
        seen.add(operation_id)
        paths.setdefault(spec.path, {})[spec.method] = {"operationId": operation_id, **operation}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "IGNY8 plugin distribution",
            "version": _version(),
            "description": (
                "Packages, signs and serves IGNY8's plugins and their updates. Every error is "
                '`{"error": {"code", "message"}}`; bodies are JSON or form-encoded.'
            ),
        },
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR_SCHEMA, **view_schemas(REF_TEMPLATE), **schemas},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def _version() -> str:
    try:
        return version("igny8-plugin-distribution")
    except PackageNotFoundError:  # the Lambda bundle is not an installed distribution
        return "0"


def _schemas(
    specs: list[RouteSpec],
) -> tuple[dict[str, Any], dict[tuple[type[BaseModel], str], dict[str, Any]]]:
    """Every model's schema under components, and the ``$ref`` each (model, mode) is reached by."""
    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = set()
    for spec in specs:
        if spec.body is not None:
            wanted.add((spec.body, "validation"))
        for answer_model in (spec.response, spec.app_response):
            if isinstance(answer_model, type):
                wanted.add((answer_model, "serialization"))
    ordered = sorted(wanted, key=lambda item: (item[0].__name__, item[1]))
    refs, top = models_json_schema(ordered, ref_template=REF_TEMPLATE)
    by_model: dict[tuple[type[BaseModel], str], dict[str, Any]] = {}
    for (model, mode), ref in refs.items():
        assert isinstance(model, type) and issubclass(model, BaseModel)
        by_model[(model, mode)] = dict(ref)
    return top.get("$defs", {}), by_model


def _operation(spec: RouteSpec, refs: dict[tuple[type[BaseModel], str], dict[str, Any]]) -> dict[str, Any]:
    summary, _, description = spec.doc.partition("\n")
    operation: dict[str, Any] = {
        "summary": summary.strip() or spec.name,
        "tags": [spec.tag],
        "security": _SECURITY[spec.auth] + ([{"appToken": []}] if spec.app else []),
        "parameters": _parameters(spec.path_model, "path") + _parameters(spec.query, "query"),
        "responses": _responses(spec, refs),
    }
    if description.strip():
        operation["description"] = description.strip()
    if spec.auth in (Auth.ADMIN, Auth.ADMIN_PAGE):
        operation["x-amazon-apigateway-auth"] = {"type": "AWS_IAM"}
    if spec.role is not None:
        operation["x-igny8-role"] = spec.role.value
    if spec.forcing is not None:
        operation["x-igny8-force-role"] = spec.forcing.value
    if spec.body is not None:
        schema = refs[(spec.body, "validation")]
        required = bool(spec.body.model_json_schema().get("required"))
        operation["requestBody"] = {
            "required": required,
            "content": {media: {"schema": schema} for media in encodings(spec.body)},
        }
    return operation


def _parameters(model: type[BaseModel] | None, where: str) -> list[dict[str, Any]]:
    if model is None:
        return []
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": {k: v for k, v in prop.items() if k not in ("title", "description")},
            **({"description": prop["description"]} if "description" in prop else {}),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _responses(spec: RouteSpec, refs: dict[tuple[type[BaseModel], str], dict[str, Any]]) -> dict[str, Any]:
    error_content: dict[str, Any] = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    error = {
        "description": "Refused",
        "content": error_content,
    }
    responses: dict[str, Any] = {str(spec.status): _success(spec, refs)}
    if spec.app_response is not None:
        responses["200"] = {
            "description": "For a caller with an app token",
            "content": {"application/json": {"schema": refs[(spec.app_response, "serialization")]}},
        }
    for status in spec.also:
        responses[str(status)] = {
            "description": "Not modified: the copy the client holds (If-None-Match) is current."
        }
    if _shows_sign_in_page(spec):
        responses["401"] = {
            "description": "Not signed in: the sign-in page (token mode, or the console) or an error",
            "content": {"text/html": {"schema": {"type": "string"}}, **error_content},
        }
    if _shows_sign_in_page(spec) and spec.auth is Auth.SESSION_PAGE:
        responses["403"] = {
            "description": "Refused (a request from another site): the sign-in page saying why, or an error",
            "content": {"text/html": {"schema": {"type": "string"}}, **error_content},
        }
    responses["4XX"] = error
    responses["5XX"] = {**error, "description": "An internal error, with a request id to quote"}
    return responses


def _shows_sign_in_page(spec: RouteSpec) -> bool:
    """In token mode a browser is answered with the sign-in page (401, HTML) instead of an error:
    when it opens the dashboard, and when it posts the sign-in form (a wrong token, an unreadable
    form). Both are pages a person reads; a JSON client still gets the JSON error."""
    browser_form = spec.body is not None and FORM in encodings(spec.body)
    return spec.auth in (Auth.ADMIN_PAGE, Auth.SESSION_PAGE) and (
        spec.produces == "text/html" or browser_form
    )


def _success(spec: RouteSpec, refs: dict[tuple[type[BaseModel], str], dict[str, Any]]) -> dict[str, Any]:
    if not spec.produces:
        if spec.status in (301, 302, 303, 307):
            return {"description": "Redirect", "headers": {"Location": {"schema": {"type": "string"}}}}
        return {"description": "Done"}
    if spec.produces != "application/json":
        return {"description": "OK", "content": {spec.produces: {"schema": {"type": "string"}}}}
    if isinstance(spec.response, type):
        schema = refs[(spec.response, "serialization")]
    else:
        schema = spec.response or {"type": "object"}
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}
