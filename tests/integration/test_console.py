"""People in the console, under moto: sign in per role with a user pool account, every admin
route checked against the role it declares, CSRF and cross-site refusals that change nothing,
sign-out, and an audit trail that names the person.

The pool is the template's (``infra/people.py`` makes it on moto); tokens are moto's, verified
against the keys moto publishes at the pool's JWKS URL, as deployed ones are against Cognito's.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib import identity
from chalicelib.api.routing import REGISTRY, Auth, RouteSpec
from chalicelib.logic.roles import Role
from tests.integration.conftest import admin_headers
from tests.integration.console_world import (
    FORM,
    JSON,
    SLUG,
    World,
    set_cookie_headers,
    world_fixture,  # noqa: F401 - the module's world
)
from tests.integration.test_public_api import assert_error


def concrete(spec: RouteSpec, world: World) -> str:
    values = {"{slug}": SLUG, "{version}": "1.0.0", "{site_id}": world.site_id, "{username}": "rita"}
    path = spec.path
    for name, value in values.items():
        path = path.replace(name, value)
    return path


CONSOLE_ROUTES = [spec for spec in REGISTRY if spec.auth is Auth.SESSION]


def test_every_admin_route_is_served_to_people_with_the_role_it_declares() -> None:
    machine = {(s.path, s.method): s.role for s in REGISTRY if s.auth is Auth.ADMIN}
    console = {(s.path.replace("/admin/console", "/admin", 1), s.method): s.role for s in CONSOLE_ROUTES}
    assert console == machine
    assert all(role is not None for role in machine.values())
    assert {role for role in machine.values()} == set(Role)


def test_a_viewer_reads_everything_and_changes_nothing(world: World) -> None:
    vera = world.sign_in("vera")
    before = world.snapshot()
    reads = [s for s in CONSOLE_ROUTES if s.role is Role.VIEWER]
    writes = [s for s in CONSOLE_ROUTES if s.role is not Role.VIEWER]
    assert all(s.method == "get" for s in reads)
    assert len(reads) >= 6 and len(writes) >= 15
    for spec in reads:
        answer = world.client.http.get(concrete(spec, world), headers=vera.headers())
        assert answer.status_code == 200, (spec.path, answer.body)
    for spec in writes:
        answer = world.client.http.request(
            spec.method.upper(), concrete(spec, world), headers=vera.headers(), body=b"{}"
        )
        assert_error(answer.status_code, answer.json_body, 403, "forbidden_role")
    assert world.snapshot() == before


def test_a_releaser_ships_but_cannot_undo_force_or_manage_sites(world: World) -> None:
    rita = world.sign_in("rita")
    before = world.snapshot()
    admin_only = [s for s in CONSOLE_ROUTES if s.role is Role.ADMIN]
    assert {s.name for s in admin_only} >= {
        "pull_version",
        "rollback",
        "create_site",
        "rotate_site",
        "revoke_site",
        *("list_accounts", "create_account", "set_account_role", "disable_account"),
    }
    for spec in admin_only:
        answer = world.client.http.request(
            spec.method.upper(), concrete(spec, world), headers=rita.headers(), body=b"{}"
        )
        assert_error(answer.status_code, answer.json_body, 403, "forbidden_role")
    forced = world.client.http.post(
        f"/admin/console/plugins/{SLUG}/versions/1.1.0/release",
        headers=rita.headers(),
        body=b'{"force_update": true}',
    )
    assert_error(forced.status_code, forced.json_body, 403, "forbidden_role")
    assert world.snapshot() == before
    released = world.client.http.post(
        f"/admin/console/plugins/{SLUG}/versions/1.1.0/release",
        headers=rita.headers(),
        body=b'{"percent": 10}',
    )
    assert released.status_code == 200, released.body
    assert (released.json_body["version"]["status"], released.json_body["version"]["rollout_percent"]) == (
        "released",
        10,
    )


def test_the_audit_names_the_person(world: World) -> None:
    ada = world.sign_in("ada")
    created = world.client.http.post(
        "/admin/console/sites", headers=ada.headers(), body=b'{"name": "Blog", "url": "https://blog.example"}'
    )
    assert created.status_code == 201, created.body
    world.client.http.post(
        f"/admin/console/plugins/{SLUG}/versions/1.0.0/test",
        headers=world.sign_in("rita").headers(),
        body=b"{}",
    )
    entries = world.client.http.get(f"/admin/console/plugins/{SLUG}/audit", headers=ada.headers()).json_body[
        "entries"
    ]
    tested = next(e for e in entries if e["action"] == "test")
    assert tested["actor"] == "rita"
    cli = world.client.http.post(f"/admin/plugins/{SLUG}/versions/1.0.0/stage", headers=admin_headers())
    assert cli.status_code == 200  # the CLI's credentials still work, as role admin
    entries = world.client.http.get(f"/admin/plugins/{SLUG}/audit", headers=admin_headers()).json_body[
        "entries"
    ]
    assert next(e for e in entries if e["action"] == "stage")["actor"] == "local-admin"


def test_a_change_without_the_csrf_token_or_from_another_site_is_refused(world: World) -> None:
    ada = world.sign_in("ada")
    before = world.snapshot()
    path = f"/admin/console/sites/{world.site_id}/revoke"
    for headers, code in (
        (ada.headers(csrf=False), "csrf_token_missing"),
        (ada.headers(csrf=False, more={"X-CSRF-Token": "forged"}), "csrf_token_missing"),
        (
            ada.headers(more={"X-CSRF-Token": world.sign_in("rita").csrf}),
            "csrf_token_missing",
        ),  # another session's
        (ada.headers(more={"Sec-Fetch-Site": "cross-site"}), "cross_site"),
        (ada.headers(more={"Sec-Fetch-Site": "same-site"}), "cross_site"),
    ):
        answer = world.client.http.post(path, headers=headers)
        assert_error(answer.status_code, answer.json_body, 403, code)
    assert world.snapshot() == before
    assert world.client.http.post(path, headers=ada.headers()).status_code == 200


def test_cookies_are_httponly_strict_scoped_and_expire_with_the_token(world: World) -> None:
    session = world.sign_in("vera")
    by_name = {raw.split("=", 1)[0]: raw for raw in session.set_cookies}
    assert set(by_name) == {"igny8_session", "igny8_refresh"}
    for raw in by_name.values():
        assert "HttpOnly" in raw and "SameSite=Strict" in raw and "Max-Age=3600" in raw
        assert "Secure" not in raw  # the test client is not HTTPS
    assert "Path=/api/admin/console;" in by_name["igny8_session"] + ";"
    assert "Path=/api/admin/console/logout" in by_name["igny8_refresh"]
    over_https = world.client.http.post(
        "/admin/console/session",
        headers={**JSON, "X-Forwarded-Proto": "https"},
        body=json.dumps({"username": "vera", "password": world.passwords["vera"]}).encode(),
    )
    assert all(part.endswith("Secure") for part in set_cookie_headers(over_https))
    page = world.client.http.get("/admin/console/dashboard", headers={"Cookie": session.cookie})
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert unquote(session.cookie.split("igny8_session=")[1].split(";")[0]) not in page.body.decode()


def test_sign_out_revokes_and_clears(world: World) -> None:
    rita = world.sign_in("rita")
    refresh = unquote(rita.cookie.split("igny8_refresh=")[1])
    refused = world.client.http.post(
        "/admin/console/logout", headers={"Cookie": rita.cookie, **FORM}, body=b"csrf=wrong"
    )
    assert_error(refused.status_code, refused.json_body, 403, "csrf_token_missing")
    out = world.client.http.post(
        "/admin/console/logout", headers={"Cookie": rita.cookie, **FORM}, body=f"csrf={rita.csrf}".encode()
    )
    assert out.status_code == 303
    assert all("Max-Age=0" in raw for raw in set_cookie_headers(out))
    # A copy of the ended session (its cookie kept by someone) is refused once the pool's last
    # confirmation lapses: here a container that has not confirmed it, as one would CONFIRM_SECONDS later.
    identity._tokens.cache_clear()
    copied = world.client.http.get(f"/admin/console/plugins/{SLUG}", headers={"Cookie": rita.cookie})
    assert_error(copied.status_code, copied.json_body, 401, "session_ended")
    with pytest.raises(ClientError, match="NotAuthorized"):
        boto3.client("cognito-idp").initiate_auth(
            ClientId=world.outputs["UserPoolClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh},
        )


def test_without_a_session_pages_show_the_form_and_the_api_answers_json(world: World) -> None:
    page = world.client.http.get("/admin/console/dashboard")
    assert page.status_code == 401 and 'name="username"' in page.body.decode()
    api = world.client.http.get(f"/admin/console/plugins/{SLUG}")
    assert_error(api.status_code, api.json_body, 401, "unauthorized")
    stale = world.client.http.get(
        f"/admin/console/plugins/{SLUG}", headers={"Cookie": "igny8_session=eyJhbGciOiJub25lIn0.e30."}
    )
    assert_error(stale.status_code, stale.json_body, 401, "unauthorized")
    machine = world.client.http.get(f"/admin/plugins/{SLUG}", headers=world.sign_in("ada").headers())
    assert_error(
        machine.status_code, machine.json_body, 401, "unauthorized"
    )  # the CLI's paths take no session


def test_wrong_passwords_and_unready_accounts_are_refused_clearly(world: World) -> None:
    wrong = world.client.http.post(
        "/admin/console/session", headers=JSON, body=b'{"username": "ada", "password": "nope"}'
    )
    assert_error(wrong.status_code, wrong.json_body, 401, "unauthorized")
    page = world.client.http.post(
        "/admin/console/session", headers=FORM, body=b"username=%3Cb%3Eada&password=nope"
    )
    assert (
        page.status_code == 401 and "not right" in page.body.decode() and "<b>ada" not in page.body.decode()
    )
    cognito, pool = boto3.client("cognito-idp"), world.outputs["UserPoolId"]
    cognito.admin_create_user(
        UserPoolId=pool, Username="newbie", TemporaryPassword="Temporary-Pass-1", MessageAction="SUPPRESS"
    )
    pending = world.client.http.post(
        "/admin/console/session", headers=JSON, body=b'{"username": "newbie", "password": "Temporary-Pass-1"}'
    )
    assert_error(pending.status_code, pending.json_body, 400, "password_change_required")
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="newbie", Password="Permanent-Pass-12", Permanent=True
    )
    no_group = world.client.http.post(
        "/admin/console/session",
        headers=JSON,
        body=b'{"username": "newbie", "password": "Permanent-Pass-12"}',
    )
    assert_error(no_group.status_code, no_group.json_body, 403, "forbidden_role")
    cross = world.client.http.post(
        "/admin/console/session",
        headers={**FORM, "Sec-Fetch-Site": "cross-site"},
        body=f"username=ada&password={world.passwords['ada']}".encode(),
    )
    assert cross.status_code == 403 and "Set-Cookie" not in cross.headers
