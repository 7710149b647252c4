"""Admin credentials, checked in code in every stage.

Deployed, admin routes carry API Gateway's IAM authorizer, so a request reaching us was SigV4-signed
by a principal allowed to invoke it; we still refuse one without an IAM identity, in case a route
is ever deployed without the authorizer. ``chalice local`` does not enforce IAM authorizers, so the
local stack uses a bearer token whose SHA-256 alone is configured.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from chalice.app import IAMAuthorizer

from chalicelib.logic.errors import Unauthorized
from chalicelib.settings import Settings

iam = IAMAuthorizer()


def require_admin(settings: Settings, context: dict[str, Any], headers: Any) -> str:
    """Return who the admin is (for the audit trail), or raise ``Unauthorized``."""
    if settings.admin_auth == "iam":
        arn = (context.get("identity") or {}).get("userArn")
        if not arn:
            raise Unauthorized("admin routes need an IAM-signed (SigV4) request")
        return str(arn)
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("admin routes need 'Authorization: Bearer <admin token>'")
    digest = hashlib.sha256(token.strip().encode()).hexdigest()
    if not hmac.compare_digest(digest, settings.admin_token_sha256):
        raise Unauthorized("the admin token is not valid")
    return "local-admin"
