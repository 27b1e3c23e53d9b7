"""``match``: analysed full-text search, BM25 summed over the query's terms.

The analysed terms become a Lucene boolean query of term clauses (``should`` for the
``or`` operator, ``must`` for ``and``); as in Lucene's rewrite, repeated terms collapse
into one clause whose boost is their count unless ``minimum_should_match`` needs every
clause counted. On ``keyword`` (and numeric/date/boolean) fields the value goes through
the field type's term query, so it is not split and scores a constant in OpenSearch 3.x.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..columns import TextColumn
from ..errors import OpenSearchError, ParsingError
from ..explanation import Explanation
from ..jit import compiled
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register, single_field, windowed
from .msm import resolve_minimum_should_match
from .scoring import explain_term, sparse_term_scores, term_postings
from .term import constant_explanation
from .windowed import FieldTerms

_OPTIONS = {
    "query",
    "operator",
    "minimum_should_match",
    "analyzer",
    "zero_terms_query",
    "lenient",
    "auto_generate_synonyms_phrase_query",
    "prefix_length",
    "max_expansions",
    "fuzzy_transpositions",
}
_REFUSED = ("fuzziness", "fuzzy_rewrite", "cutoff_frequency")


@register("match")
class Match(Query):
    cost = 1
    uses_domain = True

    def __init__(self, field: str, text: Any) -> None:
        self.field = field
        self.text = text
        self.operator = "or"
        self.minimum_should_match: Any = None
        self.zero_terms_query = "none"
        self.lenient = False
        self.analyzer: Callable[[str], list[str]] | None = None

    @classmethod
    def parse(cls, body: Any) -> Query:
        field, spec, extra = single_field(body, "match")
        if not isinstance(spec, dict):
            query = cls(field, spec)
            parse_common(query, extra, set(), "match")
            return query
        if "query" not in spec:
            raise ParsingError("[match] requires query value")
        for key in _REFUSED:
            if key in spec and not (key == "fuzziness" and str(spec[key]) == "0"):
                raise ParsingError(
                    f"[match] option [{key}] is not supported by the embedded engine"
                )
        query = cls(field, spec["query"])
        parse_common(query, {**spec, **extra}, _OPTIONS | {"fuzziness"}, "match")
        query.configure(spec)
        return query

    def configure(self, spec: dict[str, Any]) -> None:
        """Options shared with ``multi_match``."""
        self.operator = str(spec.get("operator", "or")).lower()
        if self.operator not in ("or", "and"):
            raise ParsingError(f"[match] query does not support operator [{spec['operator']}]")
        self.minimum_should_match = spec.get("minimum_should_match")
        self.zero_terms_query = str(spec.get("zero_terms_query", "none")).lower()
        if self.zero_terms_query not in ("none", "all"):
            raise ParsingError(f"Unsupported zero_terms_query value [{self.zero_terms_query}]")
        self.lenient = bool(spec.get("lenient", False))
        if "analyzer" in spec:
            from ..analysis import get_analyzer

            try:
                self.analyzer = get_analyzer(spec["analyzer"])
            except OpenSearchError as exc:
                raise ParsingError(exc.reason) from None

    def filter_key(self, ctx: SearchContext) -> Any:
        return self.body_filter_key()

    def terms(self, ctx: SearchContext) -> list[str]:
        return analyze(ctx, self.field, self.text, self.analyzer)

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        mapper = ctx.mapper(self.field)
        if mapper is None:
            return ctx.none()
        if not isinstance(ctx.column(self.field), TextColumn):
            try:
                mask = ctx.term_mask(self.field, self.text) & ctx.live
            except OpenSearchError:
                if self.lenient:
                    return ctx.none()
                raise
            return Matches(mask, None, boost)
        terms = self.terms(ctx)
        if not terms:
            if self.zero_terms_query == "all":
                return ctx.everything(1.0).boosted(boost)
            return ctx.none()
        clauses, required = self.clauses(terms)
        return score_clauses(ctx, self.field, clauses, required, boost, scoring)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        mapper = ctx.mapper(self.field)
        live = ctx.live[ordinals]
        if mapper is None:
            return Matches(np.zeros(len(ordinals), dtype=bool), None, 0.0)
        if not isinstance(ctx.column(self.field), TextColumn):
            found = windowed.lenient(
                lambda: windowed.term_mask(ctx, self.field, self.text, ordinals),
                self.lenient,
                len(ordinals),
            )
            return Matches(found & live, None, boost)
        terms = self.terms(ctx)
        if not terms:
            if self.zero_terms_query == "all":
                return Matches(live, None, 1.0).boosted(boost)
            return Matches(np.zeros(len(ordinals), dtype=bool), None, 0.0)
        clauses, required = self.clauses(terms)
        return windowed.score_clauses(ctx, self.field, clauses, required, boost, scoring, ordinals)

    def bm25_clauses(self, ctx: SearchContext) -> tuple[list[tuple[str, float]], int] | None:
        """The (term, clause boost) pairs and required count when this query is a plain
        BM25 boolean on a text field (what :meth:`window` then scores with
        :func:`.windowed.score_clauses`); None for the other cases (no mapping, a
        non-text field, no terms) and for a query with a ``_name``."""
        if self.query_name is not None or ctx.mapper(self.field) is None:
            return None
        if not isinstance(ctx.column(self.field), TextColumn):
            return None
        terms = self.terms(ctx)
        return self.clauses(terms) if terms else None

    def clauses(self, terms: list[str]) -> tuple[list[tuple[str, float]], int]:
        """(term, clause boost) pairs and how many must match, after Lucene's rewrite."""
        if self.operator == "and":
            counts = _counts(terms)
            return list(counts.items()), len(counts)
        required = max(resolve_minimum_should_match(self.minimum_should_match, len(terms), 1), 1)
        if required > 1:
            return [(t, 1.0) for t in terms], required
        return list(_counts(terms).items()), 1

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if not isinstance(ctx.column(self.field), TextColumn):
            matches = self.weighted(ctx, True, boost)
            if not matches.mask[ordinal]:
                return Explanation.no_match(f"{self.field}:{self.text} doesn't match id {ordinal}")
            return constant_explanation(f"ConstantScore({self.field}:{self.text})", boost)
        terms = self.terms(ctx)
        if not terms:
            matches = self.weighted(ctx, True, boost)
            if matches.mask[ordinal]:
                return constant_explanation("*:*", boost)
            return Explanation.no_match('MatchNoDocsQuery("") doesn\'t match id')
        clauses, required = self.clauses(terms)
        return explain_clauses(ctx, self.field, clauses, required, boost, ordinal)

    def lucene_string(self) -> str:
        return f"{self.field}:{self.text}"


