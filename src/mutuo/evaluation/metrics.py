"""Per-query ranking metrics: NDCG@k (LETOR gains ``2^rel - 1``, ``log2`` discount), AP,
precision@k and AUC.

What a query with no relevant document scores is a convention, not a fact, and published
numbers differ by it. ``empty="zero"`` counts such a query as 0 (the LETOR 4.0 evaluation
script's choice); ``empty="exclude"`` leaves it out of the mean (what ``ndcg@k-`` style
tools do when asked to). Ties in scores are broken by the original document order, so a
ranking is a pure function of its scores.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np

EmptyQueries = Literal["zero", "exclude"]


def ranking(scores: np.ndarray) -> np.ndarray:
    """Document positions sorted by descending score, ties in input order."""
    return np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")


def dcg_at_k(labels_in_rank_order: np.ndarray, k: int) -> float:
    gains = np.power(2.0, labels_in_rank_order[:k]) - 1.0
    discounts = np.log2(np.arange(2, len(gains) + 2))
    return float(np.sum(gains / discounts))


def ndcg_at_k(labels: np.ndarray, scores: np.ndarray, k: int) -> float | None:
    """NDCG@k of one query; None when it has no relevant document."""
    labels = np.asarray(labels, dtype=np.float64)
    ideal = dcg_at_k(np.sort(labels)[::-1], k)
    if ideal == 0.0:
        return None
    return dcg_at_k(labels[ranking(scores)], k) / ideal


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """AP with any label > 0 relevant; None when the query has no relevant document."""
    relevant = (np.asarray(labels) > 0)[ranking(scores)]
    if not relevant.any():
        return None
    hits = np.cumsum(relevant)
    precision = hits / np.arange(1, len(relevant) + 1)
    return float(np.sum(precision[relevant]) / relevant.sum())


def precision_at_k(labels: np.ndarray, scores: np.ndarray, k: int) -> float | None:
    """Share of the top ``k`` with a label > 0, over ``k`` (a list shorter than ``k`` cannot
    reach 1); None when the query has no relevant document."""
    relevant = np.asarray(labels) > 0
    if not relevant.any():
        return None
    return float(relevant[ranking(scores)][:k].sum() / k)


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Probability that a random positive (label > 0) outscores a random negative, ties
    counting one half (the Mann-Whitney U statistic over its maximum); None unless the
    query has both a positive and a negative."""
    positive = np.asarray(labels) > 0
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = _average_ranks(np.asarray(scores, dtype=np.float64))
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ascending values, tied values sharing their mean rank."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    ranks = np.empty(len(values))
    ranks[order] = np.repeat((starts + ends + 1) / 2, ends - starts)
    return ranks


def mean(values: Iterable[float | None], empty: EmptyQueries) -> float:
    """Mean over queries; ``None`` (no relevant document) counts as 0 or is left out."""
    items = (
        [0.0 if v is None else v for v in values]
        if empty == "zero"
        else [v for v in values if v is not None]
    )
    return float(np.mean(items)) if items else 0.0


def evaluate(
    labels: np.ndarray,
    scores: np.ndarray,
    query_ids: np.ndarray,
    cutoffs: tuple[int, ...] = (1, 3, 5, 10),
    empty: EmptyQueries = "zero",
) -> dict[str, float]:
    """``{"ndcg@1", ..., "map"}`` over the queries of a ranked list."""
    groups = _groups(query_ids)
    out = {
        f"ndcg@{k}": mean((ndcg_at_k(labels[g], scores[g], k) for g in groups), empty)
        for k in cutoffs
    }
    out["map"] = mean((average_precision(labels[g], scores[g]) for g in groups), empty)
    return out


def _groups(query_ids: np.ndarray) -> list[np.ndarray]:
    """Row indices of each query, in order of first appearance."""
    _values, first, inverse = np.unique(query_ids, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    return [np.flatnonzero(inverse == q) for q in order]
