"""The local stack serves the public API through the deployed function's handler
(``chalicelib.api.entry.handler``), so every end-to-end test exercises check-update's fast path:
what the fast path answers is what the client receives, what it leaves the whole app answers,
and a path that is no route is refused before any handler runs, as API Gateway refuses it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from chalice.app import Chalice
from chalice.config import Config
from chalice.local import LocalDevServer

from chalicelib.api import entry, hot_check
from infra.local_gateway import api_handler

CHECK = "/plugins/{slug}/check-update"


class Spy:
    """``hot_check.answer`` standing in for the fast path: records each event, answers ``answer``."""

    def __init__(self, answer: dict[str, Any] | None) -> None:
        self.answer = answer
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any] | None:
        self.events.append(event)
        return self.answer


@pytest.fixture(scope="module")
def public_app() -> Chalice:
    """The public app as ``infra/local.py`` imports it: module ``app`` from the repository's root."""
    from app import app  # noqa: PLC0415 - after tests/conftest.py has set the settings it reads

    return app


@pytest.fixture(scope="module")
def api(public_app: Chalice) -> Iterator[str]:
    """The local server as ``infra/local.py`` starts it (the admin app is no concern here): its URL."""
    config = Config.create(chalice_stage="local", app_name=public_app.app_name, lambda_timeout=60)
    handler = api_handler(Chalice(app_name="admin-unused"), config)
    server = LocalDevServer(public_app, config, "127.0.0.1", 0, handler_cls=handler)
    thread = threading.Thread(target=server.server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server.server_address[1]}/api"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_the_fast_paths_answer_is_what_the_client_receives(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Answered-By": "fast-path"},
        "multiValueHeaders": {},
        "body": json.dumps({"update_available": False}),
        "isBase64Encoded": False,
    }
    spy = Spy(answer)
    monkeypatch.setattr(hot_check, "answer", spy)

    got = requests.get(f"{api}/plugins/some-plugin/check-update?installed_version=1.0.0", timeout=10)

    assert (got.status_code, got.headers["X-Answered-By"], got.json()) == (
        200,
        "fast-path",
        {"update_available": False},
    )
    [event] = spy.events
    assert event["requestContext"]["resourcePath"] == CHECK
    assert event["pathParameters"] == {"slug": "some-plugin"}
    assert event["multiValueQueryStringParameters"] == {"installed_version": ["1.0.0"]}


def test_what_the_fast_path_leaves_the_whole_app_answers_the_one_the_server_was_given(
    api: str, public_app: Chalice, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(None)
    monkeypatch.setattr(hot_check, "answer", spy)

    got = requests.get(f"{api}/openapi.json", timeout=30)

    assert got.status_code == 200, got.text
    assert CHECK in got.json()["paths"], "the public app's own document"
    assert [e["requestContext"]["resourcePath"] for e in spy.events] == ["/openapi.json"]
    assert entry.whole_app() is public_app, "routes matched on one app object, answered by another"


@pytest.mark.parametrize("path", ["/plugins/some-plugin/check-update/extra", "/no-such-route"])
def test_a_path_that_is_no_route_is_refused_before_any_handler(
    api: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(None)
    monkeypatch.setattr(hot_check, "answer", spy)

    got = requests.get(f"{api}{path}", timeout=10)

    assert got.status_code == 404
    assert got.json()["error"]["code"] == "not_found"
    assert spy.events == []
