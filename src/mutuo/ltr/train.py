"""Training learning-to-rank models: XGBoost LambdaMART and a LightGBM lambdarank baseline.

Both train on query-grouped data with early stopping on a validation split (NDCG@10). The
XGBoost booster keeps only its best iteration's trees, so what is exported and uploaded is
exactly what was selected. :func:`xgboost_scores` is how the LTR plugin scores such a
model: the sum of the trees, without ``base_score`` (which shifts every document of a query
equally and never changes a ranking).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import xgboost as xgb

MAX_ROUNDS = 500
EARLY_STOPPING = 50


@dataclass(frozen=True)
class RankingData:
    features: np.ndarray  # float32 (documents, features), rows grouped by query
    labels: np.ndarray
    query_ids: np.ndarray
    feature_names: list[str]

    def group_sizes(self) -> list[int]:
        """Lengths of the runs of equal query ids (rows must be grouped by query)."""
        if not len(self.query_ids):
            return []
        changes = np.flatnonzero(self.query_ids[1:] != self.query_ids[:-1]) + 1
        bounds = np.concatenate([[0], changes, [len(self.query_ids)]])
        sizes = np.diff(bounds)
        if len(sizes) != len(np.unique(self.query_ids)):
            raise ValueError("rows must be grouped by query id")
        return [int(s) for s in sizes]

    def dmatrix(self) -> xgb.DMatrix:
        matrix = xgb.DMatrix(self.features, self.labels, feature_names=self.feature_names)
        matrix.set_group(self.group_sizes())
        return matrix


def train_xgboost_lambdamart(
    train: RankingData, vali: RankingData, seed: int = 0, **params: Any
) -> xgb.Booster:
    settings = {
        "objective": "rank:ndcg",
        "eval_metric": "ndcg@10",
        "eta": 0.1,
        "max_depth": 6,
        "seed": seed,
        "nthread": 2,
        **params,
    }
    booster = xgb.train(
        settings,
        train.dmatrix(),
        num_boost_round=MAX_ROUNDS,
        evals=[(vali.dmatrix(), "vali")],
        early_stopping_rounds=EARLY_STOPPING,
        verbose_eval=False,
    )
    best: xgb.Booster = booster[: booster.best_iteration + 1]
    return best


def xgboost_scores(booster: xgb.Booster, features: np.ndarray) -> np.ndarray:
    """The LTR plugin's score of each row: tree sum, no ``base_score``, no transform."""
    matrix = xgb.DMatrix(
        features, feature_names=booster.feature_names, base_margin=np.zeros(len(features))
    )
    scores: np.ndarray = booster.predict(matrix, output_margin=True)
    return scores


def train_lightgbm_lambdarank(
    train: RankingData, vali: RankingData, seed: int = 0, **params: Any
) -> lgb.Booster:
    settings = {
        "objective": "lambdarank",
        "metric": "ndcg",
        "eval_at": [10],
        "learning_rate": 0.1,
        "num_leaves": 31,
        "seed": seed,
        "num_threads": 2,
        "verbose": -1,
        **params,
    }
    names = train.feature_names
    train_set = lgb.Dataset(
        train.features, train.labels, group=train.group_sizes(), feature_name=names
    )
    vali_set = lgb.Dataset(
        vali.features, vali.labels, group=vali.group_sizes(), reference=train_set
    )
    booster = lgb.train(
        settings,
        train_set,
        num_boost_round=MAX_ROUNDS,
        valid_sets=[vali_set],
        callbacks=[lgb.early_stopping(EARLY_STOPPING, verbose=False)],
    )
    return booster
