"""The pages built from ``console_ui/``: each file there does one job (the shell, a view, the ZIP
writer, the styles), and a page is assembled from them at each request, every script and style
inlined under that answer's CSP nonce.

Why inlined rather than served as files: the CSP then allows nothing but this answer's own code
(``script-src 'nonce-...'``, no ``'self'``), so no other answer of this origin (a JSON error, a
plugin's readme) can ever be run as script, and the page needs no route of its own per asset.
There is no build step and no CDN: what is in ``console_ui/`` is what the browser runs.
"""

from __future__ import annotations

import html
import secrets
from functools import cache
from pathlib import Path

from chalicelib.logic.roles import Person

UI = Path(__file__).with_name("console_ui")

#: The machine dashboard's (``/admin/dashboard``) styles and scripts, in order.
DASHBOARD_STYLES = ("base.css",)
DASHBOARD_SCRIPTS = ("api.js", "charts.js")
#: The console's, in order: helpers first, the router last.
CONSOLE_STYLES = ("base.css", "console.css")
CONSOLE_SCRIPTS = (
    "api.js",
    "dialog.js",
    "charts.js",
    "plugins.js",
    "actions.js",
    "plan.js",
    "rollout.js",
    "zip.js",
    "upload.js",
    "sites.js",
    "audit.js",
    "main.js",
)


@cache
def ui_file(name: str) -> str:
    return (UI / name).read_text(encoding="utf-8")


def assemble(
    template: str,
    nonce: str,
    values: dict[str, str],
    *,
    styles: tuple[str, ...],
    scripts: tuple[str, ...],
    panel_heading: str,
) -> str:
    """``template`` with the shared ``<head>`` (``{{head}}``), ``{{name}}`` replaced by each escaped
    value (``title`` and ``csrf`` among them), the statistics' markup (``{{stats}}``, its panels
    headed by ``panel_heading``), then the styles and scripts. Our own files go in last, so that
    nothing in them is ever taken for a placeholder."""
    page = template.replace("{{head}}", ui_file("head.html")).replace("{{nonce}}", nonce)
    for name, value in values.items():
        page = page.replace("{{" + name + "}}", html.escape(value))
    page = page.replace("{{stats}}", ui_file("stats.html").replace("{{panel_heading}}", panel_heading))
    page = page.replace("{{styles}}", "\n".join(ui_file(name) for name in styles))
    return page.replace(
        "{{scripts}}", "\n".join(f'<script nonce="{nonce}">\n{ui_file(name)}</script>' for name in scripts)
    )


def console_body(person: Person, csrf: str, nonce: str) -> str:
    """The console for ``person``: their name and role are data attributes the page reads to show
    only what the role allows (the API still checks every call); ``csrf`` goes in a meta tag."""
    values = {
        "title": "IGNY8 plugins · console",
        "csrf": csrf,
        "role": person.role.value,
        "actor": person.actor,
    }
    return assemble(
        ui_file("index.html"),
        nonce,
        values,
        styles=CONSOLE_STYLES,
        scripts=CONSOLE_SCRIPTS,
        panel_heading="h4",
    )


def new_nonce() -> str:
    return secrets.token_urlsafe(16)
