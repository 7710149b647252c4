"""DynamoDB items derived from the domain's records (``chalicelib.logic.model``).

A table model names its record as the type argument of ``RecordTable`` and declares only what is
DynamoDB's own: its keys, its indexes, key attributes computed from the record (``derived``) and
fields stored under an older attribute name (``stored_names``). Every other attribute comes from the
record's fields, so adding a field to a record adds it to the table, with the field's default for
items stored before it existed. Attributes an item has and the record lacks are ignored on read.

The mapping, field type -> attribute: ``str`` (and ``StrEnum``) -> ``UnicodeAttribute``, ``int`` ->
``NumberAttribute``, ``bool`` -> ``BooleanAttribute``, ``datetime`` -> ``UTCDateTimeAttribute``,
``dict[str, ...]`` -> a raw ``MapAttribute``, ``list[str]`` -> ``ListAttribute``, ``list[int]`` and ``list[float]`` -> a ``ListAttribute`` of numbers, a nested record
-> a ``MapAttribute`` with that record's attributes; ``X | None`` is ``null=True``. A type outside
this list fails at import, not on the first write.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from types import NoneType, UnionType
from typing import Annotated, Any, ClassVar, Generic, Self, TypeVar, Union, cast, get_args, get_origin

from pydantic.dataclasses import is_pydantic_dataclass
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

R = TypeVar("R")


class RecordTable(Model, Generic[R]):
    """A table whose items each hold one ``R``, with the attributes derived from ``R``'s fields."""

    #: The record stored, taken from the class's ``RecordTable[...]`` base.
    record: ClassVar[type[Any]]
    #: Field name -> the attribute name it is stored under, where the two differ.
    stored_names: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Runs inside class creation, before pynamodb's metaclass collects the attributes, so the
        # derived ones are collected exactly as declared ones are.
        super().__init_subclass__(**kwargs)
        cls.record = _record_argument(cls)
        for name, attribute in record_attributes(cls.record, cls.stored_names).items():
            declared = getattr(cls, name, None)
            if isinstance(declared, Attribute):
                continue  # a key the table declares (with its key role) stores the field
            if declared is not None:
                raise TypeError(f"{cls.__name__}: field {name!r} clashes with pynamodb's Model.{name}")
            attribute.__set_name__(cls, name)
            setattr(cls, name, attribute)

    @classmethod
    def derived(cls, record: R) -> dict[str, Any]:
        """Attributes that are no field of the record (sort keys, codes), computed from it."""
        return {}

    @classmethod
    def from_record(cls, record: R, **overrides: Any) -> Self:
        """The item storing ``record``; ``overrides`` set attributes the write decides (revision)."""
        values = {
            field.name: _stored(getattr(record, field.name)) for field in dataclasses.fields(cls.record)
        }
        return cls(**{**values, **cls.derived(record), **overrides})

    def to_record(self) -> R:
        values = {field.name: _read(getattr(self, field.name)) for field in dataclasses.fields(self.record)}
        return cast(R, self.record(**values))

    @classmethod
    def attribute(cls, name: str) -> Attribute[Any]:
        """A derived attribute, for conditions (declared ones are class attributes as usual)."""
        return cls.get_attributes()[name]


def record_attributes(record: type[Any], stored_names: Mapping[str, str] = {}) -> dict[str, Attribute[Any]]:
    """One new attribute per field of ``record``: a fresh instance each call, as pynamodb binds an
    attribute to the class that holds it."""
    fields: dict[str, FieldInfo] = record.__pydantic_fields__
    unknown = set(stored_names) - set(fields)
    if unknown:
        raise TypeError(f"stored_names: {record.__name__} has no field {', '.join(sorted(unknown))}")
    return {name: _attribute(record, name, info, stored_names.get(name)) for name, info in fields.items()}


def _record_argument(table: type[RecordTable[Any]]) -> type[Any]:
    for base in table.__dict__.get("__orig_bases__", ()):
        if get_origin(base) is RecordTable:
            (record,) = get_args(base)
            if not is_pydantic_dataclass(record):
                raise TypeError(f"{table.__name__}: {record!r} is not a record (a pydantic dataclass)")
            return cast(type[Any], record)
    inherited: type[Any] | None = getattr(table, "record", None)
    if inherited is None:
        raise TypeError(f"{table.__name__} must name its record: class {table.__name__}(RecordTable[Record])")
    return inherited


#: ``bool`` is looked up by identity, before ``int`` could claim it.
_SCALARS: dict[Any, type[Attribute[Any]]] = {
    bool: BooleanAttribute,
    int: NumberAttribute,
    float: NumberAttribute,
    datetime: UTCDateTimeAttribute,
}


def _attribute(record: type[Any], name: str, info: FieldInfo, attr_name: str | None) -> Attribute[Any]:
    kind, nullable = _unwrap(info.annotation)
    options: dict[str, Any] = {"attr_name": attr_name}
    if nullable:
        options["null"] = True
    if info.default_factory is not None:
        options["default"] = info.default_factory
    elif info.default is not PydanticUndefined and info.default is not None:
        options["default"] = _stored(info.default)
    if kind in _SCALARS:
        return _SCALARS[kind](**options)
    if isinstance(kind, type) and issubclass(kind, str):
        return UnicodeAttribute(**options)
    if get_origin(kind) is dict and get_args(kind)[0] is str:
        return MapAttribute[str, Any](**options)
    if get_origin(kind) is list and get_args(kind) == (str,):
        return ListAttribute[str](**options)
    if get_origin(kind) is list and _unwrap(get_args(kind)[0])[0] in (int, float):
        return ListAttribute[NumberAttribute](of=NumberAttribute, **options)
    if is_pydantic_dataclass(kind):
        return _map_of(cast(type[Any], kind))(**options)
    raise TypeError(f"{record.__name__}.{name}: no DynamoDB attribute for {info.annotation!r}")


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The stored type under ``Annotated`` and ``| None``, and whether None is allowed."""
    if get_origin(annotation) is Annotated:
        return _unwrap(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        members = [member for member in get_args(annotation) if member is not NoneType]
        if len(members) != 1:
            raise TypeError(f"no DynamoDB attribute for the union {annotation!r}")
        return _unwrap(members[0])[0], True
    return annotation, False


def _map_of(record: type[Any]) -> type[MapAttribute[str, Any]]:
    """A nested record's ``MapAttribute``, named as pynamodb models' hand-written ones were."""
    return cast(
        type[MapAttribute[str, Any]],
        type(f"{record.__name__}Attribute", (MapAttribute,), record_attributes(record)),
    )


def _stored(value: Any) -> Any:
    """A field's value as its attribute takes it: nested records as dicts, enums as their value,
    containers copied (changing the record after a save must not change the item)."""
    if is_pydantic_dataclass(type(value)):
        return {field.name: _stored(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _read(value: Any) -> Any:
    """An attribute's value as the record's field takes it (pydantic builds nested records and
    enums from the plain values)."""
    if isinstance(value, MapAttribute):
        return value.as_dict()
    if isinstance(value, list):
        return list(value)
    return value
