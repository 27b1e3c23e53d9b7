"""Training the people ranker: XGBoost LambdaMART (``rank:ndcg``) on logged judgments.

* **Split by time.** Lists are ordered by when they were shown; the newest ``test_share``
  are held out for the card's metrics, the ``validation_share`` before them drive early
  stopping, the rest train. A model is judged on the future it will serve, never on
  lists shuffled in from it.
* **Position bias.** A member shown first is liked more often than the same member shown
  tenth. Training uses XGBoost's unbiased LambdaMART (``lambdarank_unbiased``, Hu et al.,
  WWW 2019): it estimates, jointly with the ranker, how much each displayed position is
  examined, and weighs each pair's gradient by the inverse of those propensities. It reads
  the displayed position from the row order, so each list's rows are sorted by the position
  it was shown at.
* **Missing features** stay NaN: XGBoost learns a direction for them, which the LTR plugin
  (3.2+) follows when it scores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import xgboost as xgb

from ..errors import ModelError
from ..evaluation.metrics import evaluate
from . import export
from .featurelog import TrainingSet
from .judgments import label_counts
from .registry import FEATURESET

CUTOFFS = (5, 10)


@dataclass(frozen=True)
class TrainOptions:
    """How a ranker is fitted. The defaults suit judgments of the size a marketplace logs
    in days (thousands of lists, a few positives each): shallow trees and a small step
    with a long patience. Deeper trees with a larger step peak after one or two rounds on
    such data and early stopping then keeps a model of a single tree."""

    test_share: float = 0.2
    validation_share: float = 0.2
    unbiased: bool = True  # position-bias correction (unbiased LambdaMART)
    max_depth: int = 3
    eta: float = 0.05
    max_rounds: int = 300
    early_stopping: int = 50
    seed: int = 0


@dataclass
class Split:
    """Row indices of one part, grouped by list and sorted by displayed position."""

    rows: np.ndarray
    groups: list[int]


@dataclass
class TrainedModel:
    name: str
    booster: xgb.Booster
    body: dict[str, Any]  # model.json: the plugin model
    card: dict[str, Any]


def split_by_time(data: TrainingSet, options: TrainOptions) -> tuple[Split, Split, Split]:
    """(train, validation, test) by when each list was shown."""
    starts: dict[str, str] = {}
    for j in data.judgments:
        starts.setdefault(j.query_id, j.timestamp)
    order = sorted(starts, key=lambda q: (starts[q], q))
    n = len(order)
    n_test = round(n * options.test_share)
    n_vali = round((n - n_test) * options.validation_share)
    parts = (
        order[: n - n_test - n_vali],
        order[n - n_test - n_vali : n - n_test],
        order[n - n_test :],
    )
    return tuple(_split(data, part) for part in parts)  # type: ignore[return-value]


def _split(data: TrainingSet, queries: list[str]) -> Split:
    rank = {q: i for i, q in enumerate(queries)}
    rows = [i for i, j in enumerate(data.judgments) if j.query_id in rank]
    rows.sort(key=lambda i: (rank[data.judgments[i].query_id], data.judgments[i].position))
    sizes: dict[str, int] = {}
    for i in rows:
        sizes[data.judgments[i].query_id] = sizes.get(data.judgments[i].query_id, 0) + 1
    return Split(np.asarray(rows, dtype=np.int64), [sizes[q] for q in queries if q in sizes])


def _matrix(data: TrainingSet, split: Split, labels: np.ndarray) -> xgb.DMatrix:
    matrix = xgb.DMatrix(
        data.features[split.rows], labels[split.rows], feature_names=data.feature_names
    )
    matrix.set_group(split.groups)
    return matrix


def _check(split: Split, labels: np.ndarray, what: str) -> None:
    positives = labels[split.rows] > 0
    if len(split.groups) < 2 or not positives.any():
        raise ModelError(
            f"not enough judgments to {what}: {len(split.groups)} list(s), "
            f"{int(positives.sum())} positive label(s); log more behaviour first"
        )


def fit(data: TrainingSet, options: TrainOptions) -> tuple[xgb.Booster, dict[str, Split]]:
    labels = np.asarray([j.label for j in data.judgments], dtype=np.float32)
    train, vali, test = split_by_time(data, options)
    _check(train, labels, "train")
    _check(vali, labels, "stop early")
    params = {
        "objective": "rank:ndcg",
        "eval_metric": f"ndcg@{CUTOFFS[-1]}",
        "eta": options.eta,
        "max_depth": options.max_depth,
        "lambdarank_unbiased": options.unbiased,
        "seed": options.seed,
        "nthread": 2,
    }
    booster = xgb.train(
        params,
        _matrix(data, train, labels),
        num_boost_round=options.max_rounds,
        evals=[(_matrix(data, vali, labels), "validation")],
        early_stopping_rounds=options.early_stopping,
        verbose_eval=False,
    )
    best: xgb.Booster = booster[: booster.best_iteration + 1]
    return best, {"train": train, "validation": vali, "test": test}


def plugin_scores(booster: xgb.Booster, features: np.ndarray) -> np.ndarray:
    """What the LTR plugin scores: the trees' sum, without ``base_score``."""
    matrix = xgb.DMatrix(
        features, feature_names=booster.feature_names, base_margin=np.zeros(len(features))
    )
    scores: np.ndarray = booster.predict(matrix, output_margin=True)
    return scores


