"""The template's tables in moto, for the suites that run against DynamoDB."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from chalicelib import adapters
from chalicelib.dal.repository import DynamoRepository
from chalicelib.settings import get_settings
from infra import stack


@pytest.fixture(scope="module")
def dynamo() -> Iterator[DynamoRepository]:
    """The template's tables in moto, deployed once for the module (a deploy takes seconds), and
    one repository on them (binding the models again would build six new clients per test)."""
    with pytest.MonkeyPatch.context() as env, mock_aws():
        outputs = stack.deploy(stage="test")
        for name, value in stack.environment(outputs).items():
            env.setenv(name, value)
        adapters.reset()
        try:
            yield DynamoRepository(get_settings())
        finally:
            adapters.reset()
