"""The plugin's caches of compiled elements, keyed by (store index, element name).

Three caches (features, feature sets, models), each bounded by an estimated memory weight
(``ltr.caches.max_mem``, 10mb) and expiring entries an hour after they were written or last
read, as the plugin's ``Caches`` do. Deleting or updating an element, deleting its store,
or ``_clearcache`` evicts entries; hit, miss and eviction counts feed the stats endpoints.
Weights are estimates of the compiled structures' memory (numpy array sizes plus rough
object overheads), like the plugin's ``RamUsageEstimator`` figures.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_WEIGHT = 10 * 1024 * 1024
EXPIRE_SECONDS = 3600.0
KINDS = ("feature", "featureset", "model")


@dataclass
class _Entry:
    value: Any
    weight: int
    written: float
    read: float


@dataclass
class CacheCounters:
    hits: int = 0
    misses: int = 0
    evictions: int = 0


class ElementCache:
    """One LRU cache bounded by total weight, with expire-after-write/read."""

    def __init__(self, max_weight: int = MAX_WEIGHT, expire_s: float = EXPIRE_SECONDS) -> None:
        self.max_weight = max_weight
        self.expire_s = expire_s
        self.entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self.counters = CacheCounters()

    def load(self, key: tuple[str, str], loader: Callable[[], Any]) -> Any:
        now = time.monotonic()
        entry = self.entries.get(key)
        if entry is not None and self._expired(entry, now):
            self._remove(key)
            entry = None
        if entry is not None:
            self.counters.hits += 1
            entry.read = now
            self.entries.move_to_end(key)
            return entry.value
        self.counters.misses += 1
        value = loader()
        self.entries[key] = _Entry(value, int(value.ram_bytes()), now, now)
        self._shrink()
        return value

    def invalidate(self, key: tuple[str, str]) -> None:
        if key in self.entries:
            self._remove(key)

    def invalidate_store(self, store: str | None) -> None:
        for key in [k for k in self.entries if store is None or k[0] == store]:
            self._remove(key)

    def weight(self, store: str | None = None) -> int:
        return sum(e.weight for k, e in self.entries.items() if store is None or k[0] == store)

    def count(self, store: str | None = None) -> int:
        return sum(1 for k in self.entries if store is None or k[0] == store)

    def stores(self) -> set[str]:
        return {k[0] for k in self.entries}

    def _expired(self, entry: _Entry, now: float) -> bool:
        return now - entry.written > self.expire_s or now - entry.read > self.expire_s

    def _remove(self, key: tuple[str, str]) -> None:
        del self.entries[key]
        self.counters.evictions += 1

    def _shrink(self) -> None:
        while self.entries and self.weight() > self.max_weight:
            self._remove(next(iter(self.entries)))


class Caches:
    def __init__(self) -> None:
        self.by_kind = {kind: ElementCache() for kind in KINDS}

    def load(self, kind: str, store: str, name: str, loader: Callable[[], Any]) -> Any:
        return self.by_kind[kind].load((store, name), loader)

    def evict(self, kind: str, store: str, name: str) -> None:
        self.by_kind[kind].invalidate((store, name))

    def evict_store(self, store: str | None) -> None:
        """Drop every entry of ``store`` (all stores when None)."""
        for cache in self.by_kind.values():
            cache.invalidate_store(store)

    def store_details(self, store: str | None) -> dict[str, Any]:
        """``{"total", "features", "featuresets", "models"}`` ram/count of one store or all."""
        parts = {
            f"{kind}s": {"ram": cache.weight(store), "count": cache.count(store)}
            for kind, cache in self.by_kind.items()
        }
        total = {
            "ram": sum(p["ram"] for p in parts.values()),
            "count": sum(p["count"] for p in parts.values()),
        }
        return {"total": total, **parts}

    def stores(self) -> list[str]:
        return sorted(set().union(*(c.stores() for c in self.by_kind.values())))

    def node_stats(self) -> dict[str, Any]:
        """The ``cache`` stat of ``/_plugins/_ltr/stats``."""
        return {
            kind: {
                "hit_count": cache.counters.hits,
                "miss_count": cache.counters.misses,
                "eviction_count": cache.counters.evictions,
                "entry_count": cache.count(),
                "memory_usage_in_bytes": cache.weight(),
            }
            for kind, cache in self.by_kind.items()
        }
