"""The one exception the CLI raises for anything the user has to read.

Commands never print their own errors: they raise ``CliError`` and the command group reports it
once, as ``error: <message> (<code>)`` or as a JSON document, so ``--json`` output stays a single
document on stdout whatever goes wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class CliError(Exception):
    """A failure with a stable ``code`` for scripts and a ``message`` for people.

    ``status`` keeps the HTTP status of an API error, so callers can treat some answers (a 404
    while the packager has not registered a plugin yet) as "not yet" rather than as failures.
    """

    def __init__(
        self, code: str, message: str, *, status: int | None = None, details: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = dict(details or {})

    def as_json(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.details}}