def metrics(data: TrainingSet, split: Split, booster: xgb.Booster) -> dict[str, dict[str, float]]:
    """NDCG of the model, of the order the lists were shown in, and of the reciprocal
    taste feature alone, on one part (lists without a positive label left out)."""
    if not len(split.rows):
        return {}
    labels = np.asarray([data.judgments[i].label for i in split.rows], dtype=np.float64)
    queries = np.asarray([data.judgments[i].query_id for i in split.rows])
    features = data.features[split.rows]
    shown = -np.asarray([data.judgments[i].position for i in split.rows], dtype=np.float64)
    rankings = {"model": plugin_scores(booster, features), "shown_order": shown}
    if "taste_reciprocal" in data.feature_names:
        column = features[:, data.feature_names.index("taste_reciprocal")]
        rankings["taste_reciprocal_alone"] = np.nan_to_num(column, nan=-1.0)
    return {
        name: evaluate(labels, scores, queries, CUTOFFS, empty="exclude")
        for name, scores in rankings.items()
    }


def score_spread(data: TrainingSet, split: Split, booster: xgb.Booster) -> float | None:
    """The typical score difference between candidates of one list: the median over the
    training lists (of two rows or more) of the standard deviation of the model's scores.

    The marketplace rescore is sized in this unit (``rescore_query_weight``), so its
    strengths mean the same for every model whatever the scale of its margins."""
    if not len(split.rows):
        return None
    scores = plugin_scores(booster, data.features[split.rows])
    stds, start = [], 0
    for size in split.groups:
        if size >= 2:
            stds.append(float(np.std(scores[start : start + size])))
        start += size
    positive = [s for s in stds if s > 0]
    return round(float(np.median(positive)), 6) if positive else None


def importances(booster: xgb.Booster, names: list[str]) -> dict[str, float]:
    """Total gain of each feature's splits (0 for features the trees never use)."""
    gains = {k: float(v) for k, v in booster.get_score(importance_type="total_gain").items()}  # type: ignore[arg-type]
    total = sum(gains.values()) or 1.0
    ranked = sorted(names, key=lambda n: -gains.get(n, 0.0))
    return {n: round(gains.get(n, 0.0) / total, 4) for n in ranked}


def train_ranker(
    data: TrainingSet, name: str, options: TrainOptions = TrainOptions()
) -> TrainedModel:
    """Train, export (``model/xgboost+json``) and describe a model of the people feature set."""
    booster, splits = fit(data, options)
    body = {
        "featureset": FEATURESET,
        "model": {
            "type": "model/xgboost+json",
            "definition": export.xgboost_json_definition(booster),
        },
    }
    timestamps = [j.timestamp for j in data.judgments]
    card = {
        "name": name,
        "featureset": FEATURESET,
        "feature_names": data.feature_names,
        "objective": "rank:ndcg",
        "position_bias": "unbiased LambdaMART (xgboost lambdarank_unbiased), rows in displayed order"
        if options.unbiased
        else "none",
        "data": {
            "since": min(timestamps) if timestamps else None,
            "until": max(timestamps) if timestamps else None,
            "judgments": len(data.judgments),
            "lists": {part: len(s.groups) for part, s in splits.items()},
            "labels": label_counts(data.judgments),
            "feature_sources": data.sources,
        },
        "options": asdict(options),
        "trees": booster.num_boosted_rounds(),
        "metrics": {part: metrics(data, splits[part], booster) for part in ("validation", "test")},
        "importances": importances(booster, data.feature_names),
        "score_spread": score_spread(data, splits["train"], booster),
    }
    return TrainedModel(name, booster, body, card)
