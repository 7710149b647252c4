"""What every record shares: its pydantic configuration and the value types that decide how
records show timestamps and empty text in the API's JSON (and in that JSON's schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, PlainSerializer, WithJsonSchema

from chalicelib.logic.moments import iso, iso_precise
from chalicelib.logic.percent import normalized


def _empty_is_null(text: str) -> str | None:
    return text or None


REVISION = "Optimistic-concurrency counter: a save succeeds only over the revision it read (0: new)."


#: Timestamps as the API shows them (``iso``: UTC, to the second, with a Z); in Python a datetime.
Moment = Annotated[
    datetime,
    PlainSerializer(iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
#: An audit moment keeps its microseconds: several entries of one operation share the second.
PreciseMoment = Annotated[
    datetime,
    PlainSerializer(iso_precise, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
#: Text that is empty until something happens, shown as null while empty.
EmptyIsNull = Annotated[
    str,
    PlainSerializer(_empty_is_null, return_type=str | None, when_used="json"),
]

#: Every record: an unknown field is an error (as a stdlib dataclass's TypeError), and output schemas
#: list every key as required, since a dump always writes them all. Built on first use: a cold
#: check-update builds only the records it reads, not every record (README: Cold starts).
RECORD_CONFIG = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True, defer_build=True)


#: A stored or answered percentage: normalized on construction and in JSON (``2.5``, ``10``).
Percentage = Annotated[
    float,
    AfterValidator(normalized),
    PlainSerializer(normalized, return_type=int | float, when_used="json"),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01}),
]
