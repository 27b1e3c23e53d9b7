"""``top_hits``: the best documents of each bucket, fetched like search hits."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..fetch import FetchSpec, PageRow
from ..search_after import merge_sorted, shard_top
from ..search_context import SearchContext
from ..sort import SortField, parse_sort, shard_keys
from ..source_filter import parse_spec
from . import Aggregation, ReduceContext, check_options, register

_OPTIONS = {
    "from",
    "size",
    "sort",
    "_source",
    "version",
    "seq_no_primary_term",
    "explain",
    "track_scores",
    "docvalue_fields",
    "stored_fields",
}


class _ShardTop:
    """The slice of a bucket's documents one index contributes (a ShardHits stand-in)."""

    def __init__(
        self, ctx: SearchContext, ordinals: np.ndarray, scores: np.ndarray, keys: Any
    ) -> None:
        self.ctx = ctx
        self.ordinals = ordinals
        self.scores = scores
        self.extras = {"sort_keys": keys}


@register("top_hits")
class TopHits(Aggregation):
    accepts_subs = False

    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(name, body)
        check_options(self, _OPTIONS)
        self.from_ = int(body.get("from", 0))
        self.size = int(body.get("size", 3))
        if self.from_ < 0 or self.size < 0:
            raise ParsingError("[top_hits] [from] and [size] must be non-negative")
        self.sort: list[SortField] | None = parse_sort(body["sort"]) if "sort" in body else None
        self.spec = FetchSpec(
            source=parse_spec(body.get("_source")),
            version=bool(body.get("version", False)),
            seq_no_primary_term=bool(body.get("seq_no_primary_term", False)),
        )

    def needs_scores(self) -> bool:
        return (
            self.sort is None
            or bool(self.body.get("track_scores"))
            or any(s.field == "_score" for s in self.sort)
        )

    def collect(self, ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None) -> Any:
        ordinals = np.flatnonzero(mask)
        all_scores = scores if scores is not None else np.zeros(len(mask), dtype=np.float32)
        sort = self.sort or [SortField("_score", "desc")]
        keys = shard_keys(ctx, sort, ordinals, all_scores[ordinals])
        top = shard_top(keys, ordinals, self.from_ + self.size)
        chosen = ordinals[top]
        return (
            _ShardTop(
                ctx, chosen, all_scores[chosen], shard_keys(ctx, sort, chosen, all_scores[chosen])
            ),
            len(ordinals),
        )

    def empty(self) -> Any:
        return None

    def reduce(self, partials: list[Any], rctx: ReduceContext) -> dict[str, Any]:
        partials = [p for p in partials if p is not None]
        shards = [p[0] for p in partials]
        total = sum(p[1] for p in partials)
        sort = self.sort or [SortField("_score", "desc")]
        tops = [np.arange(len(s.ordinals)) for s in shards]
        rows = merge_sorted(sort, shards, tops, self.from_ + self.size)[self.from_ :]
        show_scores = self.needs_scores()
        page = [
            PageRow(shards[pos].ctx, o, s if show_scores else None, v if self.sort else None)
            for pos, o, s, v in rows
        ]
        hits = rctx.fetch(page, self.spec)
        best = [float(s.scores.max()) for s in shards if len(s.scores)]
        max_score = max(best) if best and show_scores else None
        from ..explanation import java_float

        return {
            "hits": {
                "total": {"value": total, "relation": "eq"},
                "max_score": java_float(max_score) if max_score is not None else None,
                "hits": hits,
            }
        }
