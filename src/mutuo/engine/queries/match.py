"""``match``: analysed full-text search, BM25 summed over the query's terms.

On ``keyword`` (and numeric/date/boolean) fields the value goes through the field type's
term query, so it is not split and scores a constant 1.0 in OpenSearch 3.x.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..columns import TextColumn
from ..errors import ParsingError
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register, single_field
from .msm import resolve_minimum_should_match
from .scoring import bm25_term_scores

_OPTIONS = {
    "query",
    "operator",
    "minimum_should_match",
    "analyzer",
    "zero_terms_query",
    "lenient",
    "auto_generate_synonyms_phrase_query",
}


@register("match")
class Match(Query):
    def __init__(self, field: str, text: Any) -> None:
        self.field = field
        self.text = text
        self.operator = "or"
        self.minimum_should_match: Any = None
        self.zero_terms_query = "none"
        self.lenient = False

    @classmethod
    def parse(cls, body: Any) -> Query:
        field, spec, extra = single_field(body, "match")
        if isinstance(spec, dict):
            if "query" not in spec:
                raise ParsingError("[match] requires query value")
            for key in (
                "fuzziness",
                "prefix_length",
                "max_expansions",
                "fuzzy_transpositions",
                "fuzzy_rewrite",
            ):
                if key in spec:
                    raise ParsingError(
                        f"[match] option [{key}] is not supported by the embedded engine"
                    )
            query = cls(field, spec["query"])
            parse_common(query, {**spec, **extra}, _OPTIONS, "match")
            query.operator = str(spec.get("operator", "or")).lower()
            if query.operator not in ("or", "and"):
                raise ParsingError(f"[match] query does not support operator [{spec['operator']}]")
            query.minimum_should_match = spec.get("minimum_should_match")
            query.zero_terms_query = str(spec.get("zero_terms_query", "none")).lower()
            query.lenient = bool(spec.get("lenient", False))
            if "analyzer" in spec:
                from ..analysis import get_analyzer

                query.analyzer = get_analyzer(spec["analyzer"])
            return query
        query = cls(field, spec)
        parse_common(query, extra, set(), "match")
        return query

    analyzer: Callable[[str], list[str]] | None = None

    def terms(self, ctx: SearchContext) -> list[str]:
        mapper = ctx.mapper(self.field)
        analyzer = self.analyzer or (
            mapper.search_analyzer if mapper is not None and mapper.kind == "text" else None
        )
        if analyzer is None:
            return [str(self.text)]
        return analyzer(str(self.text))

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        mapper = ctx.mapper(self.field)
        if mapper is None:
            return ctx.none()
        column = ctx.column(self.field)
        if not isinstance(column, TextColumn):
            # keyword/numeric/date/boolean: the field type's term query, constant score
            try:
                return Matches(ctx.term_mask(self.field, self.text), None, 1.0)
            except Exception:
                if self.lenient:
                    return ctx.none()
                raise
        terms = self.terms(ctx)
        if not terms:
            return ctx.everything(0.0) if self.zero_terms_query == "all" else ctx.none()
        counts = np.zeros(ctx.maxdoc, dtype=np.int32)
        scores = np.zeros(ctx.maxdoc, dtype=np.float32)
        seen: dict[str, int] = {}
        for term in terms:
            seen[term] = seen.get(term, 0) + 1
        for term, repeat in seen.items():
            docs, _ = column.postings(term)
            counts[docs] += repeat
            if scoring:
                term_scores = bm25_term_scores(ctx, self.field, term, 1.0)
                for _ in range(repeat):
                    scores += term_scores
        if self.operator == "and":
            required = len(terms)
        else:
            required = resolve_minimum_should_match(self.minimum_should_match, len(terms), 1)
            required = max(required, 1)
        mask = (counts >= required) & ctx.live
        if scoring:
            scores[~mask] = 0
            return Matches(mask, scores, 0.0)
        return Matches(mask, None, 1.0)
