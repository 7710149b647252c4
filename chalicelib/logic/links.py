"""The service's own public URLs, as answers hand them to sites: always our stable endpoints
pinned to one version (WordPress caches an offer for 12 hours; a presigned URL lives minutes)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Links:
    """Builds the public URLs of one deployment, e.g. base ``https://api.igny8.com/api``."""

    base: str

    def download(self, slug: str, version: str) -> str:
        return f"{self.base}/plugins/{slug}/download/?version={quote(version, safe='')}"

    def info(self, slug: str) -> str:
        return f"{self.base}/plugins/{slug}/info/"

    def signature(self, slug: str, version: str) -> str:
        return f"{self.base}/plugins/{slug}/signature/?version={quote(version, safe='')}"
