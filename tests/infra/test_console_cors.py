"""The bucket lets the console's page send its presigned uploads (CORS), from the origins the
stack is given and no other, and follows them when they change (the local stack on another port)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from infra.stack import deploy
from tests.infra.test_template import aws  # noqa: F401 - credentials for moto


@pytest.fixture
def bucket_cors(aws: None) -> Iterator[None]:  # noqa: F811
    with mock_aws():
        yield


def _rules(origins: str) -> list[dict[str, object]]:
    outputs = deploy(stage="cors", parameters={"ConsoleOrigins": origins})
    rules: list[dict[str, object]] = boto3.client("s3").get_bucket_cors(
        Bucket=outputs["ArtifactsBucketName"]
    )["CORSRules"]
    return rules


@pytest.mark.usefixtures("bucket_cors")
def test_the_console_origin_may_put_uploads_and_follows_the_parameter() -> None:
    [rule] = _rules("http://127.0.0.1:8123,http://localhost:8123")
    assert rule["AllowedMethods"] == ["PUT"]
    assert rule["AllowedOrigins"] == ["http://127.0.0.1:8123", "http://localhost:8123"]
    assert rule["AllowedHeaders"] == ["*"]  # the grant's x-amz-meta-* headers
    [moved] = _rules("http://127.0.0.1:9000")
    assert moved["AllowedOrigins"] == ["http://127.0.0.1:9000"]
