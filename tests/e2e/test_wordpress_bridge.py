"""The bridge on a real WordPress site (Debian's WordPress 6.1, PHP 8.2, MariaDB) against the
local stack, installed as the service itself releases it: discovery with wordpress.org online
and firewalled, the details modal, every update path, tampered and foreign-signed packages refused
with the disk unchanged, forced updates, rollouts, lifecycle reports, a hanging or broken server,
and a man in the middle rewriting update answers (expired, unsigned, wrong key, downgrade).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import itertools
import json
import re
import socket
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chalicelib.logic.rollout import admits
from tests.e2e.conftest import BRIDGE, SLUG, Stack
from tests.e2e.mitm import Answer, answer_proxy
from tests.e2e.wordpress import WordPressSite, scrape

pytestmark = pytest.mark.e2e

PLUGIN_FILE = f"{SLUG}/{SLUG}.php"
_versions = (f"1.{minor}.0" for minor in itertools.count(1))

SiteFactory = Callable[..., WordPressSite]


def _table(stack: Stack, suffix: str) -> str:
    """The local stack's DynamoDB table whose name ends with ``suffix`` (read directly by tests)."""
    return next(t for t in stack.aws("dynamodb").list_tables()["TableNames"] if t.endswith(suffix))


@dataclass
class Bridged:
    """A WordPress site running the bridge, and the IGNY8 credentials it was given."""

    site: WordPressSite
    site_id: str | None
    api_key: str | None
    installed: str

    def installation(self, stack: Stack) -> dict[str, Any]:
        """What the service recorded for this site (its installations table, read directly)."""
        dynamodb = stack.aws("dynamodb")
        item = dynamodb.get_item(
            TableName=_table(stack, "-plugin-installations"),
            Key={"site_id": {"S": self.site_id}, "slug": {"S": SLUG}},
        )
        return {k: next(iter(v.values())) for k, v in item.get("Item", {}).items()}


_packages: dict[tuple[str, str], bytes] = {}


def _released_bridge(stack: Stack) -> tuple[bytes, str]:
    """The bridge as a new user downloads it from the service: the latest release, its version.
    Fetched once per version: anonymous downloads share one address's hourly allowance."""
    version = requests.get(f"{stack.api}/plugins/{SLUG}/info/", timeout=30).json()["version"]
    if (stack.api, version) not in _packages:
        response = requests.get(f"{stack.api}/plugins/{SLUG}/download/?version={version}", timeout=30)
        assert response.status_code == 200, response.text
        _packages[stack.api, version] = response.content
    return _packages[stack.api, version], version


def _bridged(
    stack: Stack,
    make: SiteFactory,
    *,
    wporg: str = "online",
    connect: bool = True,
    site_id: str | None = None,
) -> Bridged:
    """A fresh site with the bridge the service released, pointed at the local stack."""
    ports = [urlsplit(stack.api).port, urlsplit(stack.state()["aws_endpoint_url"]).port]
    site = make(wporg=wporg, safe_ports=ports)
    package = site.base_dir / "bridge.zip"
    content, installed = _released_bridge(stack)
    package.write_bytes(content)
    site.install_plugin_zip(package)
    site.set_option("igny8_bridge_api_url", stack.api)
    api_key = None
    if connect:
        created = _new_site(stack, f"wp-{site.port}", site.url, site_id)
        site_id, api_key = created["site"]["site_id"], created["api_key"]
        site.set_option("igny8_bridge_site_id", site_id)
        site.set_option("igny8_bridge_api_key", api_key)
    site.activate(PLUGIN_FILE)
    return Bridged(site, site_id, api_key, installed)


