"""``constant_score``: the filter's documents, all scoring the query's boost."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..explanation import Explanation
from ..search_context import SearchContext
from . import Matches, Query, parse_common, parse_query, register
from .term import constant_explanation


@register("constant_score")
class ConstantScore(Query):
    cost = 1

    def __init__(self, inner: Query) -> None:
        self.inner = inner

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict) or "filter" not in body:
            raise ParsingError("[constant_score] requires a 'filter' element")
        query = cls(parse_query(body["filter"], "filter"))
        parse_common(query, body, {"filter"}, "constant_score")
        return query

    def children(self) -> list[Query]:
        return [self.inner]

    def filter_key(self, ctx: SearchContext) -> Any:
        inner = self.inner.cached_filter_key(ctx)
        return None if inner is None else ("constant_score", inner)

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        return Matches(self.inner.run(ctx, False).mask, None, boost)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        return Matches(self.inner.run_window(ctx, ordinals, False).mask, None, boost)

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if not self.inner.run(ctx, False).mask[ordinal]:
            return Explanation.no_match(f"{self.lucene_string()} doesn't match id {ordinal}")
        return constant_explanation(self.lucene_string(), boost)

    def lucene_string(self) -> str:
        return f"ConstantScore({self.inner.lucene_string()})"
