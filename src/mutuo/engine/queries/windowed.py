"""Building blocks of window execution (:meth:`Query.window`): column reads for a few ordinals.

A rescore window or an LTR feature pass needs a query's result for a couple of hundred
documents, whatever the index size. These helpers read postings and columns for exactly
those ordinals (a binary search into a sorted posting list, a gather from a column) and
apply the same float32 arithmetic, element by element, as the whole-shard path, so the
values are identical; nothing here allocates an array the size of the shard.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..columns import Column, GeoColumn, KeywordColumn, NumericColumn, TextColumn, VectorColumn
from ..errors import OpenSearchError
from ..search_context import SearchContext
from . import Matches
from .scoring import doc_freq, field_stats, norms_of, term_postings, term_weight


def positions_in(docs: np.ndarray, ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found, position) of each ordinal in the ascending posting list ``docs``."""
    if not len(docs):
        return np.zeros(len(ordinals), dtype=bool), np.zeros(len(ordinals), dtype=np.int64)
    position = np.minimum(np.searchsorted(docs, ordinals), len(docs) - 1)
    return docs[position] == ordinals, position


def term_hits(ctx: SearchContext, field: str, term: str, ordinals: np.ndarray) -> np.ndarray:
    """Which ordinals hold ``term`` in ``field`` (postings only, liveness not applied)."""
    docs, _freqs = term_postings(ctx, field, term)
    return positions_in(docs, ordinals)[0]


class FieldTerms:
    """BM25 of terms of one field for ``ordinals``: what is shared between the terms of a
    query (similarity, norms, liveness) is read once."""

    def __init__(self, ctx: SearchContext, field: str, ordinals: np.ndarray) -> None:
        self.ctx, self.field, self.ordinals = ctx, field, ordinals
        self.live = ctx.live[ordinals]
        self.similarity = ctx.similarity_of(field)
        self.cache = self.similarity.norm_cache(field_stats(ctx, field)[1])
        self.norms = norms_of(ctx, field, ordinals)

    def scores(self, term: str, boost: float) -> tuple[np.ndarray, np.ndarray]:
        """(hit, float32 score): :func:`.sparse_term_scores`'s values for the ordinals."""
        scores = np.zeros(len(self.ordinals), dtype=np.float32)
        docs, freqs = term_postings(self.ctx, self.field, term)
        if not len(docs) or doc_freq(self.ctx, self.field, term) == 0:
            return np.zeros(len(self.ordinals), dtype=bool), scores
        found, position = positions_in(docs, self.ordinals)
        hit = found & self.live
        if not hit.any():  # a rare term: none of the window holds it
            return hit, scores
        weight = term_weight(self.ctx, self.field, term, boost)
        scores[hit] = self.similarity.score(
            weight, freqs[position[hit]], self.norms[hit], self.cache
        )
        return hit, scores


def score_clauses(
    ctx: SearchContext,
    field: str,
    clauses: list[tuple[str, float]],
    required: int,
    boost: float,
    scoring: bool,
    ordinals: np.ndarray,
) -> Matches:
    """:func:`.match.score_clauses` for ``ordinals``: the same count and double sum."""
    count = np.zeros(len(ordinals), dtype=np.int64)
    total = np.zeros(len(ordinals), dtype=np.float64)
    reader = FieldTerms(ctx, field, ordinals) if scoring else None
    for term, clause_boost in clauses:
        if reader is not None:
            weight = float(np.float32(boost) * np.float32(clause_boost))
            hit, scores = reader.scores(term, weight)
            total[hit] += scores[hit]
        else:
            hit = term_hits(ctx, field, term, ordinals)
        count += hit
    mask = (count >= required) & ctx.live[ordinals]
    if not scoring:
        return Matches(mask, None, 1.0)
    scores = total.astype(np.float32)
    scores[~mask] = 0
    return Matches(mask, scores, 0.0)


def numeric_any(
    column: NumericColumn, predicate: Callable[[np.ndarray], np.ndarray], ordinals: np.ndarray
) -> np.ndarray:
    """:meth:`NumericColumn.match_any` for ``ordinals``."""
    values = column.values.view()[ordinals]
    single = column.has.view()[ordinals] & (values == column.max_values.view()[ordinals])
    mask = single & predicate(values)
    if column.mv_docs.n:
        many = column.mv_docs.view()
        inside = np.isin(many, ordinals)
        if inside.any():
            hits = many[inside][predicate(column.mv_values.view()[inside])]
            mask |= np.isin(ordinals, hits)
    return mask


def exists(column: Column, ordinals: np.ndarray) -> np.ndarray:
    """``column.exists()`` for ``ordinals``."""
    if isinstance(column, NumericColumn | VectorColumn):
        return column.has.view()[ordinals]
    if isinstance(column, TextColumn):
        return column.lengths.view()[ordinals] > 0
    if isinstance(column, KeywordColumn):
        return column.first.view()[ordinals] >= 0
    if isinstance(column, GeoColumn):
        return ~np.isnan(column.lat.view()[ordinals])
    return column.exists()[ordinals]


def term_mask(ctx: SearchContext, field: str, value: Any, ordinals: np.ndarray) -> np.ndarray:
    """:meth:`SearchContext.term_mask` for ``ordinals`` (liveness not applied)."""
    mapper = ctx.mapper(field)
    column = ctx.column(field)
    if field in ("_id", "_index") or mapper is None or not mapper.indexed or column is None:
        return ctx.term_mask(field, value)[ordinals]  # errors and edge cases, as it reports
    if isinstance(column, KeywordColumn):
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return positions_in(column.docs(text), ordinals)[0]
    if isinstance(column, TextColumn):
        return term_hits(ctx, field, str(value), ordinals)
    if isinstance(column, NumericColumn):
        target = ctx.parse_numeric(mapper, value)
        return numeric_any(column, lambda v: v == target, ordinals)
    return ctx.term_mask(field, value)[ordinals]


def lenient(call: Callable[[], np.ndarray], allowed: bool, count: int) -> np.ndarray:
    """``call()``, or no match when it fails and the query is ``lenient``."""
    try:
        return call()
    except OpenSearchError:
        if allowed:
            return np.zeros(count, dtype=bool)
        raise
