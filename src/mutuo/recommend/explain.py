"""Feature contributions of a model's score, from the model's files in the registry.

The engine logs each hit's raw feature values (``ltr_log``, in the same request). What each
value contributed is computed here from the same model: for a tree model with XGBoost's
SHAP values (``pred_contribs``) on the booster kept beside it in ``ltr_models/``; for a
linear model as weight x value. The contributions plus the bias add up to the model score
the engine computed (the plugin adds no ``base_score``, so neither does the bias here).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xgboost as xgb

from ..ltr.registry import ModelRegistry
from .results import Explanation, FeatureValue


def contributions(
    registry: ModelRegistry | None, model: str | None, names: Sequence[str], rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """(per-feature contributions (rows x features), bias per row), or None if unknown."""
    if registry is None or model is None or not len(rows):
        return None
    booster = registry.booster(model)
    if booster is not None:
        if list(booster.feature_names or []) != list(names):
            return None
        matrix = xgb.DMatrix(rows, feature_names=list(names), base_margin=np.zeros(len(rows)))
        shap = booster.predict(matrix, pred_contribs=True)
        return shap[:, :-1], shap[:, -1]
    try:
        body = registry.model_body(model)
    except Exception:  # a model trained elsewhere: values only
        return None
    definition = body["model"].get("definition")
    if body["model"].get("type") != "model/linear" or not isinstance(definition, dict):
        return None
    weights = np.asarray([float(definition.get(n, 0.0)) for n in names])
    values = np.nan_to_num(rows.astype(np.float64), nan=0.0)  # linear models read missing as 0
    return values * weights, np.zeros(len(rows))


def explanations(
    registry: ModelRegistry | None,
    model: str | None,
    names: Sequence[str],
    rows: np.ndarray,
    scores: Sequence[float],
) -> list[Explanation]:
    """One explanation per row of logged features (``rows``, NaN = missing)."""
    parts = contributions(registry, model, names, rows)
    out = []
    for i, row in enumerate(rows):
        contrib = parts[0][i] if parts is not None else None
        bias = float(parts[1][i]) if parts is not None else None
        model_score = float(np.sum(contrib) + (bias or 0.0)) if contrib is not None else None
        features = tuple(
            FeatureValue(
                name,
                None if np.isnan(value) else float(value),
                None if contrib is None else round(float(contrib[j]), 6),
            )
            for j, (name, value) in enumerate(zip(names, row, strict=True))
        )
        marketplace = None if model_score is None else float(scores[i]) - model_score
        out.append(Explanation(model, model_score, bias, marketplace, features))
    return out