def analyze(
    ctx: SearchContext, field: str, text: Any, analyzer: Callable[[str], list[str]] | None
) -> list[str]:
    """The search-time tokens of ``text`` for ``field``."""
    mapper = ctx.mapper(field)
    chosen = analyzer or (
        mapper.search_analyzer if mapper is not None and mapper.kind == "text" else None
    )
    if chosen is None:
        return [str(text)]
    return chosen(_text(text))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _counts(terms: list[str]) -> dict[str, float]:
    counts: dict[str, float] = {}
    for term in terms:
        counts[term] = counts.get(term, 0.0) + 1.0
    return counts


def score_clauses(
    ctx: SearchContext,
    field: str,
    clauses: list[tuple[str, float]],
    required: int,
    boost: float,
    scoring: bool,
) -> Matches:
    """A boolean of term clauses on one text field: match count and double-summed BM25.

    Postings are concatenated and reduced with ``bincount``, one pass over the matches
    (the per-document double sum happens in clause order, as Lucene's scorers add).
    """
    doc_parts: list[np.ndarray] = []
    score_parts: list[np.ndarray] = []
    for term, clause_boost in clauses:
        if scoring:
            weight = float(np.float32(boost) * np.float32(clause_boost))
            docs, scores = sparse_term_scores(ctx, field, term, weight)
            score_parts.append(scores)
        else:
            docs, _freqs = term_postings(ctx, field, term)
            domain = ctx.domain_mask()
            if domain is not None:
                docs = docs[domain[docs]]
        doc_parts.append(docs)
    all_docs = np.concatenate(doc_parts) if doc_parts else np.empty(0, dtype=np.int64)
    counts = np.bincount(all_docs, minlength=ctx.maxdoc)
    mask = (counts >= required) & ctx.live
    if not scoring:
        return Matches(mask, None, 1.0)
    weights = np.concatenate(score_parts).astype(np.float64) if score_parts else None
    total = np.bincount(all_docs, weights=weights, minlength=ctx.maxdoc)
    scores = total.astype(np.float32)
    scores[~mask] = 0
    return Matches(mask, scores, 0.0)


