"""Building blocks of window execution (:meth:`Query.window`): column reads for a few ordinals.

A rescore window or an LTR feature pass needs a query's result for a couple of hundred
documents, whatever the index size. These helpers read postings and columns for exactly
those ordinals (a binary search into a sorted posting list, a gather from a column) and
apply the same float32 arithmetic, element by element, as the whole-shard path, so the
values are identical. The only arrays the size of the shard are the dense frequencies of
frequent terms, built once per refresh and shared by every later request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..columns import Column, GeoColumn, KeywordColumn, NumericColumn, TextColumn, VectorColumn
from ..errors import OpenSearchError
from ..jit import compiled
from ..search_context import SearchContext
from ..similarity import BM25
from . import Matches
from .scoring import doc_freq, field_stats, norms_of, term_postings

# A term in at least 1/DENSE_SHARE of the documents is read from a dense array of its
# frequencies; a shard keeps at most DENSE_BUDGET bytes of them per refresh.
DENSE_SHARE = 8
DENSE_BUDGET = 64 << 20


def positions_in(docs: np.ndarray, ordinals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found, position) of each ordinal in the ascending posting list ``docs``."""
    if not len(docs):
        return np.zeros(len(ordinals), dtype=bool), np.zeros(len(ordinals), dtype=np.int64)
    # in the postings' dtype: searchsorted would otherwise convert the whole posting list
    keys = ordinals.astype(docs.dtype, copy=False)
    position = np.minimum(np.searchsorted(docs, keys), len(docs) - 1)
    return docs[position] == keys, position


def frequencies(ctx: SearchContext, field: str, term: str, ordinals: np.ndarray) -> np.ndarray:
    """How often ``term`` occurs in ``field`` of each ordinal (0: absent; liveness not applied).

    A galloping search per ordinal into the posting list, or, for a term in at least
    1/``DENSE_SHARE`` of the documents, a gather from a dense per-document array built once
    per refresh (within ``DENSE_BUDGET`` bytes per shard): long posting lists are where the
    searches' memory accesses cost most.
    """
    docs, freqs = term_postings(ctx, field, term)
    if len(docs) * DENSE_SHARE >= ctx.maxdoc:
        dense = _dense_frequencies(ctx, field, term, docs, freqs)
        if dense is not None:
            return dense[ordinals]
    out = np.empty(len(ordinals), dtype=np.int32)
    _gallop_frequencies(docs, freqs, ordinals, out)
    return out


@compiled
def _gallop_frequencies(
    docs: np.ndarray, freqs: np.ndarray, ordinals: np.ndarray, out: np.ndarray
) -> None:
    """``out[i]``: the frequency of ``ordinals[i]`` in the ascending posting list ``docs``
    (0 when absent). Window ordinals come in ascending order, so each search gallops on
    from the previous one's position (doubling steps, then a binary search within the
    last step): a few probes each instead of a search of the whole list, and no
    intermediate arrays. An ordinal smaller than the one before starts from the front."""
    n = docs.shape[0]
    lo = 0
    for i in range(ordinals.shape[0]):
        key = ordinals[i]
        if i and key < ordinals[i - 1]:
            lo = 0
        bound = 1
        while lo + bound <= n and docs[lo + bound - 1] < key:
            bound *= 2
        # the first position holding >= key is in [lo + bound // 2, lo + bound - 1]
        left, right = lo + bound // 2, min(lo + bound - 1, n)
        while left < right:
            middle = (left + right) // 2
            if docs[middle] < key:
                left = middle + 1
            else:
                right = middle
        lo = left
        out[i] = freqs[lo] if lo < n and docs[lo] == key else 0


def _dense_frequencies(
    ctx: SearchContext, field: str, term: str, docs: np.ndarray, freqs: np.ndarray
) -> np.ndarray | None:
    key = ("dense_frequencies", field, term)
    dense = ctx.cache.get(key)
    if dense is None:
        used = ctx.cache.get("dense_frequencies_bytes", 0)
        if used + 4 * ctx.maxdoc > DENSE_BUDGET:
            return None
        dense = np.zeros(ctx.maxdoc, dtype=np.int32)
        dense[docs] = freqs
        ctx.cache[key] = dense
        ctx.cache["dense_frequencies_bytes"] = used + dense.nbytes
    return dense


