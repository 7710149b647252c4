"""Wiring only: the public edge, what every WordPress site and the IGNY8 app call (public and
site routes, and their OpenAPI document). Behaviour lives in chalicelib/.

The admin API, the packager and the scheduled jobs are a second Chalice project, ``admin/``
(README: Architecture): Chalice puts every route of an app in one Lambda function with one role,
and every function of an app imports this file, so anything wired here is paid for by each cold
start of the public function and is reachable with its role.
"""

from chalicelib.api.openapi import documentation
from chalicelib.api.public import public
from chalicelib.api.service import new_app
from chalicelib.api.sites import site

app = new_app("igny8-plugins")
app.register_blueprint(public)
app.register_blueprint(site)
app.register_blueprint(documentation("/openapi.json"))
