"""Rollout percentages to the hundredth: 0.01 % is one of the 10 000 rollout buckets
(``logic/rollout``), so a percentage in hundredths names a whole number of buckets exactly.

Whole-percent steps were too coarse for a first step sized to its evidence: 25 sites of 1 000 is
2.5 %, and rounding up to 3 % offered a bad release to 30 (``guard/sizing``). A percentage is held
as a float only at the edges (JSON, DynamoDB numbers) and always normalized: a whole one is an
``int`` (10 stays ``10`` in every answer, as stored data written by older code already is), any
other is the float nearest its two decimals (``834 / 100`` is exactly ``float("8.34")``). Sums
and comparisons that must be exact (bucket counts, sizing) go through ``hundredths``.
"""

from __future__ import annotations

#: Hundredths in one percent.
SCALE = 100
#: Everyone: 100 %, in hundredths.
ALL = 100 * SCALE


def hundredths(percent: float) -> int:
    """``percent`` as a whole number of hundredths. Exact for any percentage with at most two
    decimals: ``percent * 100`` is then within 1e-12 of a whole number, which ``round`` recovers."""
    return round(percent * SCALE)


def of_hundredths(count: int) -> int | float:
    """The percentage ``count`` hundredths make, normalized (whole ones are ``int``)."""
    whole, part = divmod(count, SCALE)
    return whole if part == 0 else count / SCALE


def normalized(percent: float) -> int | float:
    return of_hundredths(hundredths(percent))
