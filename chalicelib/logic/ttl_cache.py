"""A small time-bounded memory: what a warm container keeps between requests for a few seconds
(``logic/hotcache.py`` for the whole app, ``api/hot_check.py`` for check-update's fast path).

Each cache holds at most ``capacity`` entries, the least recently used going first, so a scan of
made-up slugs or keys cannot grow it; ``seconds`` 0 keeps nothing (read-your-writes, for tests).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Entries per cache: plugins of a platform, sites of a fleet's busiest container; a few MB at most.
CAPACITY = 2048


def monotonic() -> float:
    return time.monotonic()


class TtlCache(Generic[K, V]):
    """At most ``capacity`` values, each kept ``seconds`` after it was loaded."""

    def __init__(self, seconds: float, capacity: int, clock: Callable[[], float] = monotonic) -> None:
        self.seconds = seconds
        self.capacity = capacity
        self.clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K, load: Callable[[], V]) -> V:
        """The value kept for ``key`` while fresh, else ``load()`` (kept from now on)."""
        now = self.clock()
        kept = self._items.get(key)
        if kept is not None and kept[0] > now:
            self._items.move_to_end(key)
            return kept[1]
        value = load()
        self.put(key, value, now)
        return value

    def put(self, key: K, value: V, now: float | None = None) -> None:
        if self.seconds <= 0:
            return
        self._items[key] = ((self.clock() if now is None else now) + self.seconds, value)
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def fresh(self, key: K) -> V | None:
        kept = self._items.get(key)
        return kept[1] if kept is not None and kept[0] > self.clock() else None
