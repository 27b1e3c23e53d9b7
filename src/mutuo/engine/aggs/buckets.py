"""Shared machinery of bucket aggregations: per-bucket masks, sub-aggregations, ordering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import IllegalArgumentError
from ..search_context import SearchContext
from . import Aggregation, IllegalBucketPath, ReduceContext


def bucket_partial(
    agg: Aggregation,
    ctx: SearchContext,
    bucket_mask: np.ndarray,
    scores: np.ndarray | None,
) -> tuple[int, dict[str, Any]]:
    """(doc_count, sub-aggregation partials) of one bucket on one index."""
    count = int(np.count_nonzero(bucket_mask))
    return count, agg.collect_subs(ctx, bucket_mask, scores) if agg.subs else {}


def merge_buckets(
    partials: list[dict[Any, tuple[int, dict[str, Any]]]],
) -> dict[Any, tuple[int, list[dict[str, Any]]]]:
    """key -> (total doc_count, the sub partials of every index that has the bucket)."""
    merged: dict[Any, tuple[int, list[dict[str, Any]]]] = {}
    for partial in partials:
        for key, (count, subs) in partial.items():
            total, sub_list = merged.get(key, (0, []))
            merged[key] = (total + count, [*sub_list, subs] if subs else sub_list)
    return merged


def render_bucket(
    agg: Aggregation,
    head: dict[str, Any],
    count: int,
    sub_partials: list[dict[str, Any]],
    rctx: ReduceContext,
) -> dict[str, Any]:
    out = {**head, "doc_count": count}
    if agg.subs:
        if not sub_partials:
            sub_partials = [_empty_subs(agg)]
        out.update(agg.reduce_subs(sub_partials, rctx))
    return out


def _empty_subs(agg: Aggregation) -> dict[str, Any]:
    """Sub partials of a bucket that no index collected (an empty histogram gap)."""
    return {sub.name: sub.empty() for sub in agg.subs}


def parse_order(spec: Any, agg_name: str) -> list[tuple[str, bool]]:
    """``{"_count": "desc"}`` or a list of such -> [(key path, descending)]."""
    items = spec if isinstance(spec, list) else [spec]
    out = []
    for item in items:
        if not isinstance(item, dict) or len(item) != 1:
            raise IllegalArgumentError(f"[{agg_name}] invalid order [{item}]")
        ((path, direction),) = item.items()
        direction = str(direction).lower()
        if direction not in ("asc", "desc"):
            raise IllegalArgumentError(f"Unknown BucketOrder direction [{direction}]")
        out.append(("_key" if path == "_term" else path, direction == "desc"))
    return out


def order_key(
    agg: Aggregation, order: list[tuple[str, bool]], sub_results: Callable[[Any], dict[str, Any]]
) -> Callable[[tuple[Any, int]], tuple[Any, ...]]:
    """A sort key over (bucket key, doc_count) implementing ``order`` plus key asc."""
    subs = {s.name: s for s in agg.subs}

    def value(path: str, key: Any, count: int) -> Any:
        if path == "_count":
            return count
        if path == "_key":
            return key
        name, _, metric = path.partition(".")
        if name not in subs:
            raise IllegalArgumentError(
                f"Invalid aggregation order path [{path}]. Buckets can only be sorted on a "
                "sub-aggregator path that is built out of zero or more single-bucket aggregations "
                "within the path and a final single-bucket or a metrics aggregation at the path end."
            )
        try:
            got = subs[name].metric_value(sub_results(key)[name], metric or None)
        except IllegalBucketPath as exc:
            raise IllegalArgumentError(str(exc)) from None
        return got if got is not None else float("-inf")

    def key_fn(item: tuple[Any, int]) -> tuple[Any, ...]:
        key, count = item
        parts: list[Any] = []
        for path, desc in order:
            v = value(path, key, count)
            parts.append(_Reversed(v) if desc else v)
        parts.append(key)
        return tuple(parts)

    return key_fn


class _Reversed:
    """Wraps a value so that ascending sorts order it descending."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.v == other.v)

    def __hash__(self) -> int:
        return hash(self.v)
