"""Request bytes into typed values: the one place a body, a query string or a path is read.

Every route's inputs are declared as models (``logic/inputs.py``) and field types
(``logic/fields.py``); here they are decoded and validated, and every way they can be wrong is
answered with one vocabulary:

- the request's shape: ``invalid_json``, ``invalid_form``, ``body_too_large``, ``body_too_deep``,
  ``invalid_unicode``, ``unsupported_media_type`` (415), ``unknown_field``, ``missing_field``, ``invalid_field`` (a
  value of the wrong JSON type for a plain field);
- a value's grammar: its field type's own code (``invalid_version``, ``invalid_slug``...).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel

from chalicelib.logic.errors import DomainError, InvalidInput
from chalicelib.logic.inputs import parse

M = TypeVar("M", bound=BaseModel)

#: Site and admin bodies are small; anything bigger is refused before parsing.
MAX_BODY_BYTES = 64 * 1024
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
#: What a body may be sent as: JSON, or what ``wp_remote_post()`` sends for an array body.
BODY_TYPES = (JSON, FORM)
_MAX_FORM_FIELDS = 50
#: How deep a JSON body may nest (our bodies are flat objects; deeper is an attack or a mistake).
MAX_BODY_DEPTH = 16


class UnsupportedMediaType(DomainError):
    """A body in an encoding the route does not read (answered 415)."""

    code = "unsupported_media_type"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", maxsplit=1)[0].strip().lower()


def parse_body(model: type[M], raw: str | bytes | None, content_type: str | None) -> M:
    return parse(model, body_fields(raw, content_type, encodings(model)), "body")


def encodings(model: type[BaseModel]) -> tuple[str, ...]:
    """The media types a body model is read from (``Body.form``)."""
    return BODY_TYPES if getattr(model, "form", False) else (JSON,)


def parse_query(model: type[M], params: Mapping[str, str] | None) -> M:
    """The query string as ``model`` (a repeated parameter counts once, with its last value)."""
    values = dict(params or {})
    _check_nesting(values)
    return parse(model, values, "query")


def body_fields(
    raw: str | bytes | None, content_type: str | None, accepted: tuple[str, ...]
) -> dict[str, Any]:
    """The fields of a JSON object or of a form-encoded body (an empty body of any type is ``{}``).
    Each form field must appear once (``a[]=`` arrays are refused as unknown fields)."""
    if not raw:
        return {}
    kind = media_type(content_type) or JSON
    if kind not in accepted:
        raise UnsupportedMediaType(f"this route reads {' or '.join(accepted)} bodies, not {kind}")
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput(f"request body is larger than {MAX_BODY_BYTES} bytes", code="body_too_large")
    return _json_object(raw) if kind == JSON else _form(raw)


def _json_object(raw: str | bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError:  # also UnicodeDecodeError, and numbers over Python's 4300 digits
        raise InvalidInput("request body is not valid UTF-8 JSON", code="invalid_json") from None
    if not isinstance(value, dict):
        raise InvalidInput("request body must be a JSON object", code="invalid_json")
    _check_nesting(value)
    return value


def _form(raw: str | bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=_MAX_FORM_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("request body is not a valid UTF-8 form", code="invalid_form") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInput("a form field appears more than once", code="invalid_form")
    return fields


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _too_deep() -> InvalidInput:
    return InvalidInput(f"request body nests deeper than {MAX_BODY_DEPTH} levels", code="body_too_deep")


def _check_nesting(value: Any) -> None:
    """Refuse bodies nested deeper than ``MAX_BODY_DEPTH`` and strings with lone surrogates
    (``"\\ud800"`` parses, but cannot be stored or encoded again)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise InvalidInput("the request holds invalid Unicode", code="invalid_unicode") from None
        elif isinstance(item, dict | list):
            if depth > MAX_BODY_DEPTH:
                raise _too_deep()
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
