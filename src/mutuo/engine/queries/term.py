"""``term``: an exact term, not analysed.

Scoring follows OpenSearch 3.x: BM25 of the term on ``text`` fields; a constant (the
boost) on ``keyword`` (unless the mapping sets ``use_similarity``), numeric, date and
boolean fields.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..columns import KeywordColumn, TextColumn
from ..errors import ParsingError
from ..explanation import Explanation, java_float_str
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register, single_field, windowed
from .scoring import bm25_term_scores, explain_term


@register("term")
class Term(Query):
    frozen = True
    domain_free = True
    cost = 1

    def __init__(self, field: str, value: Any) -> None:
        self.field = field
        self.value = value
        self.case_insensitive = False

    @classmethod
    def parse(cls, body: Any) -> Query:
        field, spec, extra = single_field(body, "term")
        if isinstance(spec, dict):
            if "value" not in spec:
                raise ParsingError("[term] query does not support [" + ", ".join(spec) + "]")
            query = cls(field, spec["value"])
            parse_common(query, {**spec, **extra}, {"value", "case_insensitive"}, "term")
            query.case_insensitive = bool(spec.get("case_insensitive", False))
            return query
        if isinstance(spec, list):
            raise ParsingError("[term] query does not support array of values")
        query = cls(field, spec)
        parse_common(query, extra, set(), "term")
        return query

    def filter_key(self, ctx: SearchContext) -> Any:
        return self.body_filter_key()

    def scores_bm25(self, ctx: SearchContext) -> bool:
        column = ctx.column(self.field)
        if isinstance(column, TextColumn):
            return True
        mapper = ctx.mapper(self.field)
        return (
            isinstance(column, KeywordColumn)
            and mapper is not None
            and bool(mapper.params.get("use_similarity"))
        )

    def mask(self, ctx: SearchContext) -> np.ndarray:
        column = ctx.column(self.field)
        if isinstance(column, KeywordColumn) and self.case_insensitive:
            wanted = str(self.value).lower()
            ids = [i for i, t in enumerate(column.terms) if t.lower() == wanted]
            docs = (
                np.concatenate([column.postings[i] for i in ids]) if ids else np.empty(0, np.int32)
            )
            return ctx.mask_of(docs)
        return ctx.term_mask(self.field, self.value)

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        mask = self.mask(ctx) & ctx.live
        if scoring and self.scores_bm25(ctx) and not self.case_insensitive:
            return Matches(mask, bm25_term_scores(ctx, self.field, str(self.value), boost), 0.0)
        return Matches(mask, None, boost)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        if self.case_insensitive:
            return super().window(ctx, ordinals, scoring, boost)
        mask = windowed.term_mask(ctx, self.field, self.value, ordinals) & ctx.live[ordinals]
        if scoring and self.scores_bm25(ctx):
            terms = windowed.FieldTerms(ctx, self.field, ordinals)
            return Matches(mask, terms.scores([(str(self.value), boost)])[1][0], 0.0)
        return Matches(mask, None, boost)

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if self.scores_bm25(ctx) and not self.case_insensitive:
            return explain_term(ctx, self.field, str(self.value), boost, ordinal)
        if not (self.mask(ctx) & ctx.live)[ordinal]:
            return Explanation.no_match(f"{self.lucene_string()} doesn't match id {ordinal}")
        if isinstance(ctx.column(self.field), KeywordColumn):
            return constant_explanation(f"ConstantScore({self.lucene_string()})", boost)
        value = _term_text(self.value)
        return constant_explanation(f"{self.field}:[{value} TO {value}]", boost)

    def lucene_string(self) -> str:
        return f"{self.field}:{_term_text(self.value)}"


def constant_explanation(description: str, boost: float) -> Explanation:
    """``ConstantScoreWeight.explain``: the query string, ``^boost`` unless 1."""
    value = float(np.float32(boost))
    suffix = "" if value == 1.0 else f"^{java_float_str(value)}"
    return Explanation(value, f"{description}{suffix}")


def _term_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
