"""Shared scoring: BM25 term scores over a whole shard, with live-doc statistics.

A term query's weight is ``boost * idf`` (``boost * (1 + k1) * idf`` for the
``LegacyBM25`` similarity type) computed in float32 before the per-document arithmetic, exactly as Lucene's
``BM25Scorer`` does, and its explanation reproduces
Lucene's text ("weight(field:term in doc) [PerFieldSimilarity], result of:").
"""

from __future__ import annotations

import numpy as np

from ..columns import KeywordColumn, TextColumn
from ..explanation import Explanation
from ..search_context import SearchContext
from ..similarity import BM25, LENGTH_TABLE, BooleanSimilarity


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
    stats = (doc_count, BM25.avgdl(total, doc_count))
    ctx.cache[key] = stats
    return stats


def doc_freq(ctx: SearchContext, field: str, term: str) -> int:
    key = ("df", field, term)
    cached = ctx.cache.get(key)
    if cached is not None:
        return cached
    docs, _freqs = term_postings(ctx, field, term)
    value = int(np.count_nonzero(ctx.live[docs])) if len(docs) else 0
    ctx.cache[key] = value
    return value


def term_postings(ctx: SearchContext, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """(ordinals, frequencies) of a term; keyword terms have frequency 1."""
    column = ctx.column(field)
    if isinstance(column, TextColumn):
        return column.postings(term)
    if isinstance(column, KeywordColumn):
        docs = column.docs(term)
        return docs, np.ones(len(docs), dtype=np.int32)
    empty = np.empty(0, dtype=np.int32)
    return empty, empty


def norms_of(ctx: SearchContext, field: str, docs: np.ndarray) -> np.ndarray:
    column = ctx.column(field)
    if isinstance(column, TextColumn) and not _norms_disabled(ctx, field):
        return column.norms()[docs]
    return np.ones(len(docs), dtype=np.uint8)  # no norms: Lucene scores with norm 1


def _norms_disabled(ctx: SearchContext, field: str) -> bool:
    mapper = ctx.mapper(field)
    return mapper is not None and mapper.params.get("norms") is False


def term_weight(ctx: SearchContext, field: str, term: str, boost: float) -> np.float32:
    """``scorer boost * idf`` of one term, as the float Lucene multiplies with."""
    doc_count, _avgdl = field_stats(ctx, field)
    n = doc_freq(ctx, field, term)
    sim = ctx.similarity_of(field)
    return sim.weight(boost, sim.idf_scalar(n, doc_count))


def sparse_term_scores(
    ctx: SearchContext, field: str, term: str, boost: float
) -> tuple[np.ndarray, np.ndarray]:
    """(ordinals, float32 scores) of the live documents containing ``term``."""
    docs, freqs = term_postings(ctx, field, term)
    if not len(docs) or doc_freq(ctx, field, term) == 0:
        return docs[:0], np.empty(0, dtype=np.float32)
    domain = ctx.domain_mask()
    if domain is not None:  # only the documents still in play need a score
        inside = domain[docs]
        docs, freqs = docs[inside], freqs[inside]
    sim = ctx.similarity_of(field)
    _doc_count, avgdl = field_stats(ctx, field)
    cache = sim.norm_cache(avgdl)
    scores = sim.score(
        term_weight(ctx, field, term, boost), freqs, norms_of(ctx, field, docs), cache
    )
    live = ctx.live[docs]
    return docs[live], scores[live]


def bm25_term_scores(ctx: SearchContext, field: str, term: str, boost: float) -> np.ndarray:
    """Dense float32 BM25 scores of one term (zero where it does not occur)."""
    scores = np.zeros(ctx.maxdoc, dtype=np.float32)
    docs, values = sparse_term_scores(ctx, field, term, boost)
    scores[docs] = values
    return scores


def explain_term(
    ctx: SearchContext, field: str, term: str, boost: float, ordinal: int
) -> Explanation:
    """Lucene's TermWeight explanation for one document."""
    docs, freqs = term_postings(ctx, field, term)
    pos = int(np.searchsorted(docs, ordinal))
    if pos >= len(docs) or docs[pos] != ordinal or not ctx.live[ordinal]:
        return Explanation.no_match("no matching term")
    freq = float(freqs[pos])
    detail = explain_similarity(ctx, field, [term], boost, freq, ordinal)
    return Explanation(
        detail.value,
        f"weight({field}:{term} in {ordinal}) [PerFieldSimilarity], result of:",
        [detail],
    )


def explain_similarity(
    ctx: SearchContext, field: str, terms: list[str], boost: float, freq: float, ordinal: int
) -> Explanation:
    """``score(freq=..), computed as boost * idf * tf from:`` for a term or a phrase."""
    sim = ctx.similarity_of(field)
    if isinstance(sim, BooleanSimilarity):
        return Explanation(
            boost,
            f"score(BooleanSimilarity, freq={freq}), computed from:",
            [Explanation(boost, "boost, query boost")],
        )
    idf = _explain_idf(ctx, field, terms)
    scorer_boost = sim.scorer_boost(boost)
    weight = scorer_boost * np.float32(idf.value)
    norm = int(norms_of(ctx, field, np.array([ordinal]))[0])
    tf, inv = _explain_tf(ctx, field, sim, freq, norm, len(terms) > 1)
    factors = ([Explanation(float(scorer_boost), "boost")] if scorer_boost != 1 else []) + [idf]
    cache = np.array([inv], dtype=np.float32)
    value = float(sim.score(weight, np.array([freq]), np.zeros(1, dtype=np.uint8), cache)[0])
    return Explanation(
        value, f"score(freq={freq}), computed as boost * idf * tf from:", [*factors, tf]
    )


def _explain_idf(ctx: SearchContext, field: str, terms: list[str]) -> Explanation:
    sim = ctx.similarity_of(field)
    doc_count, _avgdl = field_stats(ctx, field)
    idfs = [
        Explanation(
            sim.idf_scalar(doc_freq(ctx, field, t), doc_count),
            "idf, computed as log(1 + (N - n + 0.5) / (n + 0.5)) from:",
            [
                Explanation(doc_freq(ctx, field, t), "n, number of documents containing term"),
                Explanation(doc_count, "N, total number of documents with field"),
            ],
        )
        for t in terms
    ]
    return idfs[0] if len(idfs) == 1 else Explanation(_float_sum(idfs), "idf, sum of:", idfs)


def _explain_tf(
    ctx: SearchContext, field: str, sim: BM25, freq: float, norm: int, phrase: bool
) -> tuple[Explanation, np.float32]:
    _doc_count, avgdl = field_stats(ctx, field)
    dl = float(LENGTH_TABLE[norm])
    k1, b = np.float32(sim.k1), np.float32(sim.b)
    inv = np.float32(1.0) / (k1 * ((np.float32(1) - b) + b * np.float32(dl) / np.float32(avgdl)))
    tf = np.float32(1.0) - np.float32(1.0) / (np.float32(1.0) + np.float32(freq) * inv)
    freq_text = f"phraseFreq={freq}" if phrase else "freq, occurrences of term within document"
    details = [
        Explanation(freq, freq_text),
        Explanation(sim.k1, "k1, term saturation parameter"),
        Explanation(sim.b, "b, length normalization parameter"),
        Explanation(
            dl, "dl, length of field (approximate)" if norm > 39 else "dl, length of field"
        ),
        Explanation(avgdl, "avgdl, average length of field"),
    ]
    text = "tf, computed as freq / (freq + k1 * (1 - b + b * dl / avgdl)) from:"
    return Explanation(float(tf), text, details), inv


def _float_sum(parts: list[Explanation]) -> float:
    return float(np.float32(sum(float(p.value) for p in parts)))
