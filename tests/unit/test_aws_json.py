"""The fast path's AWS client without AWS: its signatures against botocore's, its retries against a
scripted connection, and DynamoDB's typed JSON decoded."""

from __future__ import annotations

import base64
import http.client
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from chalicelib.aws_json import (
    RETRY_PAUSE_SECONDS,
    AwsError,
    AwsJson,
    decode_item,
    default_client,
    open_connection,
)
from tests.unit.test_cold_imports import loaded_by

NOW = datetime(2026, 11, 29, 23, 59, 58, tzinfo=UTC)
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ENV = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_REGION": "eu-west-1"}
NOT_FOUND = (
    400,
    {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "no table"},
)

#: A scripted answer: (status, JSON body or raw bytes), or an exception the exchange raises.
Answer = tuple[int, Any] | BaseException


@dataclass
class _Response:
    status: int
    body: bytes

    def read(self) -> bytes:
        return self.body


@dataclass
class FakeConnection:
    """One connection: records what was sent and answers from the shared script."""

    where: tuple[str, str]
    script: list[Answer]
    sent: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False

    def request(self, method: str, url: str, body: bytes, headers: dict[str, str]) -> None:
        self.sent.append({"method": method, "url": url, "body": body, "headers": headers})
        if isinstance(self.script[0], BaseException):
            raise self.script.pop(0)

    def getresponse(self) -> _Response:
        status, body = self.script.pop(0)  # type: ignore[misc]
        return _Response(status, body if isinstance(body, bytes) else json.dumps(body).encode())

    def close(self) -> None:
        self.closed = True


class FakeAws:
    """A connection factory over one script of answers, and the connections it opened."""

    def __init__(self, *answers: Answer) -> None:
        self.script = list(answers)
        self.connections: list[FakeConnection] = []

    def __call__(self, scheme: str, netloc: str, timeout: float) -> FakeConnection:
        connection = FakeConnection((scheme, netloc), self.script)
        self.connections.append(connection)
        return connection

    @property
    def sent(self) -> list[dict[str, Any]]:
        return [request for connection in self.connections for request in connection.sent]


def client(
    aws: FakeAws, environ: dict[str, str] = ENV, sleep: Callable[[float], None] = lambda _: None
) -> AwsJson:
    return AwsJson(environ, clock=lambda: NOW, connection_factory=aws, sleep=sleep)  # type: ignore[arg-type]


def botocore_authorization(
    service: str, url: str, target: str, content_type: str, body: bytes, token: str | None
) -> str:
    """What botocore's own signer puts in Authorization for the same request at the same time."""
    request = AWSRequest(
        method="POST", url=url, data=body, headers={"Content-Type": content_type, "X-Amz-Target": target}
    )
    signer = SigV4Auth(Credentials(ENV["AWS_ACCESS_KEY_ID"], SECRET_KEY, token), service, "eu-west-1")
    with mock.patch("botocore.auth.get_current_datetime", return_value=NOW.replace(tzinfo=None)):
        signer.add_auth(request)
    return str(request.headers["Authorization"])


def test_importing_the_client_loads_no_aws_sdk_nor_any_other_project_module() -> None:
    loaded = loaded_by("import chalicelib.aws_json")

    heavy = {"botocore", "boto3", "urllib3", "requests", "pydantic", "pynamodb", "dateutil"}
    assert loaded.isdisjoint(heavy), sorted(loaded & heavy)
    assert {name for name in loaded if name.startswith("chalicelib.")} == {"chalicelib.aws_json"}


@pytest.mark.parametrize(
    ("service", "target", "content_type"),
    [
        ("dynamodb", "DynamoDB_20120810.GetItem", "application/x-amz-json-1.0"),
        ("secretsmanager", "secretsmanager.GetSecretValue", "application/x-amz-json-1.1"),
    ],
)
@pytest.mark.parametrize("token", [None, "IQoJb3JpZ2luX2VjEXAMPLETOKEN"])
@pytest.mark.parametrize(
    ("endpoint", "url"),
    [
        (None, "https://{service}.eu-west-1.amazonaws.com/"),
        ("http://127.0.0.1:4566", "http://127.0.0.1:4566/"),
    ],
)
def test_the_signature_is_the_one_botocore_computes(
    service: str, target: str, content_type: str, token: str | None, endpoint: str | None, url: str
) -> None:
    environ = dict(ENV)
    if token:
        environ["AWS_SESSION_TOKEN"] = token
    if endpoint:
        environ["AWS_ENDPOINT_URL"] = endpoint
    aws = FakeAws((200, {}))
    operation = target.partition(".")[2]

    assert client(aws, environ).call(service, operation, {"Name": "x", "Key": {"id": {"S": "é"}}}) == {}

    [sent] = aws.sent
    headers = sent["headers"]
    assert headers["x-amz-target"] == target
    assert headers["content-type"] == content_type
    assert headers["x-amz-date"] == "20261129T235958Z"
    assert headers.get("x-amz-security-token") == token
    expected = botocore_authorization(
        service, url.format(service=service), target, content_type, sent["body"], token
    )
    assert headers["authorization"] == expected


