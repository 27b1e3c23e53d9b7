"""``dis_max``: the best clause's score plus ``tie_breaker`` times the others'.

Computed as Lucene's DisjunctionMaxScorer: clause scores visited in order, a new
maximum pushes the previous one into the "others" sum, and the result
``max + others * tie_breaker`` is rounded to float once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..explanation import Explanation, java_float_str
from ..search_context import SearchContext
from . import Matches, Query, parse_common, parse_query, register


@register("dis_max")
class DisMax(Query):
    cost = 1

    def __init__(self, queries: list[Query], tie_breaker: float) -> None:
        self.queries = queries
        self.tie_breaker = tie_breaker

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[dis_max] query malformed, no start_object after query name")
        items = body.get("queries")
        if items is None:
            raise ParsingError("[dis_max] requires 'queries' field with at least one clause")
        items = items if isinstance(items, list) else [items]
        if not items:
            raise ParsingError("[dis_max] requires 'queries' field with at least one clause")
        query = cls(
            [parse_query(q, "queries") for q in items],
            float(np.float32(body.get("tie_breaker", 0.0))),
        )
        parse_common(query, body, {"queries", "tie_breaker"}, "dis_max")
        return query

    def children(self) -> list[Query]:
        return list(self.queries)

    def filter_key(self, ctx: SearchContext) -> Any:
        keys = tuple(q.cached_filter_key(ctx) for q in self.queries)  # lookups: see Bool.filter_key
        return None if any(k is None for k in keys) else ("dis_max", keys)

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        results = [q.run(ctx, scoring, boost) for q in self.queries]
        mask = np.zeros(ctx.maxdoc, dtype=bool)
        for m in results:
            mask |= m.mask
        if not scoring:
            return Matches(mask, None, 1.0)
        return Matches(
            mask,
            combine_dis_max(
                [m.score_array() for m in results], [m.mask for m in results], self.tie_breaker
            ),
            0.0,
        )

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        subs = [q.explain_doc(ctx, ordinal, boost) for q in self.queries]
        matched = [e for e in subs if e.match]
        if not matched:
            return Explanation.no_match("No matching clause")
        score = float(self.weighted(ctx, True, boost).score_array()[ordinal])
        text = (
            "max of:"
            if self.tie_breaker == 0
            else f"max plus {java_float_str(self.tie_breaker)} times others of:"
        )
        return Explanation(score, text, matched)

    def lucene_string(self) -> str:
        inner = " | ".join(q.lucene_string() for q in self.queries)
        tie = f"~{self.tie_breaker}" if self.tie_breaker else ""
        return f"({inner}){tie}"


def combine_dis_max(
    scores: list[np.ndarray], masks: list[np.ndarray], tie_breaker: float
) -> np.ndarray:
    """Lucene's max-plus-tie combination over per-clause float32 score arrays."""
    n = len(scores[0]) if scores else 0
    best = np.zeros(n, dtype=np.float32)
    others = np.zeros(n, dtype=np.float64)
    for s, m in zip(scores, masks, strict=True):
        s = np.where(m, s, np.float32(0)).astype(np.float32)
        bigger = m & (s >= best)
        others += np.where(bigger, best.astype(np.float64), np.where(m, s.astype(np.float64), 0.0))
        best = np.where(bigger, s, best)
    return (best.astype(np.float64) + others * float(np.float32(tie_breaker))).astype(np.float32)
