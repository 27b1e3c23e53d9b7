"""Aggregations: one small module per type, found by name in a registry.

An aggregation runs in two phases like OpenSearch's: :meth:`Aggregation.collect` runs
per index over the query's matching documents (a boolean mask; numpy only) and returns
a mergeable partial; :meth:`Aggregation.reduce` merges the partials of every index into
the response JSON. Bucket aggregations collect their sub-aggregations per bucket with
the bucket's mask and reduce them per bucket key.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from ..errors import ParsingError

if TYPE_CHECKING:
    from ..search_context import SearchContext

MAX_BUCKETS = 65_535  # search.max_buckets


@dataclass
class ReduceContext:
    """What a reduction may need beyond the partials (fetching ``top_hits`` pages)."""

    fetch: Callable[[list[Any], Any], list[dict[str, Any]]]
    typed_keys: bool = False
    buckets: list[int] = field(default_factory=lambda: [0])

    def count_buckets(self, n: int) -> None:
        self.buckets[0] += n
        if self.buckets[0] > MAX_BUCKETS:
            from ..errors import OpenSearchError

            raise OpenSearchError(
                f"Trying to create too many buckets. Must be less than or equal to: "
                f"[{MAX_BUCKETS}] but was [{self.buckets[0]}]. This limit can be set by changing "
                "the [search.max_buckets] cluster level setting.",
                status=503,
                error_type="too_many_buckets_exception",
                max_buckets=MAX_BUCKETS,
            )


class Aggregation:
    """Base of every aggregation type."""

    type_name: ClassVar[str] = ""
    accepts_subs: ClassVar[bool] = True

    def __init__(self, name: str, body: dict[str, Any]) -> None:
        self.name = name
        self.body = body
        self.subs: list[Aggregation] = []
        self.meta: dict[str, Any] | None = None

    def needs_scores(self) -> bool:
        return any(s.needs_scores() for s in self.subs)

    def collect(self, ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None) -> Any:
        raise NotImplementedError

    def reduce(self, partials: list[Any], rctx: ReduceContext) -> dict[str, Any]:
        raise NotImplementedError

    def empty(self) -> Any:
        """The partial of a bucket no document fell into (histogram gaps)."""
        return {}

    # -- sub-aggregations ------------------------------------------------------------

    def collect_subs(
        self, ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None
    ) -> dict[str, Any]:
        return {sub.name: sub.collect(ctx, mask, scores) for sub in self.subs}

    def reduce_subs(self, partials: list[dict[str, Any]], rctx: ReduceContext) -> dict[str, Any]:
        return {
            sub.key_name(rctx): sub.render(sub.reduce([p[sub.name] for p in partials], rctx))
            for sub in self.subs
        }

    def key_name(self, rctx: ReduceContext) -> str:
        return f"{self.type_name}#{self.name}" if rctx.typed_keys else self.name

    def render(self, result: dict[str, Any]) -> dict[str, Any]:
        if self.meta is not None:
            return {"meta": self.meta, **result}
        return result

    def metric_value(self, reduced: dict[str, Any], path: str | None) -> Any:
        """The number a ``terms`` order or a bucket path reads from this result."""
        if path is None:
            if "value" not in reduced:
                raise IllegalBucketPath(
                    f"[{self.name}] is a multi-value aggregation; name a metric"
                )
            return reduced["value"]
        if path in reduced:
            return reduced[path]
        values = reduced.get("values", {})
        if path in values:
            return values[path]
        raise IllegalBucketPath(f"unknown metric [{path}] of aggregation [{self.name}]")


class IllegalBucketPath(Exception):
    pass


AGG_TYPES: dict[str, type[Aggregation]] = {}
A = TypeVar("A", bound=type[Aggregation])


def register(*names: str) -> Callable[[A], A]:
    def wrap(cls: A) -> A:
        cls.type_name = names[0]
        for name in names:
            AGG_TYPES[name] = cls
        return cls

    return wrap


def parse_aggregations(spec: Any) -> list[Aggregation]:
    """``{"name": {"<type>": {...}, "aggs": {...}, "meta": {...}}}`` -> aggregations."""
    _load_all()
    if not isinstance(spec, dict):
        raise ParsingError("Aggregation definition must be an object")
    out = []
    for name, body in spec.items():
        if any(c in name for c in "[]>"):
            raise ParsingError(
                f"Invalid aggregation name [{name}]. Aggregation names can contain any character "
                "except '[', ']', and '>'"
            )
        out.append(_parse_one(name, body))
    return out


def _parse_one(name: str, body: Any) -> Aggregation:
    if not isinstance(body, dict):
        raise ParsingError(
            f"Expected [START_OBJECT] under [{name}], but got a [{type(body).__name__}] in [{name}]"
        )
    subs_body = None
    meta = None
    kind: str | None = None
    kind_body: Any = None
    for key, value in body.items():
        if key in ("aggs", "aggregations"):
            if subs_body is not None:
                raise ParsingError(f"Found two sub aggregation definitions under [{name}]")
            subs_body = value
        elif key == "meta":
            meta = value
        elif kind is not None:
            raise ParsingError(
                f"Found two aggregation type definitions in [{name}]: [{kind}] and [{key}]"
            )
        else:
            kind, kind_body = key, value
    if kind is None:
        raise ParsingError(f"Missing definition for aggregation [{name}]")
    cls = AGG_TYPES.get(kind)
    if cls is None:
        raise ParsingError(
            f"Unknown aggregation type [{kind}]; the embedded engine knows {sorted(AGG_TYPES)}"
        )
    if not isinstance(kind_body, dict):
        raise ParsingError(
            f"Expected [START_OBJECT] under [{kind}], but got a [{type(kind_body).__name__}] in [{name}]"
        )
    agg = cls(name, kind_body)
    agg.meta = meta
    if subs_body is not None:
        if not cls.accepts_subs:
            raise ParsingError(
                f"Aggregator [{name}] of type [{kind}] cannot accept sub-aggregations"
            )
        agg.subs = parse_aggregations(subs_body)
    return agg


def collect_all(
    aggs: list[Aggregation], ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None
) -> dict[str, Any]:
    return {agg.name: agg.collect(ctx, mask, scores) for agg in aggs}


def reduce_all(
    aggs: list[Aggregation], partials: list[dict[str, Any]], rctx: ReduceContext
) -> dict[str, Any]:
    return {
        agg.key_name(rctx): agg.render(agg.reduce([p[agg.name] for p in partials], rctx))
        for agg in aggs
    }


def check_options(agg: Aggregation, allowed: set[str]) -> None:
    for key in agg.body:
        if key not in allowed:
            if key == "script":
                raise ParsingError(
                    f"[{agg.type_name}] [script] is not supported by the embedded engine (no scripts)"
                )
            raise ParsingError(f"[{agg.type_name}] unknown field [{key}]")


_loaded = False


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True


AggregationSpec = Aggregation
