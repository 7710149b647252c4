"""Field descriptions taken from attribute docstrings when a JSON schema is generated, not at import.

Answers, bodies and queries document each field with the docstring under it. pydantic's own
``use_attribute_docstrings`` reads those while each class is being created: on Python 3.11 it walks
the importing frames (``inspect.getmodule`` per frame) and re-parses the class's source, about
150 ms of CPU per cold start for some fifty classes, paid by every function although only the
OpenAPI document shows a description. Reading them here, from ``json_schema_extra``, moves that cost
to the first schema a process generates (the OpenAPI route, tests) and keeps the docstrings as
the single place a field is described.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from functools import cache
from typing import Any

from pydantic import BaseModel


@cache
def _own_docstrings(cls: type[Any]) -> dict[str, str]:
    """The docstrings under the attributes this class itself declares."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):  # no source shipped: descriptions are documentation, not behaviour
        return {}
    statement = ast.parse(source).body[0]
    if not isinstance(statement, ast.ClassDef):
        return {}
    docs: dict[str, str] = {}
    for node, following in zip(statement.body, statement.body[1:], strict=False):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = inspect.cleandoc(following.value.value)
    return docs


def attribute_docstrings(cls: type[Any]) -> dict[str, str]:
    """Every field's docstring, a subclass's own over the one it inherits."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if isinstance(klass, type) and issubclass(klass, BaseModel) and klass is not BaseModel:
            docs.update(_own_docstrings(klass))
    return docs


def describe_fields(schema: dict[str, Any], cls: type[Any]) -> None:
    """``json_schema_extra``: each documented field's property takes its docstring, over a description
    its type carries (the field's own words are the more specific, as with pydantic's option)."""
    docs = attribute_docstrings(cls)
    fields = getattr(cls, "model_fields", {})
    for name, field in fields.items():
        key = field.serialization_alias or field.alias or name
        prop = schema.get("properties", {}).get(key)
        if isinstance(prop, dict) and name in docs:
            prop["description"] = docs[name]
