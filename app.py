"""Wiring only: the Chalice app, its blueprints and middleware. Behaviour lives in chalicelib/."""

from chalice.app import Chalice

from chalicelib.api.admin import admin
from chalicelib.api.dashboard import dashboard
from chalicelib.api.errors import one_error_shape
from chalicelib.api.openapi import docs
from chalicelib.api.public import public
from chalicelib.api.sites import site
from chalicelib.events.packager import packager
from chalicelib.observability import configure_logging, observe

# Powertools' Logger owns logging; Chalice's own handler would print every line twice.
app = Chalice(app_name="igny8-plugins", configure_logs=False)
configure_logging()
# First registered, outermost: Chalice's own error answers (405, 415, 400, 500) pass through it.
app.register_middleware(one_error_shape, "http")
app.register_middleware(observe, "all")
app.register_blueprint(public)
app.register_blueprint(admin)
app.register_blueprint(site)
app.register_blueprint(dashboard)
app.register_blueprint(docs)
app.register_blueprint(packager)
