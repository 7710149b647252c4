"""``GET /openapi.json``: the OpenAPI 3.1 document, served by each app for its own routes.

The document is generated from the route declarations (``api/openapi_document.py``), which
imports what only it needs (pydantic's JSON-schema generator, every answer's schema, the package
metadata). A function imports that on the first request for the document, not at its cold start:
the public function answers checks, and its document is asked for rarely (README: Cold starts).
Routes that describe an answer by hand use ``answer``, ``ref`` and ``list_of`` from here.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.cache_rules import ENCODING
from chalicelib.api.cacheable import links
from chalicelib.api.routing import route

#: One (path, method) an app serves, as Chalice registers it.
Operation = tuple[str, str]
#: Where a record's or model's schema is among the document's components.
REF_TEMPLATE = "#/components/schemas/{model}"


def ref(record: type[Any]) -> dict[str, Any]:
    """A reference to a record's answer view (``api/views.py``) among the document's schemas."""
    return {"$ref": REF_TEMPLATE.format(model=record.__name__)}


def list_of(record: type[Any]) -> dict[str, Any]:
    return {"type": "array", "items": ref(record)}


def answer(optional: tuple[str, ...] = (), **fields: dict[str, Any]) -> dict[str, Any]:
    """The schema of an answer that is an object of ``fields``, each present unless ``optional``."""
    return {
        "type": "object",
        "properties": fields,
        "required": sorted(set(fields) - set(optional)),
        "additionalProperties": False,
    }


def documentation(path: str) -> Blueprint:
    """A blueprint serving, at ``path``, the document of the app it is registered in: only that
    app's routes. Two apps share ``chalicelib`` (the public edge and the admin control plane, see
    README: Architecture), so the document is chosen by the app, not by what was imported; a
    blueprint serves one app, hence one per call."""
    docs = Blueprint(__name__)

    @route(docs, path)
    def openapi_view() -> Response:
        """This document: every route of this API, its inputs, answers and credentials."""
        request = docs.current_request
        served = frozenset(
            (route_path, method.lower())
            for route_path, entries in docs.current_app.routes.items()
            for method in entries
        )
        from chalicelib.api.openapi_document import document  # noqa: PLC0415 - see the module

        return Response(
            body={**document(served), "servers": [{"url": links(request.context, request.headers).base}]},
            headers={"Cache-Control": "public, max-age=300", "Vary": ENCODING},  # the same for everyone
        )

    return docs
