"""Wiring only: the control plane, a Chalice project of its own beside the public edge (../app.py):
the admin API (``/admin/...``: plugins, versions, releases, sites, the dashboard and its
session), the packager's queue consumer and the scheduled jobs. Behaviour lives in chalicelib/
(``admin/chalicelib`` links to the project's one copy; ``chalice package`` follows the link).

Its own functions and roles: only these write release state, and only the packager reads the
signing key and writes packages/ (README: Architecture).
"""

from chalicelib.api.accounts import accounts
from chalicelib.api.admin import admin
from chalicelib.api.console import console
from chalicelib.api.dashboard import dashboard
from chalicelib.api.openapi import documentation
from chalicelib.api.overview import overview
from chalicelib.api.rollouts import rollouts
from chalicelib.api.service import new_app
from chalicelib.events.packager import packager
from chalicelib.events.rollout_guard import guard

app = new_app("igny8-plugins-admin")
app.register_blueprint(admin)
app.register_blueprint(dashboard)
app.register_blueprint(console)
app.register_blueprint(accounts)
app.register_blueprint(overview)
app.register_blueprint(documentation("/admin/openapi.json"))
app.register_blueprint(packager)
app.register_blueprint(rollouts)
app.register_blueprint(guard)
