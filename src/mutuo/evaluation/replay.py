"""Offline replay: judge a candidate ranking on logged impressions before promoting it.

A logged impression list is what a viewer was shown (the ids in their logged positions)
and what came of each (a graded outcome from the events: 0 when nothing happened). A
candidate model re-ranks each logged list; three estimates of how it would have done:

* ``ndcg@k``: NDCG of the logged outcomes in the candidate's order, as if every outcome
  were independent of where it was shown. Simple, and biased towards the logging policy:
  what was shown low was seen less, so its outcomes are missing, not negative.
* ``ips_dcg@k``: inverse propensity scoring under the **position-based model**: a member
  at logged position ``p`` was examined with probability ``theta(p) = (1 / p) ** eta``
  (``eta = 1`` by default; larger is steeper), and an outcome needs examination. Each
  outcome ``y`` is weighted by ``1 / theta(p)``, which makes ``y / theta(p)`` an unbiased
  estimate of the outcome had the member been examined, and summed with the candidate's
  DCG discount ``1 / log2(1 + rank)`` for ranks within ``k``. The mean over lists is an
  unbiased estimate of the candidate's DCG@k (linear gains) when the model holds.
* ``snips_dcg@k``: the self-normalised version: the same weighted sum divided by the sum
  of the weights ``y / theta(p)``, i.e. the propensity-weighted mean discount a positive
  outcome gets under the candidate's order. It estimates ``sum(g * discount) / sum(g)``,
  lies in [0, 1], and has lower variance than IPS at the price of a small bias.

Only logged members can be judged (a candidate that would surface someone never shown has
no outcome to replay), and positions must be the ones actually displayed, 1-based.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .metrics import ndcg_at_k

DEFAULT_ETA = 1.0


@dataclass(frozen=True)
class LoggedList:
    """One logged impression list: members in displayed order, their logged outcomes."""

    viewer: str
    query_id: str
    members: list[str]
    outcomes: np.ndarray  # graded, >= 0, one per member
    positions: np.ndarray  # displayed positions, 1-based, one per member


def examination(positions: np.ndarray, eta: float = DEFAULT_ETA) -> np.ndarray:
    """The position-based model's examination probability ``(1 / p) ** eta``."""
    positions = np.asarray(positions, dtype=np.float64)
    if (positions < 1).any():
        raise ValueError("logged positions are 1-based")
    return np.power(1.0 / positions, eta)


def _discounts(scores: np.ndarray, k: int) -> np.ndarray:
    """Each member's DCG discount at its rank under ``scores`` (0 beyond ``k``), row-wise
    for a (lists, members) matrix; ties keep the logged member order, as in ``ranking``."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, scores.shape[1] + 1)[None, :], axis=1)
    return np.where(ranks <= k, 1.0 / np.log2(ranks + 1.0), 0.0)


def _by_length(
    lists: Sequence[LoggedList], scores: Sequence[np.ndarray]
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Lists of equal length stacked: (outcomes, positions, scores) matrices per length."""
    groups: dict[int, list[int]] = {}
    for i, logged in enumerate(lists):
        if len(scores[i]) != len(logged.members):
            raise ValueError(
                f"list {logged.query_id}: {len(scores[i])} scores for {len(logged.members)} members"
            )
        groups.setdefault(len(logged.members), []).append(i)
    return {
        length: (
            np.array([lists[i].outcomes for i in rows], dtype=np.float64),
            np.array([lists[i].positions for i in rows], dtype=np.float64),
            np.array([scores[i] for i in rows], dtype=np.float64),
        )
        for length, rows in groups.items()
        if length > 0
    }


def estimate(
    lists: Sequence[LoggedList], scores: Sequence[np.ndarray], k: int = 10, eta: float = DEFAULT_ETA
) -> dict[str, float | int]:
    """``ndcg@k``, ``ips_dcg@k`` and ``snips_dcg@k`` of the candidate ``scores``."""
    if not lists:
        raise ValueError("no logged impression lists to replay")
    if len(scores) != len(lists):
        raise ValueError(f"{len(scores)} score arrays for {len(lists)} logged lists")
    ips_sum, weights = 0.0, 0.0
    for outcomes, positions, candidate in _by_length(lists, scores).values():
        w = outcomes / examination(positions, eta)
        discount = _discounts(candidate, k)
        ips_sum += float(np.sum(w * discount))
        weights += float(np.sum(w))
    values = (ndcg_at_k(logged.outcomes, s, k) for logged, s in zip(lists, scores, strict=True))
    ndcg = np.array([v for v in values if v is not None])
    return {
        f"ndcg@{k}": round(float(ndcg.mean()), 4) if len(ndcg) else 0.0,
        f"ips_dcg@{k}": round(ips_sum / len(lists), 4),
        f"snips_dcg@{k}": round(ips_sum / weights, 4) if weights else 0.0,
        "lists": len(lists),
        "lists_with_outcomes": len(ndcg),
    }


def logged_order_scores(lists: Sequence[LoggedList]) -> list[np.ndarray]:
    """Scores that reproduce the logged order (the logging policy replayed on itself)."""
    return [-np.asarray(logged.positions, dtype=np.float64) for logged in lists]
