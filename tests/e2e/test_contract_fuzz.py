"""Contract fuzzing: schemathesis drives every operation of the running local stack's own documents
(the public edge's ``/api/openapi.json``, the admin API's ``/api/admin/openapi.json``) over real
HTTP, with data that fits the document and data that does not (positive and negative modes, plus
its coverage phase's boundary values and unexpected methods).

Each generated request is sent twice: without credentials, and with the valid credentials its
route asks for (the admin token, or a site's id and key; a public route has no second call),
both with odd values in headers the document does not declare (``noise``). The run fails on any
5xx, any status, content type or body the document does not declare, data it forbids accepted, an
error body that is not exactly ``{"error": {"code", "message"}}`` (except where the document
declares an HTML page: the admin sign-in), and a route that needs credentials answering without
them.

Bounded for ``make test`` (``IGNY8_FUZZ_EXAMPLES`` generated examples per operation and mode,
derandomized so a failure replays identically); ``make fuzz`` raises the budget. The number of
requests sent is printed at the end of the session.
"""

from __future__ import annotations

import json
import os
import random
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis import Case, CheckContext, GenerationMode, Response
from schemathesis.checks import CHECKS as registry
from schemathesis.checks import load_all_checks

from tests.e2e.conftest import SLUG, Stack

pytestmark = pytest.mark.e2e

#: Generated examples per operation (the coverage phase adds its own boundary cases on top).
EXAMPLES = int(os.environ.get("IGNY8_FUZZ_EXAMPLES", "10"))
#: Milliseconds one example (both its calls) may take before Hypothesis calls it a failure.
DEADLINE_MS = 20_000
#: schemathesis' own checks: no 5xx; status, content type, headers and body as documented; data the
#: document forbids refused (4xx); a method the route lacks answered 405 with ``Allow``.
CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
)
#: Routes that read credentials themselves: the dashboard answers a login page, the sign-in reads
#: the token from its body, sign-out forgets a cookie for anyone.
_OWN_CREDENTIALS = {"dashboard_page", "create_session", "logout"}


@dataclass
class Tally:
    """What the run sent, for the session's summary line."""

    cases: int = 0
    with_credentials: int = 0
    operations: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)

    def count(self, case: Case, *, credentialed: bool) -> None:
        self.cases += 1
        self.with_credentials += credentialed
        self.operations.add(case.operation.label)

    def line(self) -> str:
        return (
            f"contract fuzz: {self.cases} cases over {len(self.operations)} operations, "
            f"{self.with_credentials} with credentials ({time.monotonic() - self.started:.0f} s)"
        )


class _Summary:
    """A pytest plugin registered at run time: prints the tally after the session's results."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.write_line(self.tally.line())


@dataclass(frozen=True)
class Credentials:
    admin: dict[str, str]
    site: dict[str, str]

    def for_operation(self, security: list[dict[str, list[str]]]) -> dict[str, str] | None:
        """The valid headers an operation's security asks for (None: a public route)."""
        schemes = {name for requirement in security for name in requirement}
        if "adminToken" in schemes:
            return self.admin
        if "siteKey" in schemes:
            return self.site
        return None


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    counted = Tally()
    request.config.pluginmanager.register(_Summary(counted), name="igny8-contract-fuzz-summary")
    yield counted


