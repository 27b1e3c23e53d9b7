"""``exists``: the field has an indexed value (null and empty arrays count as missing)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParsingError
from ..explanation import Explanation
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register, windowed
from .term import constant_explanation


@register("exists")
class Exists(Query):
    frozen = True
    domain_free = True

    def __init__(self, field: str) -> None:
        self.field = field

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict) or "field" not in body:
            raise ParsingError("[exists] must be provided with a [field]")
        query = cls(str(body["field"]))
        parse_common(query, body, {"field"}, "exists")
        return query

    cost = 1

    def filter_key(self, ctx: SearchContext) -> Any:
        return ("exists", self.field)

    def lucene_string(self) -> str:
        return f"FieldExistsQuery [field={self.field}]"

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if not self.execute(ctx, False).mask[ordinal]:
            return Explanation.no_match(f"{self.lucene_string()} doesn't match id {ordinal}")
        return constant_explanation(self.lucene_string(), boost)

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        if self.field in ("_id", "_index", "_seq_no", "_version", "_primary_term"):
            return ctx.everything(1.0)
        names = ctx.mapping.matching_fields(self.field)
        if not names:
            # an object path: any leaf below it
            names = [p for p in ctx.mapping.fields if p.startswith(self.field + ".")]
        mask = np.zeros(ctx.maxdoc, dtype=bool)
        for name in names:
            column = ctx.column(name)
            if column is not None:
                mask |= column.exists()
        return Matches(mask & ctx.live, None, 1.0)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        if self.field in ("_id", "_index", "_seq_no", "_version", "_primary_term"):
            return super().window(ctx, ordinals, scoring, boost)
        names = ctx.mapping.matching_fields(self.field)
        if not names:
            names = [p for p in ctx.mapping.fields if p.startswith(self.field + ".")]
        found = np.zeros(len(ordinals), dtype=bool)
        for name in names:
            column = ctx.column(name)
            if column is not None:
                found |= windowed.exists(column, ordinals)
        matches = Matches(found & ctx.live[ordinals], None, 1.0)
        return matches.boosted(boost) if scoring else matches
