"""The embedded local stack: the whole service on 127.0.0.1, no AWS account, no Docker.

moto's server plays AWS; the resources come from ``infra/template.yaml`` (via ``infra.stack``);
S3 delivers ``sources/`` notifications to the SQS queue exactly as in AWS, and a poller thread
feeds them to the packager's real Chalice handler (``chalice local`` ignores queue handlers); the
two APIs (the public edge and the admin control plane) are the same Chalice apps behind one
Chalice local server, under ``/api`` as deployed (``infra/local_gateway.py``).

    python -m infra.local [--port 8000] [--moto-port 0] [--no-seed] [--fresh]

What the stack stores (plugins, versions, packages, sites, keys) survives a restart: moto's writes
are kept in the state directory and replayed on start (infra/persistence.py); --fresh forgets them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import secrets
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

import boto3
from chalice.config import Config
from chalice.local import LocalDevServer

from chalicelib.dal.repository import DynamoRepository
from chalicelib.settings import get_settings
from chalicelib.storage import S3ArtifactStore
from igny8_cli.sources import new_upload_id, source_archive, source_key, upload_source
from infra import local_schedule, people, persistence, stack
from infra.keys import KeyStore
from infra.local_aws import POLL_SECONDS, REGION, AtomicDynamoMotoServer, PackagerPoller
from infra.local_gateway import API_PREFIX, api_handler

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".local"
SEED_SOURCE = ROOT / "plugins" / "wordpress" / "source" / "igny8-wp-bridge"
#: Where the example download card (docs/app-card/) is served from, unless APP_ORIGINS says otherwise.
CARD_ORIGINS = "http://127.0.0.1:8081,http://localhost:8081"

log = logging.getLogger("igny8.local")


@dataclass(frozen=True)
class LocalStack:
    api_url: str
    aws_endpoint_url: str
    bucket: str
    queue_url: str
    dead_letter_queue_url: str
    admin_token: str
    #: The app-token key's secret (what the example card's stand-in backend mints with).
    app_token_secret: str
    #: The one boto3 session of the stack's own calls: each new session reloads botocore's
    #: service models (about 0.2 s a client), so provisioning, the poller and the seed share it.
    session: boto3.session.Session = field(repr=False, compare=False)
    #: The console's first admin's password, when this start created the account (shown once).
    console_password: str | None = None
    #: The bundled plugin's version, when ``running`` was asked to publish it.
    seeded: str | None = None


def _stack_environment(moto_url: str) -> dict[str, str]:
    """Credentials and endpoint that keep every SDK call of this process on the local moto."""
    return {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto's dummy credentials
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


def _origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, and the same with ``localhost`` for ``127.0.0.1``: a
    person may open the console by either name."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return f"{origin},{origin.replace('127.0.0.1', 'localhost')}" if "127.0.0.1" in origin else origin


def provision(moto_url: str, api_url: str, state_dir: Path) -> LocalStack:
    """Create the stack's resources on moto and configure this process as the service would be."""
    os.environ.update(_stack_environment(moto_url))
    session = boto3.session.Session(region_name=REGION)
    outputs = stack.deploy(
        session,
        stage="local",
        parameters={
            "PackagerVisibilityTimeout": "2",
            "PackagerMaxReceiveCount": "3",
            "AppOrigins": os.environ.get("APP_ORIGINS") or CARD_ORIGINS,
            # The console's page uploads to moto's bucket from the API's own origin.
            "ConsoleOrigins": _origin(api_url),
        },
    )
    KeyStore.of_stack(outputs, session).ensure()  # the local stack signs with its own dev key
    state_dir.mkdir(parents=True, exist_ok=True)
    console_password = people.first_admin(session.client("cognito-idp"), outputs["UserPoolId"], state_dir)
    token = secrets.token_urlsafe(32)
    os.environ.update(stack.environment(outputs))
    os.environ.update(
        {
            "STAGE": "local",
            "ADMIN_AUTH": "token",
            "ADMIN_TOKEN_SHA256": hashlib.sha256(token.encode()).hexdigest(),
            "PUBLIC_BASE_URL": api_url,
        }
    )
    local = LocalStack(
        api_url=api_url,
        aws_endpoint_url=moto_url,
        bucket=outputs["ArtifactsBucketName"],
        queue_url=outputs["PackagerQueueUrl"],
        dead_letter_queue_url=outputs["PackagerDeadLetterQueueUrl"],
        admin_token=token,
        app_token_secret=outputs["AppTokenSecretName"],
        session=session,
        console_password=console_password,
    )
    _write_state(local, state_dir)
    return local


