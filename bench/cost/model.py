"""Dollars from measurements: what a check costs on AWS, with and without the CDN in front.

Everything measured comes in as arguments (``bench.cost.measure``); what is not measured here is
a named assumption below, with its reason, and the prices are ``bench.cost.prices``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.cost import prices

#: Lambda gives a full vCPU at 1,769 MB and a proportional share below (Lambda's documentation):
#: handler CPU measured on one core of this machine stretches by 1769/memory under it.
FULL_VCPU_MB = 1769
MEMORY_SIZES = (128, 256, 512, 1024, 1769)
#: Assumed: a DynamoDB GetItem/PutItem round trip inside the region, wall time (single-digit ms
#: per DynamoDB's service level; moto's local figure would flatter it).
DYNAMODB_RTT_MS = 4.0
#: Assumed: Lambda's per-invocation runtime overhead (the runtime API's next/response calls).
RUNTIME_MS = 1.0
#: Lambda's own lines per invocation (START, END, REPORT), as Lambda writes them.
PLATFORM_LINES = (
    "START RequestId: 3f1c5a8e-9b2d-4e6f-8a1b-2c3d4e5f6a7b Version: $LATEST\n",
    "END RequestId: 3f1c5a8e-9b2d-4e6f-8a1b-2c3d4e5f6a7b\n",
    "REPORT RequestId: 3f1c5a8e-9b2d-4e6f-8a1b-2c3d4e5f6a7b\tDuration: 12.34 ms\tBilled Duration: 13 ms\t"
    "Memory Size: 512 MB\tMax Memory Used: 97 MB\t\n",
)
#: Assumed fleet behaviour: WordPress checks twice a day per site; a plugin has 4 releases a
#: month, each a first offer per site, and a site stays offered for 1.5 more checks on average
#: before it updates; a container lives 30 minutes; bursts keep 3x the mean concurrency warm.
CHECKS_PER_SITE_DAY = 2
RELEASES_PER_MONTH = 4
OFFERED_AGAIN_PER_RELEASE = 1.5
CONTAINER_LIFETIME_S = 1800
BURST = 3
#: Assumed for the CDN's hit ratio: distinct anonymous cache keys carrying most checks (current
#: version x WordPress version x PHP version, skewed), and CloudFront's 13 regional edge caches.
ANONYMOUS_KEYS = 100
EDGE_CACHES = 13


@dataclass(frozen=True)
class Check:
    """What one check costs the origin, measured: handler CPU, DynamoDB calls, read and write
    units, bytes logged (and log events), bytes on the wire (gzipped answer and headers)."""

    cpu_ms: float
    dynamodb_calls: float
    read_units: float
    write_units: float
    log_bytes: float
    log_events: float
    wire_bytes: float

    def mixed(self, other: Check, share: float) -> Check:
        """This check, with ``share`` of them being ``other`` instead."""
        fields = (
            "cpu_ms",
            "dynamodb_calls",
            "read_units",
            "write_units",
            "log_bytes",
            "log_events",
            "wire_bytes",
        )
        return Check(*(getattr(self, f) * (1 - share) + getattr(other, f) * share for f in fields))


def stretch(memory_mb: int) -> float:
    return max(1.0, FULL_VCPU_MB / memory_mb)


def billed_ms(check: Check, memory_mb: int) -> float:
    return math.ceil(check.cpu_ms * stretch(memory_mb) + check.dynamodb_calls * DYNAMODB_RTT_MS + RUNTIME_MS)


def origin_dollars(check: Check, memory_mb: int) -> dict[str, float]:
    """One check served by API Gateway and Lambda, by item."""
    platform = sum(len(line) for line in PLATFORM_LINES)
    events = check.log_events + len(PLATFORM_LINES)
    logged = check.log_bytes + platform + prices.LOG_EVENT_OVERHEAD_BYTES * events
    return {
        "API Gateway": prices.API_GATEWAY_REQUEST.dollars,
        "Lambda requests": prices.LAMBDA_REQUEST.dollars,
        "Lambda duration": memory_mb
        / 1024
        * billed_ms(check, memory_mb)
        / 1000
        * prices.LAMBDA_GB_SECOND.dollars,
        "DynamoDB": check.read_units * prices.DYNAMODB_READ_UNIT.dollars
        + check.write_units * prices.DYNAMODB_WRITE_UNIT.dollars,
        "CloudWatch Logs": logged / 1e9 * prices.LOGS_INGEST_GB.dollars,
    }


def per_check(check: Check, memory_mb: int, *, cdn: bool, absorbed: float) -> dict[str, float]:
    """Dollars of one check by item: straight to API Gateway, or through CloudFront, which
    answers ``absorbed`` of them from its cache (origin fetches from AWS are free)."""
    origin = origin_dollars(check, memory_mb)
    if not cdn:
        return {**origin, "egress": check.wire_bytes / 1e9 * prices.REGION_EGRESS_GB.dollars}
    edge = {
        "CloudFront requests": prices.CLOUDFRONT_HTTPS_REQUEST.dollars,
        "CloudFront Function": prices.CLOUDFRONT_FUNCTION.dollars,
        "egress": check.wire_bytes / 1e9 * prices.CLOUDFRONT_EGRESS_GB.dollars,
    }
    return {**edge, **{item: dollars * (1 - absorbed) for item, dollars in origin.items()}}


def checks_per_second(sites: int) -> float:
    return sites * CHECKS_PER_SITE_DAY / 86_400


def warm_miss_ratio(sites: int, memory_mb: int, check: Check, hot_seconds: int) -> float:
    """Share of checks a container answers with a DynamoDB read of the plugin: each warm
    container reads it once per ``hot_seconds``."""
    rate = checks_per_second(sites)
    containers = max(1.0, rate * billed_ms(check, memory_mb) / 1000 * BURST)
    return min(1.0, containers / (hot_seconds * rate))


def edge_hit_ratio(sites: int, ttl_seconds: int) -> float:
    """A cache entry lives ``ttl_seconds`` after a miss: a key asked λ times a second per edge
    cache is answered from it λT/(1+λT) of the time."""
    per_key = checks_per_second(sites) / (ANONYMOUS_KEYS * EDGE_CACHES) * ttl_seconds
    return per_key / (1 + per_key)


def cold_start_dollars_per_check(sites: int, memory_mb: int, init_cpu_s: float, check: Check) -> float:
    """The INIT phase, billed as duration since 2025-08: one per container per lifetime."""
    rate = checks_per_second(sites)
    containers = max(1.0, rate * billed_ms(check, memory_mb) / 1000 * BURST)
    starts_per_check = containers / CONTAINER_LIFETIME_S / rate
    init_gb_s = memory_mb / 1024 * init_cpu_s * stretch(memory_mb)
    return starts_per_check * init_gb_s * prices.LAMBDA_GB_SECOND.dollars


def site_mix_shares() -> tuple[float, float]:
    """Shares of a site's checks that are a first offer, and an offer it has seen before."""
    checks = CHECKS_PER_SITE_DAY * 30
    return RELEASES_PER_MONTH / checks, RELEASES_PER_MONTH * OFFERED_AGAIN_PER_RELEASE / checks
