"""Test-wide safety: no test can reach real AWS, and settings exist before ``app`` is imported.

The values match what ``infra/template.yaml`` creates for stage ``test`` in moto's account, and
integration fixtures deploy that very template before using them.
"""

from __future__ import annotations

import hashlib
import os

ADMIN_TOKEN = "test-admin-token"
MOTO_ACCOUNT = "123456789012"

_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "STAGE": "test",
    "PLUGINS_TABLE": "igny8-plugins-test-plugins",
    "VERSIONS_TABLE": "igny8-plugins-test-plugin-versions",
    "INSTALLATIONS_TABLE": "igny8-plugins-test-plugin-installations",
    "IDEMPOTENCY_TABLE": "igny8-plugins-test-idempotency",
    "AUDIT_TABLE": "igny8-plugins-test-audit",
    "SITES_TABLE": "igny8-plugins-test-sites",
    "COUNTERS_TABLE": "igny8-plugins-test-counters",
    "ARTIFACTS_BUCKET": f"igny8-plugins-test-artifacts-{MOTO_ACCOUNT}",
    "PACKAGER_QUEUE": "igny8-plugins-test-packager",
    "SIGNING_KEYS_SECRET": "igny8-plugins-test-signing-keys",
    "SIGNING_PUBLIC_KEYS_PARAMETER": "/igny8-plugins/test/signing-public-keys",
    "ADMIN_AUTH": "token",
    "ADMIN_TOKEN_SHA256": hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest(),
    "PUBLIC_BASE_URL": "https://plugins.test/api",
    "POWERTOOLS_DEV": "false",
    # Tests read their own writes at once; the warm-answer cache is tested on its own.
    "HOT_CACHE_SECONDS": "0",
}
for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
os.environ.update(_ENV)
