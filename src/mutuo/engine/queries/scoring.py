"""Shared scoring: BM25 term scores over a whole shard, with live-doc statistics."""

from __future__ import annotations

import numpy as np

from ..columns import KeywordColumn, TextColumn
from ..search_context import SearchContext


def field_stats(ctx: SearchContext, field: str) -> tuple[int, float]:
    """(docCount, avgdl) of a field over live docs, cached per refresh generation."""
    key = ("field_stats", field)
    cached = ctx.cache.get(key)
    if cached is not None:
        return cached
    column = ctx.column(field)
    if isinstance(column, TextColumn):
        doc_count, total = column.doc_count, column.sum_ttf
    elif isinstance(column, KeywordColumn):
        exists = column.exists() & ctx.live
        doc_count = int(exists.sum())
        total = doc_count + sum(len(t) - 1 for o, t in column.multi.items() if ctx.live[o])
    else:
        doc_count, total = 0, 0
    stats = (doc_count, ctx.similarity.avgdl(total, doc_count))
    ctx.cache[key] = stats
    return stats


def doc_freq(ctx: SearchContext, field: str, term: str) -> int:
    key = ("df", field, term)
    cached = ctx.cache.get(key)
    if cached is not None:
        return cached
    column = ctx.column(field)
    if isinstance(column, TextColumn):
        docs, _ = column.postings(term)
    elif isinstance(column, KeywordColumn):
        docs = column.docs(term)
    else:
        docs = np.empty(0, dtype=np.int32)
    value = int(np.count_nonzero(ctx.live[docs])) if len(docs) else 0
    ctx.cache[key] = value
    return value


def bm25_term_scores(ctx: SearchContext, field: str, term: str, boost: float) -> np.ndarray:
    """Dense float32 BM25 scores of one term (zero where it does not occur)."""
    scores = np.zeros(ctx.maxdoc, dtype=np.float32)
    column = ctx.column(field)
    doc_count, avgdl = field_stats(ctx, field)
    n = doc_freq(ctx, field, term)
    if n == 0 or column is None:
        return scores
    sim = ctx.similarity
    weight = np.float32(boost) * np.float32(sim.idf_scalar(n, doc_count))
    if isinstance(column, TextColumn):
        docs, freqs = column.postings(term)
        cache = sim.norm_cache(avgdl)
        scores[docs] = sim.score(weight, freqs, column.norms()[docs], cache)
    elif isinstance(column, KeywordColumn):
        docs = column.docs(term)
        cache = sim.norm_cache(avgdl)
        ones = np.ones(len(docs), dtype=np.int32)
        scores[docs] = sim.score(weight, ones, ones.astype(np.uint8), cache)
    scores[~ctx.live] = 0
    return scores
