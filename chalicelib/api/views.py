"""The API's representation of records: each answer's JSON is the record's own dump, and its schema
the record's own serialization schema, so what an answer shows is declared once, on the record.

The record declares it all (``chalicelib.logic.model``): ``Field(exclude=True)`` on what no answer
shows (key hashes, revisions, the rollout salt, the site's telemetry), ``Moment`` for timestamps
written by ``iso``, computed fields for what an answer adds (``version_code``, ``checksum``, a
site's ``status``). Nothing here lists a field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

from pydantic import TypeAdapter

from chalicelib.logic.model import AuditEntry, Installation, Plugin, PluginVersion, Site

#: The records the API shows, in the order their schemas are listed.
VIEWED: tuple[type[Any], ...] = (Plugin, PluginVersion, Site, Installation, AuditEntry)

Viewed: TypeAlias = Plugin | PluginVersion | Site | Installation | AuditEntry


def view(record: Viewed) -> dict[str, Any]:
    """``record`` as the API answers with it (a subclass shows its own added fields too)."""
    shown: dict[str, Any] = _adapter(type(record)).dump_python(record, mode="json")
    return shown


version_json: Callable[[PluginVersion], dict[str, Any]] = view
plugin_json: Callable[[Plugin], dict[str, Any]] = view
site_json: Callable[[Site], dict[str, Any]] = view
installation_json: Callable[[Installation], dict[str, Any]] = view
audit_json: Callable[[AuditEntry], dict[str, Any]] = view


def view_schemas(ref_template: str = "#/components/schemas/{model}") -> dict[str, dict[str, Any]]:
    """The JSON schema of every view, by record name (``Plugin``, ``PluginVersion``, ``Site``,
    ``Installation``, ``AuditEntry``), with those they refer to (``Failure``, ``Status``,
    ``Platform``), each ``$ref`` written with ``ref_template``: an OpenAPI document's
    ``components/schemas`` as they are. Built on call, not at import (cold start)."""
    _, definitions = TypeAdapter.json_schemas(
        [(record.__name__, "serialization", _adapter(record)) for record in VIEWED], ref_template=ref_template
    )
    schemas: dict[str, dict[str, Any]] = definitions["$defs"]
    return schemas


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(record: type[Any]) -> TypeAdapter[Any]:
    """One adapter per record type, built on first use (building one costs more than a dump)."""
    adapter = _ADAPTERS.get(record)
    if adapter is None:
        adapter = _ADAPTERS[record] = TypeAdapter(record)
    return adapter
