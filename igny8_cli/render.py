"""How results look to people. Every function takes the console ``Output.result`` hands it.

Under ``--json`` none of this runs: the commands' documents are printed as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from igny8_cli.verify import Check

#: How a check's outcome reads in the table, and its colour.
_OUTCOMES = {"ok": "green", "FAIL": "bold red", "info": "yellow"}


def version(console: Console, *, slug: str, version: Mapping[str, Any]) -> None:
    parts = [f"{slug} {version.get('version')}: {version.get('status')}"]
    if version.get("channel"):
        parts.append(f"channel {version['channel']}")
    if version.get("rollout_percent") is not None and version["rollout_percent"] != 100:
        parts.append(f"rollout {version['rollout_percent']}%")
    if version.get("force_update"):
        parts.append("forced")
    if version.get("file_size") is not None:
        parts.append(f"{version['file_size']:,} bytes")
    if version.get("sha256"):
        parts.append(f"sha256 {version['sha256']}")
    line(console, "  ".join(parts))


def version_change(console: Console, *, slug: str, answer: Mapping[str, Any]) -> None:
    """The answer of a transition: the version, and how many sites were told when that applies."""
    version(console, slug=slug, version=answer["version"])
    if "installations_notified" in answer:
        line(console, f"{answer['installations_notified']} installations notified")


def rollback(console: Console, *, slug: str, answer: Mapping[str, Any]) -> None:
    built = answer.get("packaged")
    if isinstance(built, Mapping):
        version(console, slug=slug, version=built)
    else:
        line(console, f"{slug} {answer.get('version')}: packaging from {answer.get('source_key')}")
    line(console, f"pulled: {answer.get('pulled') or 'nothing'}")


def status(
    console: Console, *, document: Mapping[str, Any], audit: Sequence[Mapping[str, Any]] | None = None
) -> None:
    plugin = document["plugin"]
    header = (
        f"{plugin.get('name')} ({plugin.get('slug')})  {plugin.get('platform')}  latest: {latest(plugin)}"
    )
    if plugin.get("is_active") is False:
        header += "  (inactive)"
    line(console, header)
    failure = plugin.get("last_failure")
    if failure:
        reason = f"{failure.get('message')} ({failure.get('code')})"
        line(console, f"last failure: {reason} from {failure.get('source_key')}")
    rows = (
        (
            v.get("version"),
            v.get("status"),
            v.get("channel"),
            _percent(v.get("rollout_percent")),
            "yes" if v.get("force_update") else None,
            f"{v['file_size']:,}" if v.get("file_size") is not None else None,
            v["sha256"][:12] if v.get("sha256") else None,
            _minutes(v.get("released_at")),
            v.get("failure_reason"),
        )
        for v in document.get("versions", [])
    )
    # Identifiers stay on one line; only the free-text failure reason wraps on narrow terminals.
    headers = ("Version", "Status", "Channel", "Rollout", "Forced", "Size", "SHA-256", "Released", "Failure")
    console.print(table(headers, rows, wrap=("Failure",)))
    if audit is not None:
        line(console, "audit, newest first:")
        audit_rows = (
            (
                _minutes(e.get("at")),
                e.get("actor"),
                e.get("action"),
                e.get("version"),
                e.get("before"),
                e.get("after"),
            )
            for e in audit
        )
        console.print(
            table(
                ("At", "Actor", "Action", "Version", "Before", "After"), audit_rows, wrap=("Before", "After")
            )
        )


def checks(console: Console, *, slug: str, version: str, items: Sequence[Check]) -> None:
    """One row per check with ok / FAIL / info, then the verdict."""
    rows = ((c.name, Text(c.outcome, style=_OUTCOMES[c.outcome]), c.detail) for c in items)
    console.print(table(("Check", "Result", "Detail"), rows, wrap=("Detail",)))
    failed = [c.name for c in items if not c.ok]
    line(console, f"{slug} {version}: {'FAILED: ' + ', '.join(failed) if failed else 'all passed'}")


def sites(console: Console, *, answer: Mapping[str, Any]) -> None:
    """What a site on ``current_version`` is told by check-update."""
    keys = ("current_version", "update_available", "latest_version", "force_update")
    console.print(table(("Sites see", "Value"), [(key, answer.get(key)) for key in keys]))


def latest(plugin: Mapping[str, Any]) -> str:
    """The plugin's latest version per channel: "stable 1.1.0, beta 1.2.0-beta1"."""
    return ", ".join(f"{channel} {number}" for channel, number in (plugin.get("latest") or {}).items()) or "-"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, wrap: Sequence[str] = ()) -> Table:
    """A plain table; every column stays on one line except those named in ``wrap``."""
    columns = [Column(header, no_wrap=header not in wrap) for header in headers]
    result = Table(*columns, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for row in rows:
        result.add_row(*(value if isinstance(value, Text) else Text(_cell(value)) for value in row))
    return result


def line(console: Console, text: str) -> None:
    # markup=False: versions, keys and server messages may contain "[...]", which rich would eat.
    console.print(text, markup=False, soft_wrap=True)


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={_cell(item)}" for key, item in value.items())
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def _percent(value: Any) -> str | None:
    return None if value is None else f"{value}%"


def _minutes(timestamp: str | None) -> str | None:
    """ISO-8601 cut to minutes: enough to tell releases apart, and it leaves room for failure reasons."""
    return timestamp[:16].replace("T", " ") if timestamp else None
