"""Field docstrings reach the JSON schema (the OpenAPI document) without being read at import."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.logic.answers import Package
from chalicelib.logic.attribute_docs import describe_fields
from chalicelib.logic.site_inputs import CheckUpdateQuery


class Base(BaseModel):
    model_config = ConfigDict(json_schema_extra=describe_fields)

    kept: int = 0
    """Inherited as it is."""
    replaced: int = 0
    """The parent's words."""


class Child(Base):
    replaced: int = 0
    """The child's own words."""
    renamed: int = Field(default=0, serialization_alias="shown_as")
    """Found under its alias."""
    typed: int = Field(default=0, description="the type's words")
    """The field's words win."""
    bare: int = 0


def _properties(model: type[BaseModel], mode: Any = "validation") -> dict[str, Any]:
    return dict(model.model_json_schema(mode=mode)["properties"])


def test_docstrings_describe_fields_the_subclass_over_its_parent() -> None:
    props = _properties(Child)
    assert props["kept"]["description"] == "Inherited as it is."
    assert props["replaced"]["description"] == "The child's own words."
    assert props["typed"]["description"] == "The field's words win."
    assert "description" not in props["bare"]
    assert _properties(Child, "serialization")["shown_as"]["description"] == "Found under its alias."


def test_the_service_schemas_carry_their_field_docstrings() -> None:
    assert _properties(Package, "serialization")["file_size"]["description"] == "The package's size in bytes."
    current = _properties(CheckUpdateQuery)["current_version"]["description"]
    assert current.startswith("The version the site runs")


def test_creating_a_model_reads_no_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cold starts: the classes a function imports are made without reading or parsing source."""

    def refuse(obj: object) -> str:
        raise AssertionError(f"source read at class creation for {obj!r}")

    monkeypatch.setattr(inspect, "getsource", refuse)
    monkeypatch.setattr(inspect, "findsource", refuse)

    class Made(Base):
        extra: int = 0
        """Only read when a schema is asked for."""

    assert Made(extra=2).extra == 2
