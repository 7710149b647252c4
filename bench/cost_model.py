"""What a check costs on AWS, from this run's measurements, and the public function's sizing.

Run from the repository root (about a minute on 2 cores)::

    .venv/bin/python -m bench.cost_model [--rounds 100] [--load 3000]

1. Kinds of check through the real handler (``bench.cost.measure``): handler CPU, DynamoDB calls
   by operation, bytes read and written, the answer plain and gzipped, the headers.
2. The public function under the fleet's mix in a process of its own (``bench.cost.load``):
   import time, peak memory (VmHWM), request durations, bytes it logs per request.
3. From those and ``bench.cost.prices`` (``bench.cost.model``): the Lambda memory and timeout,
   dollars per million checks by item with and without the CDN, and per month at 100 k, 1 M and
   10 M sites checking twice a day. The floor is what AWS charges for a check that does nothing
   (API Gateway, a Lambda request, one billed millisecond, no DynamoDB, no logs, no bytes).
"""

from __future__ import annotations

import argparse
import logging
import math
from typing import Any

from chalice.test import Client

from app import app
from bench.cost import model, prices
from bench.cost.load import captured_stdout
from bench.cost.measure import WRITES, Profile, answer_sizes, load, moto_stack, profiles
from chalicelib.settings import get_settings

FLEETS = (100_000, 1_000_000, 10_000_000)
#: The bridge's own wait for an answer (class-igny8-bridge-client.php TIMEOUT): an answer later
#: than that is wasted, so the function may not run longer than this plus a second.
BRIDGE_WAIT_S = 5


def check_of(profile: Profile, loaded: dict[str, Any], wire_bytes: float) -> model.Check:
    writes = sum(n for op, n in profile.operations.items() if op in WRITES)
    reads = sum(profile.operations.values()) - writes
    per_read = profile.read_bytes / reads if reads else 0.0
    return model.Check(
        cpu_ms=profile.cpu_ms,
        dynamodb_calls=reads + writes,
        read_units=reads * max(1, math.ceil(per_read / 4096)),
        write_units=writes * max(1, math.ceil(profile.write_bytes / max(writes, 1) / 1024))
        if writes
        else 0.0,
        log_bytes=loaded["log_bytes_per_request"],
        log_events=loaded["log_events_per_request"],
        wire_bytes=wire_bytes,
    )


def choose_memory(loaded: dict[str, Any], check: model.Check) -> tuple[int, list[str]]:
    """The smallest size whose peak memory is under 60% of it, whose p99 check-update stays under
    100 ms, and whose cold start plus slowest request (CPU stretched) fits in half the bridge's wait."""
    lines = [
        f"{'memory MB':>9} {'init s':>7} {'check ms':>9} {'p99 ms':>7} {'worst s':>8} {'$/M site checks':>16}  fits"
    ]
    chosen = 0
    routes = loaded["routes"]
    slowest_cpu_ms = max(figures["cpu"]["max"] for figures in routes.values())
    for memory in model.MEMORY_SIZES:
        init = loaded["import_cpu_s"] * model.stretch(memory)
        p99 = (
            routes["check-update"]["cpu"]["p99"] * model.stretch(memory)
            + check.dynamodb_calls * model.DYNAMODB_RTT_MS
        )
        worst = init + slowest_cpu_ms * model.stretch(memory) / 1000
        dollars = sum(model.origin_dollars(check, memory).values()) * 1e6
        fits = loaded["hwm_peak_mb"] <= 0.6 * memory and p99 <= 100 and worst <= BRIDGE_WAIT_S / 2
        chosen = chosen or (memory if fits else 0)
        lines.append(
            f"{memory:>9} {init:>7.2f} {model.billed_ms(check, memory):>9} {p99:>7.1f} {worst:>8.2f} {dollars:>16.3f}  {fits}"
        )
    return chosen or model.MEMORY_SIZES[-1], lines


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server: one line per call
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--load", type=int, default=3000)
    args = parser.parse_args()
    with moto_stack() as environment:
        with Client(app, stage_name="bench") as client, captured_stdout():  # its logs: measured in load
            found = profiles(client, args.rounds)
            sizes, header_bytes = answer_sizes(client)
        loaded = load(environment, args.load, warmup=100)
    report(found, sizes, header_bytes, loaded)


