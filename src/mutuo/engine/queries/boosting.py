"""``boosting``: ``positive``'s documents, scores multiplied by ``negative_boost`` where
``negative`` also matches (Lucene's boost-by-query, computed in double, cast once)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..explanation import Explanation
from ..search_context import SearchContext
from . import Matches, Query, parse_common, parse_query, register


@register("boosting")
class Boosting(Query):
    cost = 1

    def __init__(self, positive: Query, negative: Query, negative_boost: float) -> None:
        self.positive = positive
        self.negative = negative
        self.negative_boost = negative_boost

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[boosting] query malformed, no start_object after query name")
        if "positive" not in body:
            raise ParsingError("[boosting] query requires 'positive' query to be set'")
        if "negative" not in body:
            raise ParsingError("[boosting] query requires 'negative' query to be set'")
        boost = body.get("negative_boost")
        if boost is None or float(boost) < 0:
            raise ParsingError(
                "[boosting] query requires 'negative_boost' to be set to be a positive value'"
            )
        query = cls(
            parse_query(body["positive"], "positive"),
            parse_query(body["negative"], "negative"),
            float(np.float32(boost)),
        )
        parse_common(query, body, {"positive", "negative", "negative_boost"}, "boosting")
        return query

    def children(self) -> list[Query]:
        return [self.positive, self.negative]

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        positive = self.positive.run(ctx, scoring, boost)
        if not scoring:
            return positive
        negative = self.negative.run(ctx, False).mask
        factor = np.where(negative, self.negative_boost, 1.0)
        scores = (positive.score_array().astype(np.float64) * factor).astype(np.float32)
        return Matches(positive.mask, scores, 0.0)

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        positive = self.positive.explain_doc(ctx, ordinal, boost)
        if not positive.match or not self.negative.run(ctx, False).mask[ordinal]:
            return positive
        value = float(np.float32(float(positive.value) * self.negative_boost))
        return Explanation(
            value, "product of:", [positive, Explanation(self.negative_boost, "boost")]
        )
