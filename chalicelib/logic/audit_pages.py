"""Paging through an audit trail, newest first: a page of entries and a cursor to the older ones.

A trail grows without bound (every release action, every guard transition), and a person looking
for what happened last month must reach it: each page names where the next begins. The cursor is
opaque to clients, yet it is read back from them, so it is checked before any query: it must
decode to the trail it was made for and to a key of the shape the store gives (``KEY``). A forged,
truncated or foreign cursor is a 400 ``invalid_cursor`` and reads nothing; a well-formed one can
only ever name a position in the trail it is for, which that reader may read anyway.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Annotated, Any

from chalicelib.logic.errors import InvalidInput
from chalicelib.logic.fields import Rule
from chalicelib.logic.inputs import Query
from chalicelib.logic.model import AuditEntry
from chalicelib.logic.ports import Repository

#: Entries a page holds unless the reader asks for fewer.
PAGE = 100
#: What a store's position in a trail may look like: the audit table's sort key (a timestamp, the
#: append time and a random suffix, ``#``-separated), or any plain key of the same alphabet.
KEY = re.compile(r"[0-9A-Za-z:.+\-#]{1,80}")
#: Why a cursor that does not decode to one of ours is refused.
_FOREIGN = "this cursor was not made by this service: use the 'next' of an earlier page"
#: A cursor's length bound: the key, the scope and the JSON around them, base64-encoded.
CURSOR_MAX = 300


@dataclass(frozen=True)
class Cursor:
    """A decoded cursor: the trail (``scope``: a plugin's slug, or ``_sites``) and the position."""

    scope: str
    before: str


def _cursor(value: Any) -> Cursor:
    if not isinstance(value, str) or not 0 < len(value) <= CURSOR_MAX:
        raise ValueError("a cursor is the 'next' of an earlier page of this trail")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError):
        raise ValueError(_FOREIGN) from None
    if (
        not isinstance(decoded, dict)
        or set(decoded) != {"scope", "before"}
        or not all(isinstance(decoded[k], str) for k in decoded)
        or not KEY.fullmatch(decoded["before"])
    ):
        raise ValueError(_FOREIGN)
    return Cursor(decoded["scope"], decoded["before"])


AuditCursor = Annotated[
    Cursor,
    Rule("invalid_cursor", {"type": "string", "minLength": 1, "maxLength": CURSOR_MAX}, _cursor),
]


def _page_size(value: Any) -> int:
    text = str(value)
    if not text.isdigit() or not 1 <= int(text) <= PAGE:
        raise ValueError(f"limit is a whole number from 1 to {PAGE}")
    return int(text)


PageSize = Annotated[
    int, Rule("invalid_limit", {"type": "integer", "minimum": 1, "maximum": PAGE}, _page_size)
]


class AuditQuery(Query):
    cursor: AuditCursor | None = None
    """The ``next`` of an earlier page: the entries older than that page's last."""
    limit: PageSize = PAGE
    """Entries on this page, 1 to 100."""


def encode(scope: str, before: str) -> str:
    text = json.dumps({"scope": scope, "before": before}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def audit_page(repo: Repository, scope: str, query: AuditQuery) -> tuple[list[AuditEntry], str | None]:
    """The page of ``scope``'s trail ``query`` names, newest first, and the cursor to the older
    entries (None on the last page)."""
    if query.cursor is not None and query.cursor.scope != scope:
        raise InvalidInput("this cursor belongs to another audit trail", code="invalid_cursor")
    entries, last = repo.audit_page(scope, query.limit, query.cursor.before if query.cursor else None)
    return entries, encode(scope, last) if last is not None else None
