"""``sites create|list|rotate|revoke``: the sites allowed to call the API, and their API keys.

A group of its own because sites are not plugins: nothing here touches a version, and a key is
the one secret the CLI ever shows (once, on create and rotate).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import click
from rich.console import Console

from igny8_cli import admin, render
from igny8_cli.context import App, Group
from igny8_cli.shared import given, yes_option


class _SiteUrl(click.ParamType[str, Any]):
    """An http(s) URL with a host, checked before any request is sent."""

    name = "url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        try:
            parts = urlsplit(text)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            parts = None
        if (
            parts is None
            or parts.scheme not in {"http", "https"}
            or not parts.hostname
            or text != text.strip()
        ):
            self.fail(
                f"{text!r} is not an http(s) URL with a host, e.g. https://shop.example.com", param, ctx
            )
        return text


@click.group(cls=Group)
def sites() -> None:
    """Register the sites allowed to call the API, and manage their API keys."""


@sites.command("create")
@click.argument("name")
@click.option("--url", required=True, type=_SiteUrl(), help="The site's address (http or https).")
@click.option("--site-id", help="Choose the site id [default: the server picks one].")
@click.pass_obj
def sites_create(app: App, *, name: str, url: str, site_id: str | None) -> None:
    """Register a site; its API key is shown this once."""
    answer = admin.create_site(app.target.admin_api(), given(name=name, url=url, site_id=site_id))
    app.out.result(answer, partial(_render_key, answer=answer, rotated=None))


@sites.command("list")
@click.pass_obj
def sites_list(app: App) -> None:
    """Every site, with its key prefix (never its key) and status."""
    document = admin.list_sites(app.target.admin_api())
    app.out.result(document, partial(render.site_list, sites=document["sites"]))


@sites.command("rotate")
@click.argument("site_id")
@click.pass_obj
def sites_rotate(app: App, *, site_id: str) -> None:
    """Issue a new API key; the previous one keeps working for a grace period."""
    answer = admin.site_action(app.target.admin_api(), site_id, "rotate")
    until = answer.get("previous_key_valid_until") or (answer.get("site") or {}).get(
        "previous_key_valid_until"
    )
    grace = f"the previous key keeps working until {until}" if until else "the previous key no longer works"
    app.out.result(answer, partial(_render_key, answer=answer, rotated=f"key rotated: {grace}"))


@sites.command("revoke")
@click.argument("site_id")
@yes_option
@click.pass_obj
def sites_revoke(app: App, *, site_id: str, yes: bool) -> None:
    """Shut a site out: its API key stops working at once."""
    if not (yes or app.out.as_json):
        click.confirm(f"Revoke site {site_id}? Its API key stops working at once.", abort=True)
    answer = admin.site_action(app.target.admin_api(), site_id, "revoke")
    app.out.result(answer, partial(render.site, site=answer.get("site") or {}))


def _render_key(console: Console, *, answer: Mapping[str, Any], rotated: str | None) -> None:
    render.new_key(
        console, site_doc=answer.get("site") or {}, api_key=str(answer.get("api_key")), rotated=rotated
    )
