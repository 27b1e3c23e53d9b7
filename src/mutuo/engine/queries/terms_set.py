"""``terms_set``: documents containing at least N of the terms, N read per document from
``minimum_should_match_field``. Each matching term adds its term-query score (a constant
on keyword fields in OpenSearch 3.x), summed in double as Lucene's CoveringQuery does.
Scripts (``minimum_should_match_script``) are refused.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..columns import NumericColumn
from ..errors import ParsingError, QueryShardError
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register, single_field
from .term import Term


@register("terms_set")
class TermsSet(Query):
    def __init__(self, field: str, terms: list[Any], msm_field: str) -> None:
        self.field = field
        self.terms = terms
        self.msm_field = msm_field

    @classmethod
    def parse(cls, body: Any) -> Query:
        field, spec, extra = single_field(body, "terms_set")
        if not isinstance(spec, dict) or not isinstance(spec.get("terms"), list):
            raise ParsingError("[terms_set] requires a [terms] array")
        if "minimum_should_match_script" in spec:
            raise ParsingError(
                "[terms_set] [minimum_should_match_script] needs scripts, which the embedded engine does not support"
            )
        if "minimum_should_match_field" not in spec:
            raise ParsingError("[terms_set] requires [minimum_should_match_field]")
        query = cls(field, spec["terms"], str(spec["minimum_should_match_field"]))
        parse_common(query, {**spec, **extra}, {"terms", "minimum_should_match_field"}, "terms_set")
        return query

    def filter_key(self, ctx: SearchContext) -> Any:
        return self.body_filter_key()

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        mapper = ctx.mapper(self.msm_field)
        column = ctx.shard.column(mapper.path) if mapper is not None else None
        if mapper is None or not isinstance(column, NumericColumn):
            if mapper is not None:
                raise QueryShardError(
                    f"[terms_set] field [{self.msm_field}] is not numeric", index=ctx.index.name
                )
            return ctx.none()
        count = np.zeros(ctx.maxdoc, dtype=np.int64)
        total = np.zeros(ctx.maxdoc, dtype=np.float64)
        for value in dict.fromkeys(self.terms):
            m = Term(self.field, value).run(ctx, scoring, boost)
            count += m.mask
            if scoring:
                total += np.where(m.mask, m.score_array(), np.float32(0))
        required = column.values.view()
        mask = column.has.view() & (count >= np.maximum(required, 0)) & (count > 0) & ctx.live
        if not scoring:
            return Matches(mask, None, 1.0)
        scores = total.astype(np.float32)
        scores[~mask] = 0
        return Matches(mask, scores, 0.0)
