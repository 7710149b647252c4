"""What a caller may ask, and how it is read: the base of every request body and query string.

The API parses each request into a model before any logic runs (``api/bodies.py``), the OpenAPI
document publishes their JSON schemas, and logic takes them typed, never as ``dict``s. Bodies
refuse unknown fields (a typo must not be silently ignored by a release command); the query
strings WordPress and plugin-update-checker send carry extra parameters of their own, so those
models ignore what they do not declare.

The models themselves live by who sends them: ``site_inputs`` (public and site routes, the public
function) and ``commands`` (the control plane's admin and console), so the public function never
creates a class only the control plane reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.logic.attribute_docs import describe_fields
from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.fields import FIELD_CODES

M = TypeVar("M", bound=BaseModel)
_SHAPE_CODES = {"extra_forbidden": "unknown_field", "missing": "missing_field"}


def parse(model: type[M], data: Mapping[str, Any], where: str) -> M:
    """``data`` as ``model``, or ``InvalidInput`` naming the first faulty field and its fault."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # An unknown field first: "version[]=1" is a misspelt field, not a missing "version".
        first = min(exc.errors(include_url=False), key=lambda error: error["type"] != "extra_forbidden")
        kind = str(first["type"])
        name = ".".join(str(part) for part in first["loc"]) or where
        code = kind if kind in FIELD_CODES else _SHAPE_CODES.get(kind, "invalid_field")
        if code == "unknown_field":
            message = f"unknown {where} field {name!r}"
        elif code == "missing_field":
            message = f"missing {where} field {name!r}"
        else:
            message = f"{where} field {name!r}: {first['msg']}"
        raise InvalidInput(message, code=code) from None


class Body(BaseModel):
    """A request body: exactly the declared fields, each validated by its field type."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra=describe_fields, defer_build=True
    )
    #: Also read form-encoded: what ``wp_remote_post()`` and a browser's form send. Admin bodies
    #: are JSON only (a form there is a client sending the wrong thing).
    form: ClassVar[bool] = False

    def given(self) -> set[str]:
        """The fields the caller sent (a PATCH changes only those)."""
        return set(self.model_fields_set)


class Query(BaseModel):
    """A query string: the declared parameters, anything else ignored (clients add their own)."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, json_schema_extra=describe_fields, defer_build=True
    )
