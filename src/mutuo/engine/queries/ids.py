"""``ids``: documents by ``_id``."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..explanation import Explanation
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register
from .term import constant_explanation


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
        ords = [ctx.shard.id_to_ord.get(v) for v in self.values]
        found = np.array([o for o in ords if o is not None], dtype=np.int64)
        return Matches(ctx.mask_of(found) & ctx.live, None, 1.0)

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if not self.execute(ctx, False).mask[ordinal]:
            return Explanation.no_match(f"{self.lucene_string()} doesn't match id {ordinal}")
        return constant_explanation(self.lucene_string(), boost)

    def lucene_string(self) -> str:
        return f"_id:({' '.join(self.values)})"
