"""What signing update answers costs: per answer, and per check-update through the real app.

Run from the repository root::

    .venv/bin/python -m bench.answer_signing_bench

1. In process, per answer (median of ``--rounds``): turning a check-update answer into the text
   sent (the floor: Chalice serializes every JSON answer anyway), and the same plus what signing
   adds (``signed_at``/``expires``, the exact text, Ed25519 over it, the key looked up as the route
   does: Powertools' cached secret, the parsed key memoised), for new bytes and for the same
   answer again within its 10-minute epoch (the signature memoised per bytes).
2. Through the public function's real handler (``entry.handler``: check-update's fast path, the
   template's tables on moto's server, an API Gateway proxy event, the ETag and headers), handler
   CPU of a no-update check-update with the metadata key configured and without it (answers then
   go out unsigned), same process, same run, warm cache off; and the sizes.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from app import app
from bench.hotpath_bench import (
    SLUG,
    Floor,
    Reads,
    Row,
    count_fast_path_reads,
    deployed,
    event_maker,
    fast_path_answers,
    measure,
    seed,
)
from chalicelib.api import entry
from chalicelib.clock import now
from chalicelib.logic.metadata_signing import sealed, serialized, signature_headers
from chalicelib.settings import get_settings
from chalicelib.signing import MetadataSigner


def per_call(call: Callable[[], Any], rounds: int) -> float:
    """Median process CPU of one call, in microseconds."""
    call()
    spent = []
    for _ in range(rounds):
        start = time.process_time_ns()
        call()
        spent.append(time.process_time_ns() - start)
    return statistics.median(spent) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    with deployed():
        seed(3)
        reads = Reads()
        count_fast_path_reads(reads)
        secret = get_settings().metadata_key_secret
        event = event_maker(app)(f"/plugins/{SLUG}/check-update?current_version=1.2.0")
        answer = json.loads(entry.handler(copy.deepcopy(event), None)["body"])
        body = {k: v for k, v in answer.items() if k not in ("signed_at", "expires")}
        sign = MetadataSigner(secret)
        floor_us = per_call(lambda: serialized(body), args.rounds)
        fresh = itertools.count()  # new bytes each time: a signature is made
        first_us = per_call(
            lambda: signature_headers(serialized(sealed({**body, "n": next(fresh)}, now())), sign),
            args.rounds,
        )
        again_us = per_call(  # the same answer again in its epoch: memoised
            lambda: signature_headers(serialized(sealed(body, now())), sign), args.rounds
        )
        rows: dict[str, tuple[Row, int]] = {}
        floor = Floor(len(json.dumps(answer)))
        for name, configured in (("unsigned", ""), ("signed", secret)):
            os.environ["METADATA_KEY_SECRET"] = configured
            get_settings.cache_clear()
            with fast_path_answers() as answered:
                row = measure(entry.handler, event, reads, args.rounds // 10, floor)
                response = entry.handler(copy.deepcopy(event), None)
            assert all(answered), "every check was answered by the fast path"
            headers = sum(
                len(f"{k}: {v}\r\n") for k, v in response["headers"].items() if k.startswith("X-IGNY8-")
            )
            rows[name] = (row, headers)
    print("per answer, in process (median us):")
    print(f"  serialize only (floor)              {floor_us:8.1f}   x1.0")
    print(f"  seal + serialize + sign, new bytes  {first_us:8.1f}   x{first_us / floor_us:.1f}")
    print(f"  the same answer again (memoised)    {again_us:8.1f}   x{again_us / floor_us:.1f}")
    print("no-update check-update through entry.handler (median handler CPU ms, body B, gzip B, +headers B):")
    base = rows["unsigned"][0].handler_ms
    for name, (row, headers) in rows.items():
        print(
            f"  {name:<9} {row.handler_ms:7.3f} ms  x{row.handler_ms / base:.2f}"
            f"  {row.answer:5d} B  {row.gzipped:4d} B gzip  +{headers} B signature headers"
        )


if __name__ == "__main__":
    main()