def test_a_default_port_is_left_out_of_the_signed_host_as_botocore_does() -> None:
    aws = FakeAws((200, {}))
    client(aws, {**ENV, "AWS_ENDPOINT_URL": "https://dynamodb.example.com:443"}).call(
        "dynamodb", "GetItem", {}
    )

    [sent] = aws.sent
    assert sent["headers"]["host"] == "dynamodb.example.com"
    assert aws.connections[0].where == ("https", "dynamodb.example.com:443")


@pytest.mark.parametrize(
    ("overrides", "service", "endpoint"),
    [
        ({}, "dynamodb", "https://dynamodb.eu-west-1.amazonaws.com"),
        ({}, "secretsmanager", "https://secretsmanager.eu-west-1.amazonaws.com"),
        ({"AWS_ENDPOINT_URL": "http://127.0.0.1:5000"}, "dynamodb", "http://127.0.0.1:5000"),
        (
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_DYNAMODB": "http://ddb:8000"},
            "dynamodb",
            "http://ddb:8000",
        ),
        (
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_DYNAMODB": "http://ddb:8000"},
            "secretsmanager",
            "http://127.0.0.1:5000",
        ),
        (
            {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://sm:1"},
            "secretsmanager",
            "http://sm:1",
        ),
    ],
)
def test_the_endpoint_is_the_service_override_then_the_global_one_then_aws(
    overrides: dict[str, str], service: str, endpoint: str
) -> None:
    assert AwsJson({**ENV, **overrides}).endpoint(service) == endpoint


@pytest.mark.parametrize(
    ("regions", "region"),
    [
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-2"}, "eu-west-1"),
        ({"AWS_DEFAULT_REGION": "us-east-2"}, "us-east-2"),
        ({"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-east-2"}, "us-east-2"),
    ],
)
def test_the_region_is_aws_region_else_the_default_region(regions: dict[str, str], region: str) -> None:
    environ = {name: value for name, value in ENV.items() if name != "AWS_REGION"} | regions

    assert AwsJson(environ).endpoint("dynamodb") == f"https://dynamodb.{region}.amazonaws.com"


def test_the_environment_is_read_at_each_call_not_when_the_client_is_made() -> None:
    environ = dict(ENV)
    aws_json = AwsJson(environ)
    environ["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1234"

    assert aws_json.endpoint("dynamodb") == "http://127.0.0.1:1234"


def test_the_process_client_reads_the_live_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:4567")

    assert default_client() is default_client()
    assert default_client().endpoint("secretsmanager") == "http://127.0.0.1:4567"


def test_no_region_is_an_aws_error_and_no_call() -> None:
    aws = FakeAws((200, {}))
    environ = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}

    with pytest.raises(AwsError) as raised:
        client(aws, environ).call("dynamodb", "GetItem", {})

    assert (raised.value.code, raised.value.status) == ("MissingRegion", 0)
    assert aws.connections == []


@pytest.mark.parametrize("missing", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"])
def test_missing_credentials_are_an_aws_error_and_no_call(missing: str) -> None:
    aws = FakeAws((200, {}))
    environ = {name: value for name, value in ENV.items() if name != missing}

    with pytest.raises(AwsError) as raised:
        client(aws, environ).call("secretsmanager", "GetSecretValue", {"SecretId": "s"})

    assert (raised.value.code, raised.value.status) == ("MissingCredentials", 0)
    assert SECRET_KEY not in str(raised.value)
    assert aws.connections == []


def test_a_service_without_a_json_protocol_here_is_refused() -> None:
    with pytest.raises(ValueError, match="'s3'"):
        client(FakeAws()).call("s3", "GetObject", {})


def test_calls_share_one_kept_alive_connection() -> None:
    aws = FakeAws((200, {"Item": {"id": {"S": "a"}}}), (200, {}), (200, {"SecretString": "k"}))
    aws_json = client(aws, {**ENV, "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"})

    assert aws_json.get_item("plugins", {"id": "a"}) == {"id": "a"}
    assert aws_json.get_item("plugins", {"id": "b"}) is None
    assert aws_json.secret_string("signing") == "k"

    assert len(aws.connections) == 1
    assert len(aws.sent) == 3


def test_each_thread_has_its_own_connection() -> None:
    aws = FakeAws((200, {}), (200, {}))
    aws_json = client(aws)
    aws_json.call("dynamodb", "GetItem", {})
    worker = threading.Thread(target=aws_json.call, args=("dynamodb", "GetItem", {}))
    worker.start()
    worker.join()

    assert len(aws.connections) == 2


@pytest.mark.parametrize(
    "dropped",
    [
        http.client.RemoteDisconnected("closed"),
        BrokenPipeError(32, "pipe"),
        ConnectionResetError(104, "reset"),
    ],
)
def test_a_dropped_connection_is_reopened_and_the_call_sent_again_at_once(dropped: OSError) -> None:
    pauses: list[float] = []
    aws = FakeAws(dropped, (200, {"SecretString": "k"}))

    assert client(aws, sleep=pauses.append).secret_string("signing") == "k"

    assert len(aws.connections) == 2
    assert aws.connections[0].closed
    assert pauses == []


class KeepAliveServer(http.server.ThreadingHTTPServer):
    """An HTTP/1.1 server keeping connections alive, as AWS's endpoints do, counting the TCP
    connections it accepts; ``drop_after_next`` closes one unannounced, as an idle timeout does."""

    daemon_threads = True
    accepted = 0
    drop_after_next = False


class _SecretAnswer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: KeepAliveServer

    def setup(self) -> None:
        super().setup()
        self.server.accepted += 1

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'{"SecretString": "k"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.server.drop_after_next:
            self.server.drop_after_next = False
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the counts."""


@pytest.fixture
def keep_alive() -> Iterator[KeepAliveServer]:
    server = KeepAliveServer(("127.0.0.1", 0), _SecretAnswer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def real_client(server: KeepAliveServer, sleep: Callable[[float], None] = lambda _: None) -> AwsJson:
    environ = {**ENV, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_address[1]}"}
    return AwsJson(environ, connection_factory=open_connection, sleep=sleep)


def test_warm_calls_reuse_one_tcp_connection(keep_alive: KeepAliveServer) -> None:
    aws_json = real_client(keep_alive)

    assert [aws_json.secret_string("signing") for _ in range(5)] == ["k"] * 5
    assert keep_alive.accepted == 1


def test_a_connection_the_server_dropped_while_idle_is_reopened_without_pause(
    keep_alive: KeepAliveServer,
) -> None:
    pauses: list[float] = []
    aws_json = real_client(keep_alive, sleep=pauses.append)
    keep_alive.drop_after_next = True
    assert aws_json.secret_string("signing") == "k"

    assert aws_json.secret_string("signing") == "k"
    assert keep_alive.accepted == 2
    assert pauses == []


def test_a_connection_dropped_twice_is_a_connection_error() -> None:
    aws = FakeAws(http.client.RemoteDisconnected("closed"), BrokenPipeError(32, "pipe"), (200, {}))

    with pytest.raises(AwsError) as raised:
        client(aws).call("dynamodb", "GetItem", {})

    assert (raised.value.code, raised.value.status) == ("ConnectionError", 0)
    assert len(aws.connections) == 2


def test_a_timeout_is_a_connection_error_not_retried_and_the_next_call_reconnects() -> None:
    aws = FakeAws(TimeoutError("timed out"), (200, {}))
    aws_json = client(aws)

    with pytest.raises(AwsError) as raised:
        aws_json.call("dynamodb", "GetItem", {})
    assert (raised.value.code, raised.value.status) == ("ConnectionError", 0)
    assert SECRET_KEY not in str(raised.value)
    assert len(aws.sent) == 1

    assert aws_json.call("dynamodb", "GetItem", {}) == {}
    assert len(aws.connections) == 2
    assert aws.connections[0].closed


def test_two_server_errors_are_an_aws_error_after_one_paused_retry() -> None:
    pauses: list[float] = []
    failure = (500, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": "oops"})
    aws = FakeAws(failure, failure)

    with pytest.raises(AwsError) as raised:
        client(aws, sleep=pauses.append).call("dynamodb", "GetItem", {})

    assert (raised.value.code, raised.value.status, raised.value.message) == (
        "InternalServerError",
        500,
        "oops",
    )
    assert len(aws.sent) == 2
    assert pauses == [RETRY_PAUSE_SECONDS]


@pytest.mark.parametrize(
    "first",
    [
        (503, b"<html>Service Unavailable</html>"),
        (400, {"__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"}),
        (400, {"__type": "ThrottlingException", "Message": "Rate exceeded"}),
    ],
)
def test_a_server_error_or_throttling_then_success_answers(first: tuple[int, Any]) -> None:
    pauses: list[float] = []
    aws = FakeAws(first, (200, {"SecretString": "k"}))

    assert client(aws, sleep=pauses.append).secret_string("signing") == "k"
    assert pauses == [RETRY_PAUSE_SECONDS]


def test_a_client_error_is_raised_at_once_with_its_short_code() -> None:
    pauses: list[float] = []
    aws = FakeAws(NOT_FOUND, (200, {}))

    with pytest.raises(AwsError) as raised:
        client(aws, sleep=pauses.append).get_item("missing", {"id": "a"})

    assert (raised.value.code, raised.value.status, raised.value.message) == (
        "ResourceNotFoundException",
        400,
        "no table",
    )
    assert len(aws.sent) == 1
    assert pauses == []


@pytest.mark.parametrize(
    ("answer", "status"),
    [((403, b"<html>Forbidden</html>"), 403), ((400, {"message": "no type"}), 400), ((200, b"[1]"), 200)],
)
def test_an_answer_aws_did_not_shape_is_an_http_error(answer: tuple[int, Any], status: int) -> None:
    with pytest.raises(AwsError) as raised:
        client(FakeAws(answer)).call("dynamodb", "GetItem", {})

    assert (raised.value.code, raised.value.status) == ("HttpError", status)


def test_get_item_names_projected_attributes_by_placeholder_and_keys_as_strings() -> None:
    aws = FakeAws((200, {"Item": {"name": {"S": "Bridge"}, "status": {"S": "live"}}}))

    item = client(aws).get_item("plugins", {"slug": "bridge"}, consistent=True, projection=["name", "status"])

    assert item == {"name": "Bridge", "status": "live"}
    assert json.loads(aws.sent[0]["body"]) == {
        "TableName": "plugins",
        "Key": {"slug": {"S": "bridge"}},
        "ConsistentRead": True,
        "ProjectionExpression": "#p0, #p1",
        "ExpressionAttributeNames": {"#p0": "name", "#p1": "status"},
    }


def test_an_empty_projection_is_refused_before_any_call() -> None:
    aws = FakeAws()

    with pytest.raises(ValueError, match="at least one attribute"):
        client(aws).get_item("plugins", {"slug": "bridge"}, projection=[])
    assert aws.connections == []


def test_decode_item_turns_every_dynamodb_type_into_its_python_value() -> None:
    blob = base64.b64encode(b"\x00\xff").decode()
    item = {
        "s": {"S": "text"},
        "int": {"N": "-42"},
        "float": {"N": "3.25"},
        "exp": {"N": "1E+2"},
        "yes": {"BOOL": True},
        "no": {"BOOL": False},
        "none": {"NULL": True},
        "map": {"M": {"inner": {"M": {"n": {"N": "7"}}}, "l": {"L": [{"S": "a"}, {"N": "1"}]}}},
        "list": {"L": [{"M": {"x": {"NULL": True}}}, {"L": [{"BOOL": True}]}]},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "b": {"B": blob},
        "bs": {"BS": [blob, base64.b64encode(b"z").decode()]},
    }

    assert decode_item(item) == {
        "s": "text",
        "int": -42,
        "float": 3.25,
        "exp": 100.0,
        "yes": True,
        "no": False,
        "none": None,
        "map": {"inner": {"n": 7}, "l": ["a", 1]},
        "list": [{"x": None}, [True]],
        "ss": {"a", "b"},
        "ns": {1, 2.5},
        "b": b"\x00\xff",
        "bs": {b"\x00\xff", b"z"},
    }
    assert type(decode_item(item)["int"]) is int


def test_decode_item_names_an_unknown_type() -> None:
    with pytest.raises(ValueError, match="'X'"):
        decode_item({"ok": {"S": "a"}, "nested": {"M": {"bad": {"X": "1"}}}})


def test_decode_item_refuses_a_value_with_two_types() -> None:
    with pytest.raises(ValueError, match="exactly one type"):
        decode_item({"a": {"S": "x", "N": "1"}})