def _write_state(local: LocalStack, state_dir: Path) -> None:
    """Where the admin CLI finds this stack. The token file is the client's credential (0600)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    token_file = state_dir / "admin-token"
    token_file.unlink(missing_ok=True)
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(local.admin_token)
    state = {
        "api_url": local.api_url,
        "aws_endpoint_url": local.aws_endpoint_url,
        "region": REGION,
        "bucket": local.bucket,
        "packager_queue_url": local.queue_url,
        "dead_letter_queue_url": local.dead_letter_queue_url,
        "admin_token_file": str(token_file),
        "app_token_secret": local.app_token_secret,
    }
    (state_dir / "stack.json").write_text(json.dumps(state, indent=2) + "\n")


@contextmanager
def running(
    host: str,
    port: int,
    moto_port: int,
    state_dir: Path = STATE_DIR,
    *,
    fresh: bool = False,
    seed_source: Path | None = None,
) -> Iterator[LocalStack]:
    """Start moto, the resources, the packager poller and the API; stop them all on exit.

    With ``seed_source`` that plugin is published before the API starts, so its first answer is
    the seeded one: a site (or a test) asking earlier would have its "no such plugin" kept by the
    public routes' hot cache for ``HOT_CACHE_SECONDS`` (about 8 s of every e2e stack start)."""
    moto = AtomicDynamoMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    server = None
    poller = None
    try:
        moto_host, bound_port = moto.get_host_and_port()
        moto_url = f"http://{moto_host}:{bound_port}"
        if fresh:
            persistence.forget(state_dir)
        people.stable_moto_ids()
        restored = persistence.restore(state_dir, moto_url)
        log.info("restored %d recorded AWS writes from %s", restored, state_dir)
        persistence.record(state_dir)
        local = provision(moto_url, f"http://{host}:{port}{API_PREFIX}", state_dir)

        # Imported only now: the apps read their settings at import, from the environment set above.
        from admin.app import app as admin_app  # noqa: PLC0415
        from app import app  # noqa: PLC0415

        poller = PackagerPoller(local.queue_url, admin_app.handler_map["package_sources"], local.session)
        poller.start()
        local_schedule.start()
        if seed_source is not None:
            local = replace(local, seeded=seed(local, seed_source))
        config = Config.create(chalice_stage="local", app_name=app.app_name, lambda_timeout=60)
        server = LocalDevServer(app, config, host, port, handler_cls=api_handler(admin_app, config))
        serve = partial(server.server.serve_forever, poll_interval=POLL_SECONDS)
        threading.Thread(target=serve, name="api", daemon=True).start()
        yield local
    finally:
        # Every thread is told first and joined after, so their last waits (the poller's long
        # poll of up to a second, a scheduled run) overlap instead of adding up.
        if poller is not None:
            poller.stop()
        if server is not None:
            server.shutdown()
        local_schedule.stop()
        if poller is not None:
            poller.join(timeout=5)
        moto.stop()


def seed(local: LocalStack, source: Path = SEED_SOURCE, timeout: float = 60) -> str:
    """Publish the bundled bridge through the real path: S3 upload -> queue -> packager -> release."""
    slug = source.name
    key = source_key("wordpress", slug, None, new_upload_id())
    # As the stack's admin: only what the admin API binds to a key (its grant) may release.
    asked = {"status": "released"}
    S3ArtifactStore(local.bucket, REGION).presign_upload(
        key, {"uploaded-by": "make run (seed)", **asked}, 900
    )
    with source_archive(source) as archive:
        upload_source(
            local.session.client("s3"),
            archive,
            bucket=local.bucket,
            key=key,
            metadata=asked,
            progress=None,
        )
    repo = DynamoRepository(get_settings())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        plugin = repo.get_plugin(slug)
        if plugin and plugin.latest.get("stable"):
            return plugin.latest["stable"]
        if plugin and plugin.last_failure and plugin.last_failure.source_key == key:
            raise RuntimeError(f"seeding failed: {plugin.last_failure.message}")
        time.sleep(POLL_SECONDS)
    raise RuntimeError(f"seeding {slug} did not finish within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", "0")))
    parser.add_argument("--no-seed", action="store_true", help="start empty, without the bundled plugin")
    parser.add_argument("--fresh", action="store_true", help="forget what earlier runs stored")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=STATE_DIR,
        help="where stack.json and the admin token are written (default .local/)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines
    stop = _stop_on_signal()
    seed_source = None if args.no_seed else SEED_SOURCE
    with running(
        args.host, args.port, args.moto_port, args.state_dir, fresh=args.fresh, seed_source=seed_source
    ) as local:
        version = local.seeded
        api, state_dir = local.api_url, args.state_dir
        print(
            f"\nIGNY8 plugin distribution is running at {api}  (AWS stand-in: {local.aws_endpoint_url})\n"
            + (f"Seeded igny8-wp-bridge {version}. Try:\n" if version else "Try:\n")
            + f"  curl '{api}/plugins/igny8-wp-bridge/check-update/?current_version=0.0.1'\n"
            + f"  curl '{api}/plugins/igny8-wp-bridge/info/'\n"
            + f"  curl -L -o bridge.zip '{api}/plugins/igny8-wp-bridge/download/'\n"
            + "  .venv/bin/igny8-plugins status igny8-wp-bridge\n"
            + "  .venv/bin/igny8-plugins sites create 'My blog' --url https://blog.example\n"
            + f"Dashboard: {api}/admin/dashboard  (admin token: {state_dir / 'admin-token'})\n"
            + f"Console: {api}/admin/console/dashboard  sign in as '{people.FIRST_ADMIN}', password "
            + (
                f"{local.console_password}  (shown this once; kept in {state_dir / people.PASSWORD_FILE})\n"
                if local.console_password
                else f"in {state_dir / people.PASSWORD_FILE}\n"
            )
            + "Ctrl-C stops everything.\n",
            flush=True,
        )
        stop.wait()
        print("\nstopping", file=sys.stderr)
    return 0


def _stop_on_signal() -> threading.Event:
    """An event Ctrl-C or SIGTERM sets. Handlers are set explicitly, and before anything starts:
    a shell starting us in the background hands SIGINT down as ignored, and `kill` should stop us
    as cleanly as Ctrl-C even while the stack is still seeding (a minute at most, before the API answers)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _exit(code: int) -> NoReturn:
    """Leave without the interpreter's teardown: freeing moto's backends and botocore's models
    took about 2.7 s of every stop, and there is nothing left to save by then (every thread has
    stopped, and moto's writes were appended to the state file as they were served)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit(main())