def term_hits(ctx: SearchContext, field: str, term: str, ordinals: np.ndarray) -> np.ndarray:
    """Which ordinals hold ``term`` in ``field`` (postings only, liveness not applied)."""
    return frequencies(ctx, field, term, ordinals) > 0


class FieldTerms:
    """BM25 of terms of one field for ``ordinals``: what is shared between the terms of a
    query (similarity, norms, liveness) is read once, and the terms are scored together."""

    def __init__(self, ctx: SearchContext, field: str, ordinals: np.ndarray) -> None:
        self.ctx, self.field, self.ordinals = ctx, field, ordinals
        self.live = ctx.live[ordinals]
        self.similarity = ctx.similarity_of(field)
        self.doc_count, avgdl = field_stats(ctx, field)
        self.cache = self.similarity.norm_cache(avgdl)
        self.norms = norms_of(ctx, field, ordinals)

    def scores(self, terms: list[tuple[str, float]]) -> tuple[np.ndarray, np.ndarray]:
        """(hit, float32 score) matrices, a row per (term, boost): the values
        :func:`.sparse_term_scores` gives the ordinals (0 where a term is absent)."""
        found = np.zeros((len(terms), len(self.ordinals)), dtype=np.int32)
        weights = np.zeros(len(terms), dtype=np.float32)
        sim = self.similarity
        for row, (term, boost) in enumerate(terms):
            df = doc_freq(self.ctx, self.field, term)
            if df == 0:
                continue
            found[row] = frequencies(self.ctx, self.field, term, self.ordinals)
            weights[row] = sim.weight(boost, sim.idf_scalar(df, self.doc_count))  # term_weight
        hits = np.empty(found.shape, dtype=bool)
        scores = np.empty(found.shape, dtype=np.float32)
        bm25 = isinstance(sim, BM25)
        _term_scores(found, weights, self.cache[self.norms], self.live, bm25, hits, scores)
        return hits, scores


@compiled
def _term_scores(
    found: np.ndarray,
    weights: np.ndarray,
    inv: np.ndarray,
    live: np.ndarray,
    bm25: bool,
    hits: np.ndarray,
    scores: np.ndarray,
) -> None:
    """Per (term, document): a hit (the term is there and the document live) and its
    score, ``w - w / (1 + freq * inv[doc])`` in float32 as Lucene's ``BM25Scorer``
    computes it (other similarities: the weight), 0 without a hit."""
    one = np.float32(1.0)
    for row in range(found.shape[0]):
        w = weights[row]
        for j in range(found.shape[1]):
            hit = found[row, j] > 0 and live[j]
            hits[row, j] = hit
            if not hit:
                scores[row, j] = np.float32(0.0)
            elif bm25:
                scores[row, j] = w - w / (one + np.float32(found[row, j]) * inv[j])
            else:
                scores[row, j] = w


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
    if not scoring:
        hits = [term_hits(ctx, field, term, ordinals) for term, _boost in clauses]
        count = np.sum(hits, axis=0) if hits else np.zeros(len(ordinals), dtype=np.int64)
        return Matches((count >= required) & ctx.live[ordinals], None, 1.0)
    weighted = [(t, float(np.float32(boost) * np.float32(b))) for t, b in clauses]
    hit, scores = FieldTerms(ctx, field, ordinals).scores(weighted)
    total = np.zeros(len(ordinals), dtype=np.float64)
    for row in scores:  # clause order, in double, as the shard path's bincount adds
        total += row
    mask = (hit.sum(axis=0) >= required) & ctx.live[ordinals]
    result = total.astype(np.float32)
    result[~mask] = 0
    return Matches(mask, result, 0.0)


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
