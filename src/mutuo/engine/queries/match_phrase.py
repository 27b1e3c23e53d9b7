"""``match_phrase``: the analysed terms at consecutive positions (``slop`` 0).

Phrase occurrences are found with set operations over the terms' position lists
(vectorised: a phrase starts at ``p`` in document ``d`` when every term ``i`` occurs at
``p + i``); the score is BM25 with the phrase frequency and the sum of the terms' idf,
as Lucene's PhraseQuery scores. Sloppy phrases (``slop`` > 0) are refused rather than
approximated.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..columns import TextColumn
from ..errors import ParsingError
from ..explanation import Explanation
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register, single_field
from .match import analyze
from .scoring import doc_freq, explain_similarity, explain_term, field_stats, sparse_term_scores
from .term import constant_explanation

_POSITION_BITS = 32


@register("match_phrase")
class MatchPhrase(Query):
    cost = 2
    uses_domain = True

    def __init__(self, field: str, text: Any) -> None:
        self.field = field
        self.text = text
        self.zero_terms_query = "none"
        self.analyzer: Any = None

    @classmethod
    def parse(cls, body: Any) -> Query:
        field, spec, extra = single_field(body, "match_phrase")
        if not isinstance(spec, dict):
            query = cls(field, spec)
            parse_common(query, extra, set(), "match_phrase")
            return query
        if "query" not in spec:
            raise ParsingError("[match_phrase] requires query value")
        if int(spec.get("slop", 0)) != 0:
            raise ParsingError(
                "[match_phrase] option [slop] other than 0 is not supported by the embedded engine"
            )
        query = cls(field, spec["query"])
        parse_common(
            query,
            {**spec, **extra},
            {"query", "slop", "analyzer", "zero_terms_query"},
            "match_phrase",
        )
        query.zero_terms_query = str(spec.get("zero_terms_query", "none")).lower()
        if "analyzer" in spec:
            from ..analysis import get_analyzer

            query.analyzer = get_analyzer(spec["analyzer"])
        return query

    def filter_key(self, ctx: SearchContext) -> Any:
        return self.body_filter_key()

    def terms(self, ctx: SearchContext) -> list[str]:
        return analyze(ctx, self.field, self.text, self.analyzer)

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        column = ctx.column(self.field)
        if not isinstance(column, TextColumn):
            mask = (
                ctx.term_mask(self.field, self.text) & ctx.live
                if ctx.mapper(self.field)
                else ctx.none().mask
            )
            return Matches(mask, None, boost)
        terms = self.terms(ctx)
        if not terms:
            return (
                ctx.everything(1.0).boosted(boost) if self.zero_terms_query == "all" else ctx.none()
            )
        if len(terms) == 1:
            docs, scores = sparse_term_scores(ctx, self.field, terms[0], boost)
            return _dense(ctx, docs, scores, scoring)
        docs, freqs = phrase_frequencies(ctx, column, terms)
        if not scoring or not len(docs):
            return (
                Matches(ctx.mask_of(docs), None, 1.0)
                if not scoring
                else _dense(ctx, docs, np.zeros(0, np.float32), True)
            )
        sim = ctx.similarity_of(self.field)
        doc_count, avgdl = field_stats(ctx, self.field)
        idf = np.float32(
            sum(
                float(np.float32(sim.idf_scalar(doc_freq(ctx, self.field, t), doc_count)))
                for t in terms
            )
        )
        weight = sim.weight(boost, float(idf))
        norms = column.norms()[docs]
        scores = sim.score(weight, freqs, norms, sim.norm_cache(avgdl))
        return _dense(ctx, docs, scores, True)

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        column = ctx.column(self.field)
        terms = self.terms(ctx) if isinstance(column, TextColumn) else []
        if isinstance(column, TextColumn) and len(terms) == 1:
            return explain_term(ctx, self.field, terms[0], boost, ordinal)
        matches = self.weighted(ctx, True, boost)
        if not matches.mask[ordinal]:
            return Explanation.no_match(f"no matching phrase for {self.lucene_string()}")
        if not isinstance(column, TextColumn) or not terms:
            return constant_explanation(self.lucene_string(), boost)
        docs, freqs = phrase_frequencies(ctx, column, terms)
        freq = float(freqs[int(np.searchsorted(docs, ordinal))])
        detail = explain_similarity(ctx, self.field, terms, boost, freq, ordinal)
        detail.value = float(matches.score_array()[ordinal])
        quoted = " ".join(terms)
        return Explanation(
            detail.value,
            f'weight({self.field}:"{quoted}" in {ordinal}) [PerFieldSimilarity], result of:',
            [detail],
        )

    def lucene_string(self) -> str:
        return f'{self.field}:"{self.text}"'


def _dense(ctx: SearchContext, docs: np.ndarray, scores: np.ndarray, scoring: bool) -> Matches:
    mask = ctx.mask_of(docs) & ctx.live
    if not scoring:
        return Matches(mask, None, 1.0)
    dense = np.zeros(ctx.maxdoc, dtype=np.float32)
    if len(docs):
        dense[docs] = scores
    dense[~mask] = 0
    return Matches(mask, dense, 0.0)


def phrase_frequencies(
    ctx: SearchContext, column: TextColumn, terms: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """(ordinals, phrase frequency) of the live documents containing the exact phrase."""
    domain = ctx.domain_mask()
    starts: np.ndarray | None = None
    for i, term in enumerate(terms):
        docs, offsets, positions = column.positions(term)
        if not len(docs):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int32)
        owners = np.repeat(docs.astype(np.int64), np.diff(offsets))
        keep = ctx.live[owners] if domain is None else (ctx.live[owners] & domain[owners])
        keys = (owners[keep] << _POSITION_BITS) + (positions[keep].astype(np.int64) - i + (1 << 20))
        starts = keys if starts is None else np.intersect1d(starts, keys, assume_unique=True)
        if not len(starts):
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int32)
    assert starts is not None
    docs_of = starts >> _POSITION_BITS
    uniq, counts = np.unique(docs_of, return_counts=True)
    return uniq, counts.astype(np.int32)
