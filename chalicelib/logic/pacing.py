"""When a refused site authentication is answered: on a fixed grid of time, not when the work ends.

``Sites.authenticate`` does the same work for a known site id as for an unknown one, but the read
before it does not: fetching a present item costs more than missing one (in the store answering
with the item's attributes, on the wire, in decoding them). Measured under moto, a known id was
refused 1.4-1.7x slower than an unknown one (bench/site_auth_bench.py). No read the service can
make costs the same for both without a table redesign (an item for every possible id), so the
refusal waits instead: it is answered at the first multiple of ``granule`` after authentication
started, so a caller sees the grid, not the read.

Costs: a successful authentication never waits (only a caller holding the site's key can make
one, and it learns nothing new); a refused one waits out the rest of its granule, which a real
site with a wrong key pays once per request, and an attacker probing ids pays on every probe.
A read slower than a granule moves to the next multiple, whichever id it was for, so only reads
that straddle a boundary differently for the two kinds could still tell them apart.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Seconds: well above a GetItem's usual latency (a few ms in Lambda, 2-4 ms under moto), so
#: nearly every refusal lands on the first multiple.
REFUSAL_GRANULE = 0.025


@dataclass(frozen=True)
class Pace:
    """A grid of ``granule`` seconds on ``clock``; ``granule`` 0 answers at once (no grid)."""

    granule: float = REFUSAL_GRANULE
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def start(self) -> float:
        return self.clock()

    def hold(self, started: float) -> None:
        """Return at the first multiple of ``granule`` after ``started`` not already past."""
        if self.granule <= 0:
            return
        elapsed = self.clock() - started
        deadline = started + self.granule * max(1, math.ceil(elapsed / self.granule))
        remaining = deadline - self.clock()
        if remaining > 0:
            self.sleep(remaining)
