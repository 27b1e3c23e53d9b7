"""``term``: an exact term, not analysed.

Scoring follows OpenSearch 3.x: BM25 of the term on ``text`` fields; a constant 1.0 on
``keyword`` (unless the mapping sets ``use_similarity``), numeric, date and boolean fields.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..columns import KeywordColumn, TextColumn
from ..errors import ParsingError
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register, single_field
from .scoring import bm25_term_scores


@register("term")
class Term(Query):
    def __init__(self, field: str, value: Any) -> None:
        self.field = field
        self.value = value

    @classmethod
    def parse(cls, body: Any) -> Query:
        field, spec, extra = single_field(body, "term")
        if isinstance(spec, dict):
            if "value" not in spec:
                raise ParsingError("[term] query does not support [" + ", ".join(spec) + "]")
            query = cls(field, spec["value"])
            parse_common(query, {**spec, **extra}, {"value", "case_insensitive"}, "term")
            if spec.get("case_insensitive"):
                query.case_insensitive = True
            return query
        if isinstance(spec, list):
            raise ParsingError("[term] query does not support array of values")
        query = cls(field, spec)
        parse_common(query, extra, set(), "term")
        return query

    case_insensitive = False

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        mapper = ctx.mapper(self.field)
        column = ctx.column(self.field)
        if isinstance(column, KeywordColumn) and self.case_insensitive:
            wanted = str(self.value).lower()
            ids = [i for i, t in enumerate(column.terms) if t.lower() == wanted]
            docs = (
                np.concatenate([column.postings[i] for i in ids]) if ids else np.empty(0, np.int32)
            )
            return Matches(ctx.mask_of(docs), None, 1.0)
        mask = ctx.term_mask(self.field, self.value)
        if not scoring:
            return Matches(mask, None, 1.0)
        if isinstance(column, TextColumn) or (
            isinstance(column, KeywordColumn)
            and mapper is not None
            and mapper.params.get("use_similarity")
        ):
            scores = bm25_term_scores(ctx, self.field, str(self.value), 1.0)
            return Matches(mask, scores, 0.0)
        return Matches(mask, None, 1.0)
