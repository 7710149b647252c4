"""The local stack's AWS state kept across restarts, in `.local/aws-writes.jsonl`.

moto keeps everything in memory. Its recorder appends each request it serves to a file as the
request arrives, so a crash loses only what was in flight; on the next start the writes in that
file (reads are dropped, and so is SQS: its messages are work in flight, and the S3 uploads that
caused them are replayed and notify the packager again, which takes duplicates as such) are sent
again, in order, to the new moto before anything else runs. The file is then rewritten with just
those writes, so it grows with what changed, not with traffic.

Why a request log rather than a dump at shutdown: a dump needs a clean shutdown, and a log keeps
every service moto emulates (tables, objects with their metadata and tags, secrets, parameters,
the stack) through one mechanism that already exists, with nothing to keep in step with the
template. moto verifies no signature, so old requests replay as they were.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import requests
from moto.moto_api import recorder

log = logging.getLogger("igny8.local")

FILE_NAME = "aws-writes.jsonl"

#: Operations that change nothing, by the prefix of their name (JSON X-Amz-Target or query Action).
_READ_PREFIXES = ("Get", "Describe", "List", "Query", "Scan", "BatchGet", "TransactGet", "Head")


def _operation(entry: dict[str, Any]) -> str:
    """The AWS operation of a recorded JSON- or query-protocol request ("" for S3's REST)."""
    headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
    target = headers.get("x-amz-target", "")
    if target:
        return str(target).rpartition(".")[2]
    query = parse_qs(urlsplit(str(entry["url"])).query)
    if "Action" in query:
        return query["Action"][0]
    if "x-www-form-urlencoded" in headers.get("content-type", "") and not entry.get("body_encoded"):
        return parse_qs(str(entry.get("body") or "")).get("Action", [""])[0]
    return ""


def _is_write(entry: dict[str, Any]) -> bool:
    headers = {k.lower(): str(v) for k, v in entry.get("headers", {}).items()}
    if headers.get("x-amz-target", "").startswith("AmazonSQS") or "sqs" in headers.get("authorization", ""):
        return False
    operation = _operation(entry)
    if operation:
        return not operation.startswith(_READ_PREFIXES)
    return str(entry.get("method", "GET")).upper() in ("PUT", "POST", "DELETE")


def _writes(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut short by a crash: the request it began was in flight
            if isinstance(entry, dict) and "url" in entry and _is_write(entry):
                yield entry


def restore(state_dir: Path, moto_url: str) -> int:
    """Replay the recorded writes against the moto at ``moto_url``; the number replayed."""
    path = state_dir / FILE_NAME
    target = urlsplit(moto_url)
    kept = []
    for entry in _writes(path):
        url = urlunsplit(urlsplit(entry["url"])._replace(scheme=target.scheme, netloc=target.netloc))
        headers = {
            k: v for k, v in entry["headers"].items() if k.lower() not in ("host", "transfer-encoding")
        }
        body = base64.b64decode(entry["body"]) if entry.get("body_encoded") else entry.get("body") or None
        response = requests.request(entry["method"], url, headers=headers, data=body, timeout=60)
        if response.status_code >= 500:
            log.warning("replaying %s %s answered %d", entry["method"], url, response.status_code)
        kept.append(json.dumps(entry))
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
    scratch.replace(path)
    return len(kept)


def record(state_dir: Path) -> None:
    """From now on, append every request moto serves to the state file."""
    # moto reads MOTO_RECORDER_FILEPATH once, when it is imported; the location is set here
    # instead, so the state directory can be chosen at run time.
    recorder._location = str(state_dir / FILE_NAME)
    recorder.start_recording()


def forget(state_dir: Path) -> None:
    """Start clean (`make run FRESH=1`): the recorded writes are deleted."""
    (state_dir / FILE_NAME).unlink(missing_ok=True)