def report(
    found: list[Profile], sizes: dict[str, tuple[int, int]], header_bytes: int, loaded: dict[str, Any]
) -> None:
    """What was measured, then what it costs."""
    print(
        "Checks through the real handler, per request (30 versions; CPU median, DynamoDB calls by operation)"
    )
    print(f"{'check':<26} {'CPU ms':>7} {'read B':>7} {'write B':>8}  calls")
    for p in found:
        ops = ", ".join(f"{op} {n:.2f}" for op, n in sorted(p.operations.items())) or "none"
        print(f"{p.name:<26} {p.cpu_ms:>7.3f} {p.read_bytes:>7.0f} {p.write_bytes:>8.0f}  {ops}")
    print(f"\nAnswers (plain / gzipped bytes; headers {header_bytes} B)")
    for name, (plain, packed) in sizes.items():
        print(f"  {name:<24} {plain:>6} {packed:>6}  {packed / plain:.2f}")
    print(
        f"\nPublic function under the fleet's mix, own process, {loaded['requests']} requests: import "
        f"{loaded['import_s']:.2f} s ({loaded['import_cpu_s']:.2f} s CPU), VmHWM {loaded['hwm_after_import_mb']:.0f} MiB "
        f"after import, {loaded['hwm_peak_mb']:.0f} MiB peak; logs {loaded['log_bytes_per_request']:.0f} B in "
        f"{loaded['log_events_per_request']:.1f} events per request. Per route, ms (DynamoDB on moto, local):"
    )
    for route, figures in loaded["routes"].items():
        wall, cpu = figures["wall"], figures["cpu"]
        print(
            f"  {route:<13} n={figures['n']:<5} wall p50 {wall['p50']:6.1f} p99 {wall['p99']:6.1f} max {wall['max']:6.1f}"
            f"   CPU p50 {cpu['p50']:6.1f} p99 {cpu['p99']:6.1f} max {cpu['max']:6.1f}"
        )
    print_dollars(found, sizes, header_bytes, loaded)


def print_dollars(
    found: list[Profile], sizes: dict[str, tuple[int, int]], header_bytes: int, loaded: dict[str, Any]
) -> None:
    """The memory choice, the prices, and the dollars of a site-key check (the fleet's mix of
    offers) and of an anonymous one (warm reads as the fleet's rate allows)."""
    by_name = {p.name: p for p in found}
    wire = {
        name: sizes[answer][1] + header_bytes
        for name, answer in (("no update", "check-update, no update"), ("update", "check-update, update"))
    }
    up_to_date = check_of(by_name["site, up to date"], loaded, wire["no update"])
    first, again = model.site_mix_shares()
    site = up_to_date.mixed(check_of(by_name["site, first offer"], loaded, wire["update"]), first).mixed(
        check_of(by_name["site, offer seen"], loaded, wire["update"]), again / (1 - first)
    )
    warm = check_of(by_name["anonymous, warm container"], loaded, wire["no update"])
    unwarmed = check_of(by_name["anonymous, no warm reads"], loaded, wire["no update"])
    memory, lines = choose_memory(loaded, site)
    timeout = BRIDGE_WAIT_S + 1
    print("\nLambda memory for the public function (CPU stretched by 1769/MB below a full vCPU)")
    print("\n".join(lines))
    print(f"chosen: {memory} MB, timeout {timeout} s (the bridge gives up after {BRIDGE_WAIT_S} s)")
    print(f"\nPrices, us-east-1, as of {prices.AS_OF}:")
    for name, price in prices.ALL.items():
        print(f"  {name:<26} ${price.dollars:.10g} per {price.per:<18} {price.source}")
    settings = get_settings()
    floor = model.Check(0, 0, 0, 0, 0, 0, 0)
    floor_dollars = sum(model.per_check(floor, memory, cdn=False, absorbed=0).values())
    print(
        f"\nDollars per million checks at {memory} MB (floor: a check that does nothing, ${floor_dollars * 1e6:.2f})"
    )
    print(
        f"{'sites':>11} {'checks/month':>13} {'kind':<10} {'route':<6} {'absorbed':>8} {'$/M':>7} {'x floor':>7} {'$/month':>10}"
    )
    for sites in FLEETS:
        miss = model.warm_miss_ratio(sites, memory, warm, settings.hot_cache_seconds)
        anonymous = warm.mixed(unwarmed, miss)
        hit = model.edge_hit_ratio(sites, settings.public_cache_seconds)
        month = sites * model.CHECKS_PER_SITE_DAY * 30
        for kind, check, absorbable in (("site key", site, 0.0), ("anonymous", anonymous, hit)):
            init = model.cold_start_dollars_per_check(sites, memory, loaded["import_cpu_s"], check)
            for cdn in (False, True):
                absorbed = absorbable if cdn else 0.0
                dollars = sum(model.per_check(check, memory, cdn=cdn, absorbed=absorbed).values()) + init
                print(
                    f"{sites:>11,} {month:>13,} {kind:<10} {'CDN' if cdn else 'direct':<6} {absorbed:>8.0%} "
                    f"{dollars * 1e6:>7.2f} {dollars / floor_dollars:>7.2f} {dollars * month:>10,.0f}"
                )
    print("\nBy item, per million checks at 10 M sites, direct (site key / anonymous):")
    items_site = model.per_check(site, memory, cdn=False, absorbed=0)
    items_anon = model.per_check(
        warm.mixed(unwarmed, model.warm_miss_ratio(10_000_000, memory, warm, settings.hot_cache_seconds)),
        memory,
        cdn=False,
        absorbed=0,
    )
    for item in items_site:
        print(f"  {item:<18} {items_site[item] * 1e6:>7.3f} {items_anon[item] * 1e6:>7.3f}")


if __name__ == "__main__":
    main()
