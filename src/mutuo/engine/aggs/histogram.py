"""``histogram``: fixed-width numeric buckets, ``floor((v - offset) / interval)``.

With ``min_doc_count: 0`` (the default) empty buckets fill every gap between the first
and last key, widened by ``extended_bounds`` and clipped by ``hard_bounds``; the
``date_histogram`` module reuses this machinery with calendar-aware rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import IllegalArgumentError, ParsingError
from ..search_context import SearchContext
from . import Aggregation, ReduceContext, check_options, register
from .buckets import merge_buckets, order_key, parse_order, render_bucket
from .values import field_values, value_as_string

_COMMON = {
    "field",
    "min_doc_count",
    "extended_bounds",
    "hard_bounds",
    "order",
    "keyed",
    "missing",
    "format",
    "offset",
}


class BucketHistogram(Aggregation):
    """Shared collect/reduce: subclasses say how a value rounds to its bucket key."""

    def __init__(self, name: str, body: dict[str, Any], extra: set[str]) -> None:
        super().__init__(name, body)
        check_options(self, _COMMON | extra)
        self.min_doc_count = int(body.get("min_doc_count", 0))
        self.order = parse_order(body.get("order", [{"_key": "asc"}]), name)
        self.keyed = bool(body.get("keyed", False))
        self.mapper: Any = None
        self.bounds: tuple[float, float] | None = None  # extended_bounds in key units
        self.hard: tuple[float, float] | None = None

    def round_keys(self, ctx: SearchContext, values: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def next_key(self, key: float) -> float:
        raise NotImplementedError

    def resolve_bounds(self, ctx: SearchContext) -> None:
        """Read ``extended_bounds``/``hard_bounds`` (dates need the mapping)."""

    def head(self, key: float) -> dict[str, Any]:
        head: dict[str, Any] = {"key": key}
        text = value_as_string(self.mapper, key, self.body.get("format"))
        if text is not None:
            head["key_as_string"] = text
        return head

    def collect(self, ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None) -> Any:
        values = field_values(ctx, self.body.get("field"), mask, self.body.get("missing"))
        self.mapper = self.mapper or values.mapper
        self.resolve_bounds(ctx)
        keys = self.round_keys(ctx, values.values.astype(np.float64))
        docs = values.docs
        if self.hard is not None:
            keep = (keys >= self.hard[0]) & (keys <= self.hard[1])
            keys, docs = keys[keep], docs[keep]
        if not len(keys):
            return {}
        pairs = np.unique(np.stack([keys, docs.astype(np.float64)]), axis=1)
        keys, docs = pairs[0], pairs[1].astype(np.int64)
        uniq, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        out: dict[float, tuple[int, dict[str, Any]]] = {}
        for i, (key, count) in enumerate(zip(uniq.tolist(), counts.tolist(), strict=True)):
            subs = (
                self.collect_subs(ctx, ctx.mask_of(docs[inverse == i]), scores) if self.subs else {}
            )
            out[key] = (count, subs)
        return out

    def reduce(self, partials: list[Any], rctx: ReduceContext) -> dict[str, Any]:
        merged = merge_buckets(partials)
        if self.min_doc_count == 0:
            self._fill_gaps(merged, rctx)
        items = [(k, c) for k, (c, _s) in merged.items() if c >= self.min_doc_count]
        cache: dict[Any, dict[str, Any]] = {}

        def sub_results(key: Any) -> dict[str, Any]:
            if key not in cache:
                cache[key] = self.reduce_subs(
                    merged[key][1] or [{s.name: s.empty() for s in self.subs}], rctx
                )
            return cache[key]

        items.sort(key=order_key(self, self.order, sub_results))
        rctx.count_buckets(len(items))
        buckets = [render_bucket(self, self.head(k), c, merged[k][1], rctx) for k, c in items]
        if self.keyed:
            return {"buckets": {str(b.get("key_as_string", b["key"])): b for b in buckets}}
        return {"buckets": buckets}

    def _fill_gaps(self, merged: dict[Any, Any], rctx: ReduceContext) -> None:
        keys = sorted(merged)
        low = keys[0] if keys else None
        high = keys[-1] if keys else None
        if self.bounds is not None:
            low = self.bounds[0] if low is None else min(low, self.bounds[0])
            high = self.bounds[1] if high is None else max(high, self.bounds[1])
        if self.hard is not None and low is not None and high is not None:
            low, high = max(low, self.hard[0]), min(high, self.hard[1])
        if low is None or high is None:
            return
        key = low
        created = 0
        while key <= high:
            if key not in merged:
                merged[key] = (0, [])
                created += 1
                if created > 65_535:
                    rctx.count_buckets(created)
            key = self.next_key(key)


def _bounds_pair(spec: Any, what: str, parse: Callable[[Any], float]) -> tuple[float, float] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ParsingError(f"[{what}] must be an object with [min] and [max]")
    low = parse(spec["min"]) if spec.get("min") is not None else -math.inf
    high = parse(spec["max"]) if spec.get("max") is not None else math.inf
    if low > high:
        raise IllegalArgumentError(
            f"[{what}.min][{low}] cannot be greater than [{what}.max][{high}]."
        )
    return low, high


@register("histogram")
class Histogram(BucketHistogram):
    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(name, body, {"interval"})
        if "interval" not in body:
            raise IllegalArgumentError(
                f"[interval] must be specified for histogram aggregation [{name}]"
            )
        self.interval = float(body["interval"])
        if self.interval <= 0:
            raise IllegalArgumentError(f"[interval] must be >0 for histogram aggregation [{name}]")
        self.offset = float(body.get("offset", 0))

    def round_keys(self, ctx: SearchContext, values: np.ndarray) -> np.ndarray:
        return np.floor((values - self.offset) / self.interval) * self.interval + self.offset

    def next_key(self, key: float) -> float:
        return key + self.interval

    def resolve_bounds(self, ctx: SearchContext) -> None:
        ext = _bounds_pair(self.body.get("extended_bounds"), "extended_bounds", float)
        if ext is not None:
            rounded = self.round_keys(ctx, np.array([v for v in ext if math.isfinite(v)]))
            finite = iter(rounded.tolist())
            self.bounds = tuple(next(finite) if math.isfinite(v) else v for v in ext)  # type: ignore[assignment]
            if not all(math.isfinite(v) for v in self.bounds):  # type: ignore[union-attr]
                self.bounds = None
        self.hard = _bounds_pair(self.body.get("hard_bounds"), "hard_bounds", float)
