"""The fast path's AWS client against a real HTTP server speaking DynamoDB and Secrets Manager (moto's).

Its reason to exist is import cost, measured on the shared 2-core development machine (Python
3.11, bytecode cached as in the Lambda bundle, median of 5): ``python -X importtime -c "import
chalicelib.aws_json"`` gives 35 ms cumulative for the module (http.client with the email package
it parses headers with, about 20 ms of it; ssl 5 ms; hashlib 5 ms), against 164 ms for
``botocore.session``. A fresh ``python -c "import chalicelib.aws_json"`` takes 70 ms against
195 ms for ``python -c "import botocore.session"``, and 30 ms for an empty ``python -c pass``:
+40 ms against +165 ms, before botocore has built a client."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from chalicelib.aws_json import AwsError, AwsJson, open_connection

TABLE = "aws-json-plugins"
ITEM = {
    "slug": "bridge",
    "name": "IGNY8 Bridge",
    "downloads": 1234,
    "rating": Decimal("4.75"),
    "public": True,
    "retired": None,
    "latest": {"version": "1.2.3", "sizes": [10, 20]},
    "channels": ["stable", {"beta": False}],
    "tags": {"seo", "sync"},
}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    try:
        yield url
    finally:
        requests.post(f"{url}/moto-api/reset", timeout=10)
        server.stop()


@pytest.fixture(scope="module")
def seeded(moto_url: str) -> str:
    """The server, with one table holding ITEM and two secrets (a string and a binary one)."""
    dynamodb = _boto3(moto_url, "dynamodb")
    table = dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "slug", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "slug", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table.put_item(Item=ITEM)
    secrets = _boto3(moto_url, "secretsmanager", resource=False)
    secrets.create_secret(Name="signing-key", SecretString='{"kid": "k1", "key": "c2VjcmV0"}')
    secrets.create_secret(Name="binary", SecretBinary=b"\x00\x01")
    return moto_url


def _boto3(url: str, service: str, *, resource: bool = True) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return (session.resource if resource else session.client)(service, endpoint_url=url)  # type: ignore[call-overload]


class CountingFactory:
    """The real connection factory, counting the connections and sockets it is asked for."""

    def __init__(self) -> None:
        self.connections: list[http.client.HTTPConnection] = []

    def __call__(self, scheme: str, netloc: str, timeout: float) -> http.client.HTTPConnection:
        connection = open_connection(scheme, netloc, timeout)
        self.connections.append(connection)
        return connection


@pytest.fixture
def factory() -> CountingFactory:
    return CountingFactory()


@pytest.fixture
def aws_json(seeded: str, factory: CountingFactory) -> AwsJson:
    environ = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": seeded,
    }
    return AwsJson(environ, connection_factory=factory)


def test_get_item_returns_the_item_as_python_values(aws_json: AwsJson) -> None:
    item = aws_json.get_item(TABLE, {"slug": "bridge"}, consistent=True)

    assert item == {**ITEM, "rating": 4.75}
    assert item is not None
    assert type(item["downloads"]) is int


def test_a_projection_returns_only_the_named_attributes_reserved_words_included(aws_json: AwsJson) -> None:
    item = aws_json.get_item(TABLE, {"slug": "bridge"}, projection=["name", "public", "latest"])

    assert item == {"name": "IGNY8 Bridge", "public": True, "latest": ITEM["latest"]}


def test_a_missing_item_is_none(aws_json: AwsJson) -> None:
    assert aws_json.get_item(TABLE, {"slug": "nobody"}) is None


def test_a_missing_table_is_resource_not_found(aws_json: AwsJson) -> None:
    with pytest.raises(AwsError) as raised:
        aws_json.get_item("no-such-table", {"slug": "bridge"})

    assert (raised.value.code, raised.value.status) == ("ResourceNotFoundException", 400)


def test_a_secret_string_is_returned(aws_json: AwsJson) -> None:
    assert aws_json.secret_string("signing-key") == '{"kid": "k1", "key": "c2VjcmV0"}'


def test_a_missing_secret_is_resource_not_found(aws_json: AwsJson) -> None:
    with pytest.raises(AwsError) as raised:
        aws_json.secret_string("no-such-secret")

    assert raised.value.code == "ResourceNotFoundException"
    assert raised.value.status == 404  # moto's; AWS answers 400, and the code is what callers read


def test_a_binary_secret_is_refused_without_its_value(aws_json: AwsJson) -> None:
    with pytest.raises(AwsError) as raised:
        aws_json.secret_string("binary")

    assert raised.value.code == "NoSecretString"
    assert "AAE=" not in str(raised.value)  # the value, base64-encoded as the answer carries it


def test_many_calls_go_through_one_connection(aws_json: AwsJson, factory: CountingFactory) -> None:
    """moto's server (werkzeug's) closes every connection after its answer, so http.client opens a
    new socket inside the same connection each time; that AWS's sockets are kept alive is shown
    against a keep-alive server in tests/unit/test_aws_json.py."""
    for _ in range(10):
        assert aws_json.get_item(TABLE, {"slug": "bridge"}, projection=["name"]) == {"name": "IGNY8 Bridge"}
        assert aws_json.secret_string("signing-key").startswith("{")
    with pytest.raises(AwsError):
        aws_json.get_item("no-such-table", {"slug": "bridge"})
    assert aws_json.get_item(TABLE, {"slug": "nobody"}) is None

    assert len(factory.connections) == 1
