"""The audit trail's record: who changed what, and when."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic.dataclasses import dataclass

from chalicelib.logic.model.base import RECORD_CONFIG, PreciseMoment


@dataclass(frozen=True, config=RECORD_CONFIG)
class AuditEntry:
    """Who changed what, when, with the record's state before and after."""

    slug: str = Field(exclude=True, description="The plugin the entry belongs to (the URL names it).")
    at: PreciseMoment = Field(description="When the change was made, to the microsecond.")
    actor: str = Field(description="Who made it: the IAM principal, or the local admin.")
    action: str = Field(description="What was done (release, pull, configure-plugin, ...).")
    version: str | None = Field(description="The version changed, if the change was to one.")
    before: dict[str, Any] = Field(description="The changed fields before.")
    after: dict[str, Any] = Field(description="The changed fields after.")
