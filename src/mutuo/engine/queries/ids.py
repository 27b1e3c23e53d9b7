"""``ids``: documents by ``_id``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..explanation import Explanation
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register
from .term import constant_explanation
from .terms import id_ordinals


@register("ids")
class Ids(Query):
    frozen = True
    domain_free = True

    def __init__(self, values: list[str]) -> None:
        self.values = values

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[ids] query malformed, no start_object after query name")
        values = body.get("values", [])
        if not isinstance(values, list):
            raise ParsingError("[ids] query [values] must be an array")
        query = cls([str(v) for v in values])
        parse_common(query, body, {"values", "type"}, "ids")
        return query

    cost = 1

    def filter_key(self, ctx: SearchContext) -> Any:
        return self.body_filter_key()

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        return Matches(ctx.mask_of(id_ordinals(ctx, self.values)) & ctx.live, None, 1.0)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        """:meth:`execute` for ``ordinals``: a hard filter's "not the viewer" asks this
        about the few members its other clauses left."""
        found = np.isin(ordinals, id_ordinals(ctx, self.values)) & ctx.live[ordinals]
        matches = Matches(found, None, 1.0)
        return matches.boosted(boost) if scoring else matches

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if not self.execute(ctx, False).mask[ordinal]:
            return Explanation.no_match(f"{self.lucene_string()} doesn't match id {ordinal}")
        return constant_explanation(self.lucene_string(), boost)

    def lucene_string(self) -> str:
        return f"_id:({' '.join(self.values)})"
