"""What the service accepts as a plugin slug and as a version: one grammar each.

The packager, the API and the CLI all ask here, so a name the CLI lets through is one the server
can key, store, package and serve. Standard library only: the CLI imports it without the
server's dependencies.
"""

from __future__ import annotations

import re

from chalicelib.logic.versions import InvalidVersion, normalize_version

#: Plugin slugs: safe in S3 keys, URLs, file and folder names, and a DynamoDB key. The 64 is
#: what a site's URL and a key segment carry comfortably; '_' is allowed for private plugins
#: (wordpress.org itself allows only '-').
SLUG_RULE = "[a-z0-9][a-z0-9_-]{0,63}"
_SLUG = re.compile(SLUG_RULE)


def is_slug(text: str) -> bool:
    return _SLUG.fullmatch(text) is not None


def version_fault(text: str) -> str | None:
    """Why ``text`` is not a version as it is stored and named, or None when it is one.

    The grammar is :func:`~chalicelib.logic.versions.normalize_version`'s; here the text must
    also have nothing to strip, because it ends up verbatim in file names, keys and headers.
    """
    try:
        normalized = normalize_version(text)
    except InvalidVersion as exc:
        return str(exc)
    if normalized != text:
        return f"{text!r} is not a valid version: it has surrounding whitespace"
    return None
