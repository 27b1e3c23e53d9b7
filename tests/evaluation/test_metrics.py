"""Ranking metrics against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mutuo.evaluation.metrics import average_precision, evaluate, ndcg_at_k, ranking


def test_ndcg_uses_exponential_gains_and_log2_discounts() -> None:
    labels = np.array([0, 2, 1])
    scores = np.array([3.0, 2.0, 1.0])  # ranked: 0, 2, 1
    dcg = 0 + (2**2 - 1) / math.log2(3) + (2**1 - 1) / math.log2(4)
    ideal = (2**2 - 1) / math.log2(2) + (2**1 - 1) / math.log2(3)
    assert ndcg_at_k(labels, scores, 10) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(labels, scores, 1) == 0.0


def test_average_precision_counts_any_positive_label_as_relevant() -> None:
    labels = np.array([1, 0, 2, 0])
    scores = np.array([4.0, 3.0, 2.0, 1.0])
    assert average_precision(labels, scores) == pytest.approx((1 / 1 + 2 / 3) / 2)


def test_ties_keep_the_original_document_order() -> None:
    assert list(ranking(np.array([1.0, 2.0, 2.0, 1.0]))) == [1, 2, 0, 3]


def test_queries_without_relevant_documents_count_as_zero_or_are_left_out() -> None:
    labels = np.array([1, 0, 0, 0])
    scores = np.array([1.0, 0.0, 1.0, 0.0])
    queries = np.array([7, 7, 8, 8])  # query 8 has nothing relevant
    zero = evaluate(labels, scores, queries, cutoffs=(10,), empty="zero")
    exclude = evaluate(labels, scores, queries, cutoffs=(10,), empty="exclude")
    assert (zero["ndcg@10"], zero["map"]) == (0.5, 0.5)
    assert (exclude["ndcg@10"], exclude["map"]) == (1.0, 1.0)
