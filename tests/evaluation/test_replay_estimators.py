"""Replay estimators on synthetic logs whose true answer is known.

Logs follow the position-based model the estimators assume: each member has a hidden
relevance ``g`` in {0, 1}; the logging policy showed a random order; a member at position
``p`` was examined with probability ``1 / p`` and acted on when examined and relevant.
"""

from __future__ import annotations

import numpy as np
import pytest

from mutuo.evaluation.replay import LoggedList, estimate, examination, logged_order_scores

LISTS, LENGTH, K = 8_000, 8, 5


def _discounted(relevance: np.ndarray, scores: np.ndarray, k: int) -> float:
    order = np.argsort(-scores, kind="stable")
    gains = relevance[order][:k]
    return float(np.sum(gains / np.log2(np.arange(2, len(gains) + 2))))


@pytest.fixture(scope="module")
def world() -> tuple[list[LoggedList], list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(5)
    lists, relevances, candidate = [], [], []
    for q in range(LISTS):
        g = (rng.random(LENGTH) < 0.3).astype(float)
        positions = rng.permutation(LENGTH) + 1
        acted = rng.random(LENGTH) < examination(positions) * g
        lists.append(
            LoggedList(
                f"v{q}", f"q{q}", [f"m{i}" for i in range(LENGTH)], acted.astype(float), positions
            )
        )
        relevances.append(g)
        candidate.append(g + rng.normal(0, 0.6, LENGTH))  # a decent, imperfect model
    return lists, relevances, candidate


def test_ips_recovers_the_candidates_true_dcg(world) -> None:  # type: ignore[no-untyped-def]
    lists, relevance, candidate = world
    truth = np.mean([_discounted(g, s, K) for g, s in zip(relevance, candidate, strict=True)])
    result = estimate(lists, candidate, k=K)
    assert result[f"ips_dcg@{K}"] == pytest.approx(truth, rel=0.03)
    # ignoring position bias (eta = 0: every position examined) underestimates badly
    naive = estimate(lists, candidate, k=K, eta=0.0)
    assert naive[f"ips_dcg@{K}"] < 0.6 * truth


def test_snips_recovers_the_discount_share_of_relevant_members(world) -> None:  # type: ignore[no-untyped-def]
    lists, relevance, candidate = world
    numerator = sum(_discounted(g, s, K) for g, s in zip(relevance, candidate, strict=True))
    truth = numerator / sum(float(g.sum()) for g in relevance)
    assert estimate(lists, candidate, k=K)[f"snips_dcg@{K}"] == pytest.approx(truth, rel=0.03)


def test_a_better_model_scores_higher_and_the_logged_order_replays_itself(world) -> None:  # type: ignore[no-untyped-def]
    lists, relevance, candidate = world
    logged = estimate(lists, logged_order_scores(lists), k=K)
    oracle = estimate(lists, relevance, k=K)
    model = estimate(lists, candidate, k=K)
    assert logged[f"ips_dcg@{K}"] < model[f"ips_dcg@{K}"] < oracle[f"ips_dcg@{K}"]
    truth = np.mean(
        [
            _discounted(g, -lst.positions.astype(float), K)
            for g, lst in zip(relevance, lists, strict=True)
        ]
    )
    assert logged[f"ips_dcg@{K}"] == pytest.approx(truth, rel=0.05)
    assert logged["lists"] == LISTS


def test_small_log_by_hand() -> None:
    # one list, the member at logged position 2 acted (weight 1 / (1/2) = 2); the candidate
    # puts it first (discount 1): IPS = 2, SNIPS = 2 / 2 = 1
    logged = LoggedList("v", "q", ["a", "b"], np.array([0.0, 1.0]), np.array([1, 2]))
    result = estimate([logged], [np.array([0.0, 1.0])], k=10)
    assert result == {
        "ndcg@10": 1.0,
        "ips_dcg@10": 2.0,
        "snips_dcg@10": 1.0,
        "lists": 1,
        "lists_with_outcomes": 1,
    }
    with pytest.raises(ValueError, match="1-based"):
        examination(np.array([0, 1]))