def _new_site(stack: Stack, name: str, url: str, site_id: str | None) -> dict[str, Any]:
    """``{"site", "api_key"}``: the admin API's call that `igny8-plugins sites create` makes, made
    directly (a CLI run costs about 2 s of imports; the settings-page and multisite tests below
    create their sites with the CLI itself, as a new user would)."""
    token = (stack.state_dir / "admin-token").read_text().strip()
    body = {"name": name, "url": url, **({"site_id": site_id} if site_id else {})}
    created = requests.post(
        f"{stack.api}/admin/sites", headers={"Authorization": f"Bearer {token}"}, json=body, timeout=30
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def _release(stack: Stack, *options: str) -> str:
    """Upload the bridge's source as the next version and release it (options: --force-update...),
    in one CLI run (`upload --release`: the same release call to the admin API as `release`)."""
    version = next(_versions)
    stack.cli(
        "upload",
        str(BRIDGE),
        "--version",
        version,
        "--changelog",
        f"Changes made in **{version}**.",
        "--release",
        *options,
    )
    return version


@contextlib.contextmanager
def _tampered(stack: Stack, version: str) -> Iterator[None]:
    """The released package's bytes changed in S3, as by an attacker with bucket access; put
    back afterwards (later tests' sites install the latest release)."""
    s3 = stack.aws("s3")
    key = f"packages/wordpress/{SLUG}/{SLUG}-v{version}.zip"
    original = s3.get_object(Bucket=stack.state()["bucket"], Key=key)["Body"].read()
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == PLUGIN_FILE:
                data += b"\n// backdoor: eval($_GET['x']);\n"
            target.writestr(info, data)
    s3.put_object(Bucket=stack.state()["bucket"], Key=key, Body=buffer.getvalue())
    try:
        yield
    finally:
        s3.put_object(Bucket=stack.state()["bucket"], Key=key, Body=original)


def _flush_reports(site: WordPressSite) -> None:
    """A page request runs the new code's init (version detection), then WP-cron sends reports."""
    requests.get(site.url, timeout=30)
    site.run_cron()


def _no_bridge_problems(site: WordPressSite) -> None:
    assert [line for line in site.php_problems() if "igny8" in line.lower()] == []
    assert site.php_problems() == []


# ---- discovery ---------------------------------------------------------------------------------


@pytest.mark.parametrize("wporg", ["online", "offline"])
def test_an_offer_reaches_the_update_screen_with_wordpress_org_online_or_firewalled(
    stack: Stack, wordpress_site_factory: SiteFactory, wporg: str
) -> None:
    bridged = _bridged(stack, wordpress_site_factory, wporg=wporg)
    site = bridged.site
    before = site.refresh_updates()
    assert PLUGIN_FILE in before["no_update"], "without an entry WordPress shows no auto-update toggle"
    assert PLUGIN_FILE not in before.get("response", {})

    version = _release(stack)
    offer = site.refresh_updates()["response"][PLUGIN_FILE]

    assert offer["new_version"] == version
    assert offer["plugin"] == PLUGIN_FILE and offer["slug"] == SLUG
    assert offer["package"] == f"{stack.api}/plugins/{SLUG}/download/?version={version}"
    assert {"icons", "banners", "tested", "requires", "requires_php", "upgrade_notice"} <= set(offer)
    assert offer["autoupdate"] is False
    sent = [r.url for r in site.http_log() if "/check-update/" in r.url]
    assert sent and all("wp_version=" in url and "php_version=" in url for url in sent)
    session = site.login()
    assert f"{version}" in site.admin_get(session, "update-core.php").text
    _no_bridge_problems(site)


def test_the_details_modal_shows_the_release_notes_as_html(
    stack: Stack, wordpress_site_factory: SiteFactory
) -> None:
    bridged = _bridged(stack, wordpress_site_factory)
    version = _release(stack)
    bridged.site.refresh_updates()
    session = bridged.site.login()

    modal = bridged.site.admin_get(
        session, "plugin-install.php", tab="plugin-information", plugin=SLUG, section="changelog"
    )

    assert modal.status_code == 200, modal.text[:2000]
    assert "IGNY8 WordPress Bridge" in modal.text
    assert f"<strong>{version}</strong>" in modal.text  # the upload's changelog, rendered
    assert "= 1.0.0 =" not in modal.text and "**" not in modal.text
    assert "<h4>1.0.0</h4>" in modal.text  # readme headings become HTML, as on wordpress.org


# ---- every update path installs what the service signed -----------------------------------------


def test_every_update_path_installs_the_signed_package_and_reports_it(
    stack: Stack, wordpress_site_factory: SiteFactory
) -> None:
    bridged = _bridged(stack, wordpress_site_factory)
    site = bridged.site
    _flush_reports(site)
    assert bridged.installation(stack)["current_version"] == bridged.installed
    session = site.login()

    paths: dict[str, Callable[[], Any]] = {
        "ajax": lambda: site.update_ajax(session, PLUGIN_FILE, SLUG),
        "bulk": lambda: site.update_bulk(session, [PLUGIN_FILE]),
        "link": lambda: site.update_link(session, PLUGIN_FILE),
        "background": site.run_background_updates,
    }
    for path, update in paths.items():
        version = _release(stack)
        assert site.refresh_updates()["response"][PLUGIN_FILE]["new_version"] == version
        if path == "background":
            site.enable_auto_update(PLUGIN_FILE)
        update()
        assert site.plugin_version_on_disk(PLUGIN_FILE) == version, path
        assert site.is_active(PLUGIN_FILE), path
        _flush_reports(site)
        installation = bridged.installation(stack)
        assert installation["current_version"] == version, path
        assert installation["health_status"] == "active", path
        assert "after an update" in installation["health_message"], path

    downloads = [r.url for r in site.http_log() if "/download-url/" in r.url]
    assert len(downloads) == 4, "packages are fetched with the site's own credentials"
    reports = [
        (r.url.split("/")[-2], r.status) for r in site.http_log() if r.method == "POST" and SLUG in r.url
    ]
    assert reports.count(("track-download", 204)) == 4, reports  # once per verified install
    assert reports.count(("register-installation", 200)) == 5, reports  # activation + 4 updates
    assert all(status is not None and status < 300 for _, status in reports), reports
    stats = json.loads(stack.cli("--json", "stats", SLUG).stdout)
    assert stats["installations"]["total"] >= 1
    _no_bridge_problems(site)


def test_a_forced_release_installs_without_the_toggle_even_on_a_firewalled_site(
    stack: Stack, wordpress_site_factory: SiteFactory
) -> None:
    online = _bridged(stack, wordpress_site_factory).site
    firewalled_site = _bridged(stack, wordpress_site_factory, wporg="offline")
    firewalled = firewalled_site.site
    version = _release(stack, "--force-update")

    online.refresh_updates()
    assert online.update_offers()[PLUGIN_FILE]["autoupdate"] is True
    online.run_background_updates()
    assert online.plugin_version_on_disk(PLUGIN_FILE) == version

    # Core never runs background updates after a failed wordpress.org check: the bridge's own
    # scheduled run does.
    firewalled.run_background_updates(via_cron=True)
    assert firewalled.plugin_version_on_disk(PLUGIN_FILE) == firewalled_site.installed
    firewalled.make_cron_due("igny8_bridge_background_updates")
    firewalled.run_cron()
    assert firewalled.plugin_version_on_disk(PLUGIN_FILE) == version
    assert any(version in mail["message"] for mail in firewalled.mails())  # core told the owner


# ---- integrity: nothing installs that the service did not sign -----------------------------------


def test_a_package_changed_in_s3_is_refused_on_every_path_and_the_disk_is_unchanged(
    stack: Stack, wordpress_site_factory: SiteFactory
) -> None:
    bridged = _bridged(stack, wordpress_site_factory)
    site = bridged.site
    version = _release(stack, "--force-update")
    site.refresh_updates()
    before = site.plugin_dir_digest(SLUG)
    session = site.login()

    with _tampered(stack, version):
        answer = site.update_ajax(session, PLUGIN_FILE, SLUG)
        assert answer["success"] is False
        assert "IGNY8 Bridge refused" in answer["data"]["errorMessage"]
        for page in (site.update_bulk(session, [PLUGIN_FILE]), site.update_link(session, PLUGIN_FILE)):
            assert "IGNY8 Bridge refused" in page.all_html
            assert "SHA-256 does not match" in page.all_html
        site.run_background_updates()  # forced: WordPress tries without the toggle

    assert site.plugin_dir_digest(SLUG) == before
    assert site.plugin_version_on_disk(PLUGIN_FILE) == bridged.installed
    assert not any(
        "has been updated" in mail["message"] or "were updated" in mail["subject"] for mail in site.mails()
    )
    _flush_reports(site)
    installation = bridged.installation(stack)
    assert installation["health_status"] == "error"
    assert "refused" in installation["health_message"]
    assert not list(site.plugins_dir.glob(f"{SLUG}*.tmp"))  # the refused download is gone


def test_a_package_signed_by_a_key_the_root_never_certified_is_refused(
    stack: Stack, wordpress_site_factory: SiteFactory
) -> None:
    """An attacker who controls the bucket, the version record and GET /keys/ still cannot make
    a site install: keys are trusted only through a list the pinned root signed."""
    bridged = _bridged(stack, wordpress_site_factory)
    site = bridged.site
    version = _release(stack)
    site.refresh_updates()
    before = site.plugin_dir_digest(SLUG)
    attacker = Ed25519PrivateKey.generate()
    public = base64.b64encode(attacker.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()

    with _tampered(stack, version):
        link = requests.get(
            f"{stack.api}/plugins/{SLUG}/download-url/?version={version}",
            headers={"X-IGNY8-Site-ID": bridged.site_id or "", "X-IGNY8-API-Key": bridged.api_key or ""},
            timeout=30,
        )
        package = requests.get(link.json()["url"], timeout=30).content
        signature = base64.b64encode(attacker.sign(hashlib.sha384(package).digest())).decode()
        with (
            _forged_version(stack, version, hashlib.sha256(package).hexdigest(), signature, "attacker-key"),
            _foreign_key_list(stack, attacker, public),
        ):
            site.refresh_updates()
            assert site.update_offers()[PLUGIN_FILE]["new_version"] == version
            answer = site.update_ajax(site.login(), PLUGIN_FILE, SLUG)

    assert answer["success"] is False
    # Which refusal depends on whether the API's parameter cache (a minute) already serves the
    # forged list: either the key is unknown, or the list is not the root's.
    assert re.search(r"which this site does not trust|invalid root signature", answer["data"]["errorMessage"])
    assert site.plugin_dir_digest(SLUG) == before


@contextlib.contextmanager
def _forged_version(stack: Stack, version: str, sha256: str, signature: str, key_id: str) -> Iterator[None]:
    """The version record and its release index entry (on the plugin item, what check-update and
    download-url read) both forged, as an attacker with write access to the tables would."""
    dynamodb = stack.aws("dynamodb")
    table = _table(stack, "-plugin-versions")
    items = dynamodb.scan(TableName=table)["Items"]
    item = next(i for i in items if i["slug"]["S"] == SLUG and i["version"]["S"] == version)
    attributes = {"signature": signature, "signature_key_id": key_id, "checksum": sha256}
    dynamodb.update_item(
        TableName=table,
        Key={"slug": item["slug"], "version_key": item["version_key"]},
        UpdateExpression="SET " + ", ".join(f"#{n} = :{n}" for n in attributes),
        ExpressionAttributeNames={f"#{n}": n for n in attributes},
        ExpressionAttributeValues={f":{n}": {"S": v} for n, v in attributes.items()},
    )
    plugins = _table(stack, "-plugins")
    plugin = dynamodb.get_item(TableName=plugins, Key={"slug": {"S": SLUG}})["Item"]
    entry = json.loads(plugin["releases"]["M"][version]["S"])
    entry |= {"signature": signature, "signature_key_id": key_id, "sha256": sha256}
    dynamodb.update_item(
        TableName=plugins,
        Key={"slug": {"S": SLUG}},
        UpdateExpression="SET releases.#v = :e",
        ExpressionAttributeNames={"#v": version},
        ExpressionAttributeValues={":e": {"S": json.dumps(entry)}},
    )
    try:
        yield
    finally:
        dynamodb.put_item(TableName=table, Item=item)
        dynamodb.put_item(TableName=plugins, Item=plugin)


@contextlib.contextmanager
def _foreign_key_list(stack: Stack, attacker: Ed25519PrivateKey, public: str) -> Iterator[None]:
    ssm = stack.aws("ssm")
    name = next(
        p["Name"]
        for p in ssm.describe_parameters()["Parameters"]
        if p["Name"].endswith("signing-public-keys")
    )
    original = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    published = json.loads(original)
    statement = json.dumps(
        {
            "purpose": "igny8-signing-keys",
            "issued_at": "2099-01-01T00:00:00Z",
            "keys": [{"key_id": "attacker-key", "public_key": public, "status": "active"}],
        }
    )
    published.update(
        key_list=statement,
        key_list_signature=base64.b64encode(attacker.sign(statement.encode())).decode(),
        keys=[{"key_id": "attacker-key", "public_key": public, "status": "active"}],
    )
    ssm.put_parameter(Name=name, Value=json.dumps(published), Type="String", Overwrite=True)
    try:
        yield
    finally:
        ssm.put_parameter(Name=name, Value=original, Type="String", Overwrite=True)
        _until_the_service_publishes(stack, json.loads(original).get("key_list"))


def _until_the_service_publishes(stack: Stack, key_list: str | None) -> None:
    """Wait (within the API's one-minute parameter cache) until GET /keys/ serves ``key_list``
    again: a forged list the service read while it stood would otherwise be signed into the next
    tests' answers, and their sites would rightly refuse them."""
    deadline = time.monotonic() + 75
    while requests.get(f"{stack.api}/keys/", timeout=30).json().get("key_list") != key_list:
        assert time.monotonic() < deadline, "the service still publishes the forged key list"
        time.sleep(1)


# ---- rollouts --------------------------------------------------------------------------------------


def test_a_rollout_at_ten_percent_reaches_the_sites_in_its_bucket_only(
    stack: Stack, wordpress_site_factory: SiteFactory
) -> None:
    previous = _release(stack)
    dynamodb = stack.aws("dynamodb")
    plugin = dynamodb.get_item(TableName=_table(stack, "-plugins"), Key={"slug": {"S": SLUG}})["Item"]
    salt = plugin.get("rollout_salt", {}).get("S") or SLUG  # the plugin's secret bucketing salt
    candidates = [f"rollout-site-{n}" for n in range(500)]
    inside = _bridged(
        stack, wordpress_site_factory, site_id=next(c for c in candidates if admits(10, salt, c))
    )
    outside = _bridged(
        stack, wordpress_site_factory, site_id=next(c for c in candidates if not admits(10, salt, c))
    )
    version = _release(stack, "--percent", "10")

    assert inside.site.refresh_updates()["response"][PLUGIN_FILE]["new_version"] == version
    held_back = outside.site.refresh_updates()
    assert PLUGIN_FILE not in held_back["response"]
    assert held_back["no_update"][PLUGIN_FILE]["new_version"] == previous


# ---- a slow, dead or broken server costs little ---------------------------------------------------


@pytest.fixture
def bad_server() -> Iterator[Callable[[str], str]]:
    """A local server that hangs (accepts, never answers), answers 500, or answers garbage."""
    servers: list[Any] = []

    def start(kind: str) -> str:
        if kind == "hang":
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            servers.append(listener)
            return f"http://127.0.0.1:{listener.getsockname()[1]}/api"

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = b"<html>oops" if kind == "garbage" else b'{"error": "boom"}'
                self.send_response(200 if kind == "garbage" else 500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/api"

    yield start
    for server in servers:
        if isinstance(server, socket.socket):
            server.close()
        else:
            server.shutdown()


@pytest.mark.parametrize("kind", ["hang", "500", "garbage"])
def test_a_hanging_or_broken_server_costs_one_timeout_per_backoff_period(
    stack: Stack, wordpress_site_factory: SiteFactory, bad_server: Callable[[str], str], kind: str
) -> None:
    bridged = _bridged(stack, wordpress_site_factory)
    site = bridged.site
    site.refresh_updates()
    site.set_option("igny8_bridge_api_url", bad_server(kind))

    timings = []
    for _ in range(3):
        started = time.monotonic()
        transient = site.refresh_updates()
        timings.append(time.monotonic() - started)
        assert isinstance(transient.get("response"), (dict, list)) and isinstance(
            transient.get("no_update"), (dict, list)
        )

    backoff = site.option("igny8_bridge_backoff")
    assert backoff["failures"] == 1, "only the first check asked the broken server"
    if kind == "hang":
        assert timings[0] >= 4.5, timings  # one 5-second timeout ...
    assert max(timings[1:]) < min(4.0, timings[0] + 1.0), timings  # ... then no more waiting
    _no_bridge_problems(site)


# ---- settings, a new user's first steps --------------------------------------------------------


def _settings_form(site: WordPressSite, session: requests.Session) -> tuple[str, list[tuple[str, str]]]:
    page = site.admin_get(session, "options-general.php", page=SLUG)
    assert page.status_code == 200
    form = next(f for f in scrape(page.text).forms if f.attrs.get("action", "").endswith("options.php"))
    fields = [(n, v) for n, v, a in form.fields if a.get("type") != "submit"]
    return page.text, fields


def test_a_new_user_connects_the_site_from_the_settings_page(
    stack: Stack, wordpress_site_factory: SiteFactory
) -> None:
    bridged = _bridged(stack, wordpress_site_factory, connect=False)
    site = bridged.site
    site.delete_option("igny8_bridge_api_url")
    created = json.loads(stack.cli("--json", "sites", "create", "by-hand", "--url", site.url).stdout)
    session = site.login()

    _, fields = _settings_form(site, session)
    values = {"igny8_bridge_api_url": stack.api, "igny8_bridge_site_id": created["site"]["site_id"]}
    values["igny8_bridge_api_key"] = created["api_key"]
    saved = session.post(
        site.admin_url("options.php"), data=[(n, values.get(n, v)) for n, v in fields], timeout=60
    )
    assert saved.status_code == 200 and "Settings saved." in saved.text
    assert site.option("igny8_bridge_api_key") == created["api_key"]
    page, fields = _settings_form(site, session)
    assert created["api_key"] not in page, "the key is never printed back"
    assert dict(fields)["igny8_bridge_api_key"] == ""

    # Saving again with the key field empty keeps the key; a bad URL is refused, the old one kept.
    values = {"igny8_bridge_api_url": "javascript:alert(1)"}
    session.post(site.admin_url("options.php"), data=[(n, values.get(n, v)) for n, v in fields], timeout=60)
    assert site.option("igny8_bridge_api_key") == created["api_key"]
    assert site.option("igny8_bridge_api_url") == stack.api

    test_form = next(f for f in scrape(page).forms if f.value("action") == "igny8_bridge_test")
    tested = session.post(
        site.admin_url("admin-post.php"),
        data=[(n, v) for n, v, _ in test_form.fields],
        timeout=60,
    )
    assert "Connected" in tested.text
    _flush_reports(site)
    assert (
        Bridged(site, created["site"]["site_id"], created["api_key"], bridged.installed).installation(stack)[
            "current_version"
        ]
        == bridged.installed
    )

    site.set_option("igny8_bridge_api_key", "igny8_wrong")
    tested = session.post(
        site.admin_url("admin-post.php"), data=[(n, v) for n, v, _ in test_form.fields], timeout=60
    )
    assert "refused (401)" in tested.text

    forged = session.post(site.admin_url("admin-post.php"), data={"action": "igny8_bridge_test"}, timeout=60)
    assert forged.status_code == 403  # no nonce, nothing done


def test_the_constant_locks_the_server_url_and_uninstall_removes_everything(
    stack: Stack, wordpress_site_factory: SiteFactory
) -> None:
    bridged = _bridged(stack, wordpress_site_factory)
    site = bridged.site
    config = site.root / "wp-config.php"
    text = config.read_text()
    config.write_text(text.replace("<?php", f"<?php\ndefine('IGNY8_BRIDGE_API_URL', '{stack.api}/');", 1))
    site.set_option("igny8_bridge_api_url", "https://elsewhere.example/api")
    site.reset_opcache()
    session = site.login()
    page, _ = _settings_form(site, session)
    assert "Set by IGNY8_BRIDGE_API_URL in wp-config.php." in page
    assert 'disabled="disabled"' in page
    # Answered by the constant's server: an offer, or no_update (an earlier test's 10 % rollout
    # may or may not include this site).
    updates = site.refresh_updates()
    assert PLUGIN_FILE in {*(updates["no_update"] or {}), *(updates["response"] or {})}

    site.deactivate(PLUGIN_FILE)
    site.php("delete_plugins(array($args['file']));", args={"file": PLUGIN_FILE}, user=1)
    leftovers = site.php_json(
        "array_values(array_filter(array_keys(wp_load_alloptions()), function ($n) {"
        " return 0 === strpos($n, 'igny8_bridge'); }))"
    )
    assert leftovers == []
    assert not (site.plugins_dir / SLUG).exists()
    assert site.php_json("wp_next_scheduled('igny8_bridge_background_updates')") is False


def test_network_activated_on_multisite_one_connection_serves_the_network(
    stack: Stack, wordpress_site_factory: SiteFactory
) -> None:
    ports = [urlsplit(stack.api).port, urlsplit(stack.state()["aws_endpoint_url"]).port]
    site = wordpress_site_factory(safe_ports=ports)
    site.make_multisite()
    package = site.base_dir / "bridge.zip"
    package.write_bytes(_released_bridge(stack)[0])
    site.install_plugin_zip(package)
    site.php(
        "$r = activate_plugin($args['file'], '', true);"
        "if (is_wp_error($r)) { fwrite(STDERR, $r->get_error_message()); exit(1); }",
        args={"file": PLUGIN_FILE},
        user=1,
    )
    created = json.loads(stack.cli("--json", "sites", "create", "network", "--url", site.url).stdout)
    session = site.login()

    page = session.get(f"{site.url}/wp-admin/network/settings.php", params={"page": SLUG}, timeout=60)
    assert page.status_code == 200, page.text[:2000]
    form = next(f for f in scrape(page.text).forms if "edit.php" in f.attrs.get("action", ""))
    values = {
        "igny8_bridge_api_url": stack.api,
        "igny8_bridge_site_id": created["site"]["site_id"],
        "igny8_bridge_api_key": created["api_key"],
    }
    fields = [(n, values.get(n, v)) for n, v, a in form.fields if a.get("type") != "submit"]
    saved = session.post(urljoin(page.url, form.attrs["action"]), data=fields, timeout=60)
    assert saved.status_code == 200
    assert site.php_json("get_site_option('igny8_bridge_site_id')") == created["site"]["site_id"]
    assert site.php_json("get_option('igny8_bridge_site_id', null)") is None  # the network's, not a blog's
    assert site.admin_get(session, "options-general.php", page=SLUG).status_code == 403  # no per-site page

    version = _release(stack)
    assert site.refresh_updates()["response"][PLUGIN_FILE]["new_version"] == version
    sent = [r.url for r in site.http_log() if "/check-update/" in r.url]
    assert sent[-1].startswith(stack.api)


# ---- update answers: signed, expiring, never a downgrade -----------------------------------------


def _active_key(stack: Stack, secret_suffix: str) -> tuple[str, Ed25519PrivateKey]:
    """A stage key as its thief (or the service itself) holds it: from the stack's secret."""
    secrets = stack.aws("secretsmanager")
    name = next(s["Name"] for s in secrets.list_secrets()["SecretList"] if s["Name"].endswith(secret_suffix))
    material = json.loads(secrets.get_secret_value(SecretId=name)["SecretString"])
    key = next(k for k in material["keys"] if k["key_id"] == material["active"])
    return key["key_id"], Ed25519PrivateKey.from_private_bytes(base64.b64decode(key["private_key"]))


def _signed_by(answer: Answer, body: bytes, key_id: str, key: Ed25519PrivateKey) -> Answer:
    signature = base64.b64encode(key.sign(body)).decode()
    return replace(answer, body=body).with_headers(
        **{"X-IGNY8-Signature": signature, "X-IGNY8-Key-Id": key_id}
    )


def _expired(stack: Stack, lower: str, offered: str, answer: Answer) -> Answer:
    """An answer the service really signed, three days ago (a replay of a recorded answer)."""
    body = json.loads(answer.body)
    body |= {"signed_at": "2026-11-26T10:00:00Z", "expires": "2026-11-27T10:00:00Z"}
    return _signed_by(answer, json.dumps(body).encode(), *_active_key(stack, "-metadata-key"))


def _stripped(stack: Stack, lower: str, offered: str, answer: Answer) -> Answer:
    return answer.without("X-IGNY8-Signature", "X-IGNY8-Key-Id")


def _package_key(stack: Stack, lower: str, offered: str, answer: Answer) -> Answer:
    """Signed by the packager's key, certified by the root, but for packages only."""
    return _signed_by(answer, answer.body, *_active_key(stack, "-signing-keys"))


def _downgrade(stack: Stack, lower: str, offered: str, answer: Answer) -> Answer:
    """A genuine, fresh service signature over an offer of an older release (another requester's
    answer, e.g. one outside a rollout, passed off as this site's)."""
    body = answer.body.replace(offered.encode(), lower.encode())
    return _signed_by(answer, body, *_active_key(stack, "-metadata-key"))


_ATTACKS = {
    "an expired answer": (_expired, "expired at 2026-11-27T10:00:00Z"),
    "a stripped signature": (_stripped, "The answer is not signed"),
    "a package key's signature": (_package_key, "may not sign update answers"),
    "a downgrade": (_downgrade, "the service offered this site before: a downgrade"),
}


@pytest.mark.parametrize("attack", _ATTACKS)
def test_a_man_in_the_middle_cannot_make_a_site_believe_an_update_answer(
    stack: Stack, wordpress_site_factory: SiteFactory, attack: str
) -> None:
    """A compromised CDN or API front rewrites check-update's answers: the site refuses each,
    keeps the offer it last verified, installs nothing, and reports it to the service."""
    rewrite, why = _ATTACKS[attack]
    with answer_proxy(stack.api) as proxy:
        bridged = _bridged(stack, wordpress_site_factory)
        site = bridged.site
        site.set_option("igny8_bridge_api_url", proxy.url)  # the site reaches the service through it
        lower, offered = _release(stack), _release(stack)
        assert site.refresh_updates()["response"][PLUGIN_FILE]["new_version"] == offered

        def attacked(path: str, answer: Answer) -> Answer:
            return rewrite(stack, lower, offered, answer) if "/check-update/" in path else answer

        proxy.rewrite = attacked
        updates = site.refresh_updates()
        assert proxy.rewritten, "the site asked through the man in the middle"
        assert updates["response"][PLUGIN_FILE]["new_version"] == offered, "the last verified answer stands"
        site.run_background_updates()
        assert site.plugin_version_on_disk(PLUGIN_FILE) == bridged.installed
        _flush_reports(site)
        installation = bridged.installation(stack)
        assert installation["health_status"] == "error"
        assert "refused the service's update answer" in installation["health_message"]
        assert why in installation["health_message"]

        proxy.rewrite = None  # honest answers are believed again
        assert site.refresh_updates()["response"][PLUGIN_FILE]["new_version"] == offered
    _no_bridge_problems(site)


# Last in this module: it spends 127.0.0.1's anonymous download allowance for the hour.
def test_a_connected_site_updates_when_its_shared_address_has_spent_the_anonymous_allowance(
    stack: Stack, wordpress_site_factory: SiteFactory
) -> None:
    bridged = _bridged(stack, wordpress_site_factory)
    site = bridged.site
    version = _release(stack)
    site.refresh_updates()
    anonymous = f"{stack.api}/plugins/{SLUG}/download/?version={version}"
    codes = [requests.get(anonymous, allow_redirects=False, timeout=30).status_code for _ in range(31)]
    assert codes[-1] == 429, "the neighbours behind this address spent the allowance"

    answer = site.update_ajax(site.login(), PLUGIN_FILE, SLUG)

    assert answer["success"] is True, answer
    assert site.plugin_version_on_disk(PLUGIN_FILE) == version
