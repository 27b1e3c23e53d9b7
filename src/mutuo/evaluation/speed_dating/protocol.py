"""The ranking protocol: every test participant ranks the partners held out from them.

For each viewer the candidates are the partners of their held-out meetings, in a seeded
random order (so a ranker that ties, e.g. popularity in cold start, gets a random order
rather than one that favours low ids). Two labels are scored: ``mutual`` (both said yes:
the outcome a two-sided marketplace exists for) and ``like`` (the viewer said yes: what a
one-sided recommender optimises). Per viewer and label: NDCG@5, NDCG@10, precision@3 and
AUC. A viewer enters a metric's mean only where it is defined: NDCG and precision need a
positive among the candidates, AUC a positive and a negative. Means come with bootstrap
intervals over participants; the gain of one ranker over another is a paired bootstrap
over the participants where both are defined (the same ones, since both rank the same
lists).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..bootstrap import mean_interval, relative_gain_interval
from ..metrics import auc, ndcg_at_k, precision_at_k
from .splits import Split

LABELS = ("mutual", "like")
METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float | None]] = {
    "ndcg@5": lambda y, s: ndcg_at_k(y, s, 5),
    "ndcg@10": lambda y, s: ndcg_at_k(y, s, 10),
    "precision@3": lambda y, s: precision_at_k(y, s, 3),
    "auc": auc,
}


@dataclass(frozen=True)
class ViewerCase:
    """One test participant and the held-out partners they rank."""

    viewer: int
    candidates: list[int]
    mutual: np.ndarray  # 1 where both said yes
    like: np.ndarray  # 1 where the viewer said yes
    history: int  # the viewer's meetings in the training data


class Ranker(Protocol):
    """Scores each case's candidates (higher first); one array per case, in case order."""

    name: str

    def score(self, cases: Sequence[ViewerCase]) -> list[np.ndarray]: ...


def viewer_cases(split: Split, seed: int) -> list[ViewerCase]:
    """The test cases of a split, viewers by iid, candidates shuffled with ``seed``."""
    history: Counter[int] = Counter(i for m in split.train for i in (m.a, m.b))
    rows: dict[int, list[tuple[int, bool, bool]]] = {}
    for m in split.test:
        rows.setdefault(m.a, []).append((m.b, m.match, m.a_likes_b))
        rows.setdefault(m.b, []).append((m.a, m.match, m.b_likes_a))
    cases = []
    for viewer in sorted(rows):
        ordered = sorted(rows[viewer])
        order = np.random.default_rng([seed, viewer]).permutation(len(ordered))
        shuffled = [ordered[i] for i in order]
        cases.append(
            ViewerCase(
                viewer=viewer,
                candidates=[c for c, _m, _l in shuffled],
                mutual=np.array([int(m) for _c, m, _l in shuffled]),
                like=np.array([int(lk) for _c, _m, lk in shuffled]),
                history=history[viewer],
            )
        )
    return cases


def per_viewer(cases: Sequence[ViewerCase], scores: Sequence[np.ndarray]) -> dict[str, Any]:
    """``{label: {metric: array over cases}}``, NaN where a metric is undefined."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for label in LABELS:
        out[label] = {}
        for metric, fn in METRICS.items():
            values = [fn(getattr(case, label), s) for case, s in zip(cases, scores, strict=True)]
            out[label][metric] = np.array([np.nan if v is None else v for v in values])
    return out


def summarise(values: dict[str, dict[str, np.ndarray]], seed: int) -> dict[str, Any]:
    """Mean and bootstrap interval of every (label, metric), with the viewers counted."""
    out: dict[str, Any] = {}
    for label, metrics in values.items():
        out[label] = {}
        for metric, array in metrics.items():
            defined = array[~np.isnan(array)]
            out[label][metric] = {
                **mean_interval(defined, seed=seed).as_dict(),
                "participants": len(defined),
            }
    return out


def gain(
    treatment: dict[str, dict[str, np.ndarray]],
    control: dict[str, dict[str, np.ndarray]],
    seed: int,
) -> dict[str, Any]:
    """Relative gain of ``treatment`` over ``control`` for every (label, metric)."""
    out: dict[str, Any] = {}
    for label, metrics in treatment.items():
        out[label] = {}
        for metric, values in metrics.items():
            other = control[label][metric]
            both = ~np.isnan(values) & ~np.isnan(other)
            interval = relative_gain_interval(values[both], other[both], seed=seed)
            out[label][metric] = {
                **interval.as_dict(),
                "excludes_zero": interval.excludes_zero(),
                "participants": int(both.sum()),
            }
    return out


def by_history(
    cases: Sequence[ViewerCase], values: dict[str, dict[str, np.ndarray]], metric: str
) -> dict[int, float]:
    """Mean of ``values["mutual"][metric]`` per viewer history length (meetings in training)."""
    array = values["mutual"][metric]
    groups: dict[int, list[float]] = {}
    for case, value in zip(cases, array, strict=True):
        if not np.isnan(value):
            groups.setdefault(case.history, []).append(float(value))
    return {h: round(float(np.mean(v)), 4) for h, v in sorted(groups.items())}
