"""The request headers credentials travel in: read by ``api/callers.py`` and check-update's fast
path (``api/hot_check.py``), and named in the shared caches' keys (``api/cache_rules.py``)."""

from __future__ import annotations

SITE_ID_HEADER = "X-IGNY8-Site-ID"
SITE_KEY_HEADER = "X-IGNY8-API-Key"
APP_TOKEN_HEADER = "X-IGNY8-App-Token"  # noqa: S105 - a header name, not a secret
