"""Single- and multi-filter buckets: ``filter``, ``filters``, ``global``, ``missing``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..queries import Query, parse_query
from ..search_context import SearchContext
from . import Aggregation, ReduceContext, check_options, register
from .buckets import bucket_partial, render_bucket
from .values import field_values


class SingleBucket(Aggregation):
    """A bucket whose documents are a mask derived from the query's matches."""

    def bucket(self, ctx: SearchContext, mask: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def collect(self, ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None) -> Any:
        return bucket_partial(self, ctx, self.bucket(ctx, mask), scores)

    def empty(self) -> Any:
        return (0, {})

    def reduce(self, partials: list[Any], rctx: ReduceContext) -> dict[str, Any]:
        count = sum(p[0] for p in partials)
        subs = [p[1] for p in partials if p[1]]
        return render_bucket(self, {}, count, subs, rctx)

    def metric_value(self, reduced: dict[str, Any], path: str | None) -> Any:
        if path in (None, "_count", "doc_count"):
            return reduced["doc_count"]
        return super().metric_value(reduced, path)


@register("filter")
class Filter(SingleBucket):
    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(name, body)
        self.query: Query = parse_query(body, "filter")

    def bucket(self, ctx: SearchContext, mask: np.ndarray) -> np.ndarray:
        return mask & self.query.run(ctx, False).mask


@register("global")
class Global(SingleBucket):
    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(name, body)
        if body:
            raise ParsingError(f"[global] aggregation [{name}] takes no options")

    def bucket(self, ctx: SearchContext, mask: np.ndarray) -> np.ndarray:
        return ctx.live.copy()


@register("missing")
class Missing(SingleBucket):
    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(name, body)
        check_options(self, {"field"})

    def bucket(self, ctx: SearchContext, mask: np.ndarray) -> np.ndarray:
        values = field_values(ctx, self.body.get("field"), mask)
        has = ctx.mask_of(values.docs)
        return mask & ~has


@register("filters")
class Filters(Aggregation):
    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(name, body)
        check_options(self, {"filters", "other_bucket", "other_bucket_key"})
        spec = body.get("filters")
        if isinstance(spec, dict):
            self.keyed = True
            self.filters = [(k, parse_query(v, "filters")) for k, v in sorted(spec.items())]
        elif isinstance(spec, list):
            self.keyed = False
            self.filters = [(str(i), parse_query(v, "filters")) for i, v in enumerate(spec)]
        else:
            raise ParsingError("[filters] requires a [filters] object or array")
        key = body.get("other_bucket_key")
        self.other = bool(body.get("other_bucket", key is not None))
        self.other_key: str = str(key) if key is not None else "_other_"

    def collect(self, ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None) -> Any:
        out: dict[str, Any] = {}
        seen = np.zeros(len(mask), dtype=bool)
        for key, query in self.filters:
            bucket = mask & query.run(ctx, False).mask
            seen |= bucket
            out[key] = bucket_partial(self, ctx, bucket, scores)
        if self.other:
            out[self.other_key] = bucket_partial(self, ctx, mask & ~seen, scores)
        return out

    def reduce(self, partials: list[Any], rctx: ReduceContext) -> dict[str, Any]:
        keys = [k for k, _q in self.filters] + ([self.other_key] if self.other else [])
        rendered = {}
        for key in keys:
            count = sum(p[key][0] for p in partials)
            subs = [p[key][1] for p in partials if p[key][1]]
            rendered[key] = render_bucket(self, {}, count, subs, rctx)
        rctx.count_buckets(len(rendered))
        if self.keyed:
            return {"buckets": rendered}
        return {"buckets": [rendered[k] for k in keys]}