def explain_clauses(
    ctx: SearchContext,
    field: str,
    clauses: list[tuple[str, float]],
    required: int,
    boost: float,
    ordinal: int,
) -> Explanation:
    weights = [float(np.float32(boost) * np.float32(b)) for _t, b in clauses]
    if len(clauses) == 1:
        return explain_term(ctx, field, clauses[0][0], weights[0], ordinal)
    subs = [
        explain_term(ctx, field, t, w, ordinal) for (t, _b), w in zip(clauses, weights, strict=True)
    ]
    matched = [e for e in subs if e.match]
    if len(matched) < required:
        if required == len(clauses):
            missing = [t for (t, _b), e in zip(clauses, subs, strict=True) if not e.match]
            return Explanation.no_match(
                "Failure to meet condition(s) of required/prohibited clause(s)",
                *[
                    Explanation.no_match(f"no match on required clause ({field}:{t})")
                    for t in missing
                ],
            )
        if not matched:
            return Explanation.no_match("No matching clauses")
        return Explanation.no_match(
            f"Failure to match minimum number of optional clauses: {required}", *matched
        )
    total = float(np.float32(sum(float(np.float32(e.value)) for e in matched)))
    return Explanation(total, "sum of:", matched)


def windows_together(
    ctx: SearchContext,
    field: str,
    queries: list[tuple[list[tuple[str, float]], int, float]],
    ordinals: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The scoring :meth:`Match.window` of several plain BM25 queries on one text field
    (each given as its :meth:`Match.bm25_clauses` and boost) over the same ``ordinals``:
    (queries, ordinals) matched and float32 score matrices.

    Every distinct (term, weight) of all of them is one row of a single term x document
    BM25 matrix (norms, statistics and liveness read once); each query then adds its
    rows in clause order, in double, and counts its matching clauses, exactly as
    :func:`.windowed.score_clauses` does for one query.
    """
    row_of: dict[tuple[str, float], int] = {}
    picks: list[list[int]] = []
    weights: dict[tuple[float, float], float] = {}  # the float32 product of two boosts
    for clauses, _required, boost in queries:
        rows = []
        for term, clause_boost in clauses:
            pair = (boost, clause_boost)
            if pair not in weights:
                weights[pair] = float(np.float32(boost) * np.float32(clause_boost))
            rows.append(row_of.setdefault((term, weights[pair]), len(row_of)))
        picks.append(rows)
    hit, scores = FieldTerms(ctx, field, ordinals).scores(list(row_of))
    # a (queries, clauses) table of rows, short queries padded with -1
    width = max(len(rows) for rows in picks)
    index = np.array([rows + [-1] * (width - len(rows)) for rows in picks], dtype=np.int64)
    required = np.array([r for _c, r, _b in queries], dtype=np.int64)
    mask = np.empty((len(queries), len(ordinals)), dtype=bool)
    result = np.empty((len(queries), len(ordinals)), dtype=np.float32)
    _sum_clauses(hit, scores, index, required, ctx.live[ordinals], mask, result)
    return mask, result


@compiled
def _sum_clauses(
    hit: np.ndarray,
    scores: np.ndarray,
    index: np.ndarray,
    required: np.ndarray,
    live: np.ndarray,
    mask: np.ndarray,
    result: np.ndarray,
) -> None:
    """Each query's rows of the term matrices, per document: the double sum of their
    scores in clause order from 0 (as :func:`.windowed.score_clauses` adds a query's
    rows), rounded to float, and whether enough clauses hit (``-1``: no clause)."""
    for q in range(index.shape[0]):
        for j in range(live.shape[0]):
            total = 0.0
            count = 0
            for c in range(index.shape[1]):
                row = index[q, c]
                if row >= 0:
                    total += np.float64(scores[row, j])
                    count += hit[row, j]
            matched = live[j] and count >= required[q]
            mask[q, j] = matched
            result[q, j] = np.float32(total) if matched else np.float32(0.0)