@pytest.fixture(scope="module")
def credentials(stack: Stack) -> Credentials:
    admin = {"Authorization": f"Bearer {(stack.state_dir / 'admin-token').read_text().strip()}"}
    created = requests.post(
        f"{stack.api}/admin/sites",
        headers=admin,
        json={"name": "Contract fuzz", "url": "https://fuzz.example"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    site = {"X-IGNY8-Site-ID": body["site"]["site_id"], "X-IGNY8-API-Key": body["api_key"]}
    return Credentials(admin=admin, site=site)


#: Where each of the service's two APIs serves its own document (the public edge, the admin API).
DOCUMENTS = ("/openapi.json", "/admin/openapi.json")


def served(stack: Stack, url: str) -> dict[str, Any]:
    answer = requests.get(f"{stack.api}{url}", timeout=30)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture(scope="module")
def document(stack: Stack) -> dict[str, Any]:
    """Both APIs' documents as one (the same base URL; the admin API's paths are all under
    ``/admin``, the public edge's none), so every operation of each is fuzzed."""
    public, admin = (served(stack, url) for url in DOCUMENTS)
    assert not any(path.startswith("/admin") for path in public["paths"])
    assert all(path.startswith("/admin/") for path in admin["paths"])
    schemas = public["components"]["schemas"]
    for name, schema in admin["components"]["schemas"].items():
        assert schemas.setdefault(name, schema) == schema, name  # one model, one schema
    return {**public, "paths": {**public["paths"], **admin["paths"]}}


def with_examples(document: dict[str, Any]) -> dict[str, Any]:
    """The document, with the plugin every stack serves (``SLUG``, version 1.0.0) as the example of
    each slug and version parameter, so that generated requests also reach a real plugin and
    version, not only unknown ones. Test-side: the served document names no real plugin (a
    private one must look like a slug nobody knows)."""
    examples = {"slug": SLUG, "version": "1.0.0"}
    copy: dict[str, Any] = json.loads(json.dumps(document))
    for operations in copy["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if parameter["name"] in examples and "enum" not in schema:
                    schema["examples"] = [examples[parameter["name"]]]
    return copy


@pytest.fixture(scope="module")
def api(stack: Stack, document: dict[str, Any]) -> Any:
    loaded = schemathesis.openapi.from_dict(with_examples(document))
    loaded.config.update(base_url=stack.api, request_timeout=30)
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=EXAMPLES,
        deterministic=True,
        # The test decides the credentials (none, or valid ones); schemathesis would draw them.
        with_security_parameters=False,
        database="none",
    )
    # Methods a route lacks are answered by the app (405 with Allow); TRACE, QUERY and OPTIONS
    # are answered by the local HTTP server and chalice's local CORS, not by what the cloud runs.
    loaded.config.phases.coverage.unexpected_methods = {"get", "put", "post", "delete", "patch"}
    return loaded


schema = schemathesis.pytest.from_fixture("api")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's lazy schemas read ``node._nodeid``, which pytest 9 no longer has."""
    request.node._nodeid = request.node.nodeid


@schemathesis.check
def one_error_shape(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every 4xx/5xx is JSON, exactly ``{"error": {"code": str, "message": str}}``; the one
    exception is a status the document declares as ``text/html`` (the dashboard's login page)."""
    if response.status_code < 400:
        return None
    media = (response.headers.get("content-type") or [""])[0].split(";")[0].strip().lower()
    declared = case.operation.definition.raw["responses"].get(str(response.status_code), {})
    if media == "text/html" and "text/html" in declared.get("content", {}):
        return None
    assert media == "application/json", f"error answered as {media!r}, not application/json"
    try:
        body = response.json()
    except json.JSONDecodeError:
        raise AssertionError(f"error body is not JSON: {response.text[:200]!r}") from None
    assert isinstance(body, dict) and set(body) == {"error"}, f"error body is not {{'error': ...}}: {body!r}"
    error = body["error"]
    assert isinstance(error, dict) and set(error) == {"code", "message"}, (
        f"error is not code+message: {body!r}"
    )
    assert all(isinstance(error[k], str) and error[k] for k in ("code", "message")), (
        f"empty or non-text: {body!r}"
    )
    return None


def refused_without_credentials(case: Case, response: Response) -> None:
    """A route that needs credentials never succeeds without them. (A method the route does not
    have is ``unsupported_method``'s business; the routes in ``_OWN_CREDENTIALS`` decide alone.)"""
    raw = case.operation.definition.raw
    security = raw.get("security", [])
    needed = bool(security) and all(security) and raw["operationId"] not in _OWN_CREDENTIALS
    if needed and case.method.upper() == case.operation.method.upper():
        assert response.status_code >= 400, (
            f"{case.operation.label} answered {response.status_code} without credentials"
        )


def _checks() -> list[Any]:
    load_all_checks()
    return [*registry.get_by_names(CHECK_NAMES), one_error_shape]


#: Headers any client may send besides what the document declares: the WordPress user agent
#: check-update reads, cache validators, a site id alone, stray credentials, the dashboard's cookie
#: and fetch metadata, a proxy's scheme, what the client accepts.
NOISY_HEADERS = (
    "User-Agent",
    "If-None-Match",
    "X-IGNY8-Site-ID",
    "X-IGNY8-API-Key",
    "Authorization",
    "Cookie",
    "Sec-Fetch-Site",
    "X-Forwarded-Proto",
    "Accept",
)
_ODD_VALUES = (
    "",
    "x" * 4000,
    "WordPress/6.5.2; https://blog.example",
    "WordPress/; ",
    "WordPress/x; http://[::1",
    "Bearer ",
    "igny8_admin=%ZZ%00",
    'W/"*", *',
    "null",
    "../../etc/passwd",
    "application/octet-stream",
    "\xe9\xff\xa0",
)


def noise(case: Case) -> dict[str, str]:
    """Some of ``NOISY_HEADERS`` with odd values, chosen from the case itself so that a derandomized
    run sends the same ones again (a header value is printable Latin-1 without a leading blank)."""
    rng = random.Random(zlib.crc32(repr(case).encode()))
    drawn = "".join(
        chr(rng.choice([*range(0x20, 0x7F), *range(0xA0, 0x100)])) for _ in range(rng.randint(1, 60))
    )
    values = (*_ODD_VALUES, drawn.lstrip())
    return {name: rng.choice(values) for name in NOISY_HEADERS if rng.random() < 0.3}


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=DEADLINE_MS,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_operation_keeps_the_documented_contract(
    case: Case, credentials: Credentials, tally: Tally
) -> None:
    checks = _checks()
    odd = noise(case)
    tally.count(case, credentialed=False)
    anonymous = {k: v for k, v in odd.items() if k not in ("X-IGNY8-API-Key", "Authorization", "Cookie")}
    refused_without_credentials(case, case.call_and_validate(headers=anonymous, checks=checks))
    valid = credentials.for_operation(case.operation.definition.raw.get("security", []))
    if valid is not None:
        tally.count(case, credentialed=True)
        case.derive().call_and_validate(headers={**odd, **valid}, checks=checks)
