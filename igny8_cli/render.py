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
    # Folded, not cut: a wrapped column may hold S3 keys and ids, which have no spaces to break at.
    columns = [
        Column(header, no_wrap=header not in wrap, overflow="fold" if header in wrap else "ellipsis")
        for header in headers
    ]
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


#: Printed under every API key, the one time the server hands it out.
KEY_WARNING = "Store it now: it will not be shown again."

#: Cells of the widest bar; bars use eighth blocks, so a share moves it by 1/160.
BAR_WIDTH = 20
_EIGHTHS = " ▏▎▍▌▋▊▉"

#: Sites listed by id under "sites below the forced version" before the rest is only counted.
_SITES_SHOWN = 10


def site(console: Console, *, site: Mapping[str, Any]) -> None:
    """One site on one line: id, name, url, key prefix, status and its latest change."""
    parts = [str(site.get("site_id")), f"{site.get('name')}", f"{site.get('url')}"]
    parts += [f"key {site.get('key_prefix') or '-'}...", f"{site.get('status')}"]
    parts.append(f"created {_minutes(site.get('created_at')) or '-'}")
    if site.get("rotated_at"):
        parts.append(f"rotated {_minutes(site['rotated_at'])}")
    if site.get("revoked_at"):
        parts.append(f"revoked {_minutes(site['revoked_at'])}")
    line(console, "  ".join(parts))


def site_list(console: Console, *, sites: Sequence[Mapping[str, Any]]) -> None:
    if not sites:
        line(console, "no sites yet: add one with `igny8-plugins sites create NAME --url URL`")
        return
    rows = (
        (
            s.get("site_id"),
            s.get("name"),
            s.get("url"),
            f"{s['key_prefix']}..." if s.get("key_prefix") else None,
            Text(str(s.get("status")), style="green" if s.get("status") == "active" else "red"),
            _minutes(s.get("created_at")),
            _changed(s),
        )
        for s in sites
    )
    headers = ("Site", "Name", "URL", "Key", "Status", "Created", "Rotated / revoked")
    console.print(table(headers, rows, wrap=("Name", "URL")))


def new_key(console: Console, *, site_doc: Mapping[str, Any], api_key: str, rotated: str | None) -> None:
    """A created or rotated site and its key: the only output that ever holds a key."""
    site(console, site=site_doc)
    if rotated is not None:
        line(console, rotated)
    line(console, f"API key: {api_key}")
    console.print(KEY_WARNING, style="bold yellow", markup=False)


def stats(console: Console, *, document: Mapping[str, Any]) -> None:
    """The plugin's report: headline numbers, versions, downloads per day, adoption, failing sites."""
    line(
        console,
        f"{document.get('slug')}: last {document.get('days')} days "
        f"(generated {_minutes(document.get('generated_at')) or '-'})",
    )
    console.print(table(("Headline", "Value"), _headline(document)))
    downloads = _section(document, "downloads")
    _heading(console, "Version distribution (installations)")
    versions = document.get("version_distribution") or []
    rows = [(v.get("version"), v.get("count"), _share(v.get("share")), v.get("share")) for v in versions]
    _bars(console, ("Version", "Sites", "Share"), rows)
    per_version = downloads.get("per_version") or {}
    if per_version:
        line(console, "downloads per version: " + ", ".join(f"{v} {n}" for v, n in per_version.items()))
    _heading(console, "Downloads per day")
    days = downloads.get("per_day") or []
    peak = max((_number(d.get("count")) for d in days), default=0) or 1
    _bars(
        console,
        ("Day", "Downloads"),
        [(d.get("day"), d.get("count"), _number(d.get("count")) / peak) for d in days],
    )
    _adoption(console, _section(document, "adoption"))
    _failing(console, _section(document, "health"))


def _headline(document: Mapping[str, Any]) -> list[tuple[str, Any]]:
    installs, updates = _section(document, "installations"), _section(document, "updates")
    health, forced = _section(document, "health"), _section(document, "forced")
    active = f"{_or_zero(installs.get('active'))} active / {_or_zero(installs.get('total'))} total"
    if installs.get("active_days") is not None:
        active += f" (active: seen in the last {installs['active_days']} days)"
    rate = _share(updates.get("success_rate"))
    if rate is None:
        rate = "no data (no updates offered)"
    else:
        rate += f" ({_or_zero(updates.get('succeeded'))} of {_or_zero(updates.get('offered'))} offered)"
    if forced.get("version"):
        below = f"{_or_zero(forced.get('sites_below'))} below {forced['version']}"
        ids = [str(i) for i in forced.get("site_ids") or []]
        if ids:
            more = len(ids) - _SITES_SHOWN
            below += ": " + ", ".join(ids[:_SITES_SHOWN]) + (f" and {more} more" if more > 0 else "")
    else:
        below = "no forced version"
    return [
        ("Downloads", _or_zero(_section(document, "downloads").get("total"))),
        ("Installations", active),
        ("Update success rate", rate),
        ("Failing health checks", _or_zero(health.get("failing"))),
        ("Sites below forced version", below),
    ]


def _adoption(console: Console, adoption: Mapping[str, Any]) -> None:
    version_ = adoption.get("version")
    if not version_:
        _heading(console, "Adoption")
        line(console, "no data")
        return
    released = _minutes(adoption.get("released_at"))
    _heading(console, f"Adoption of {version_}" + (f" (released {released})" if released else ""))
    curve = adoption.get("curve") or []
    rows = [(f"{p.get('hours')} h", _share(p.get("share")), p.get("share")) for p in curve]
    _bars(console, ("After", "Share"), rows)
    hours = adoption.get("time_to_80_hours")
    reached = f"{_number(hours):g} h" if isinstance(hours, int | float) else "not reached"
    line(console, f"time to 80%: {reached}")


def _failing(console: Console, health: Mapping[str, Any]) -> None:
    _heading(console, "Failing sites")
    failing = health.get("sites") or []
    if not failing:
        line(console, "none")
        return
    rows = ((s.get("site_id"), s.get("status"), _minutes(s.get("at"))) for s in failing)
    console.print(table(("Site", "Status", "Last report"), rows))


def _bars(console: Console, headers: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """A table of ``rows`` whose last item, a fraction (0-1), is drawn as a bar; "no data" if empty."""
    if not rows:
        line(console, "no data")
        return
    cells = [(*row[:-1], Text(bar(row[-1]), style="cyan")) for row in rows]
    console.print(table((*headers, ""), cells))


def bar(fraction: Any, width: int = BAR_WIDTH) -> str:
    """``█`` blocks (and an eighth block for the rest) for a fraction of ``width`` cells."""
    eighths = round(min(max(_number(fraction), 0.0), 1.0) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[rest] if rest else "")


def _heading(console: Console, text: str) -> None:
    console.print()
    console.print(text, style="bold", markup=False)


def _section(document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = document.get(name)
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _or_zero(value: Any) -> Any:
    return 0 if value is None else value


def _share(value: Any) -> str | None:
    """0.75 -> "75%", 1/3 -> "33.3%"; None (no data) stays None."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return f"{value * 100:.1f}".removesuffix(".0") + "%"


def _changed(site_doc: Mapping[str, Any]) -> str | None:
    if site_doc.get("revoked_at"):
        return f"revoked {_minutes(site_doc['revoked_at'])}"
    if site_doc.get("rotated_at"):
        return f"rotated {_minutes(site_doc['rotated_at'])}"
    return None
