"""Oracle tests: compiled LTR models score exactly as the libraries that trained them.

XGBoost (``rank:ndcg``, ``rank:pairwise``, ``binary:logistic``) and LightGBM (lambdarank,
binary) models are exported to every plugin format they fit and scored on random feature
vectors with missing values. The oracle is the library's own prediction as the plugin
defines the score: the margin without ``base_score`` (``base_margin=0`` for XGBoost),
with a sigmoid for logistic objectives. Tolerance: 1e-5.
"""

from __future__ import annotations

import json
from typing import Any

import lightgbm as lgb
import numpy as np
import pytest
import xgboost as xgb

from mutuo.engine.ltr.elements import StoredFeature, StoredFeatureSet
from mutuo.engine.ltr.features import CompiledFeatureSet, compile_featureset
from mutuo.engine.ltr.rankers import parse_ranker
from mutuo.ltr import export

TOLERANCE = 1e-5
NAMES = [f"f{i}" for i in range(8)]
RNG = np.random.default_rng(20260901)


def feature_set(names: list[str]) -> CompiledFeatureSet:
    features = [StoredFeature(n, [], "mustache", {"match_all": {}}) for n in names]
    return compile_featureset(StoredFeatureSet("oracle", features))


def training_data(missing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = RNG.normal(size=(800, len(NAMES))).astype(np.float32)
    x[RNG.random(x.shape) < missing] = np.nan
    y = RNG.integers(0, 4, len(x))
    return x, y, np.repeat(np.arange(80), 10)


def probe_vectors(missing: float = 0.25) -> np.ndarray:
    x = RNG.normal(size=(500, len(NAMES))).astype(np.float32)
    x[RNG.random(x.shape) < missing] = np.nan
    x[:5] = np.nan  # rows with every feature missing
    return x


def sigmoid(margin: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-margin.astype(np.float64)))


def xgboost_model(objective: str) -> xgb.Booster:
    x, y, qid = training_data(missing=0.2)
    labels = y if objective.startswith("rank") else (y > 1).astype(int)
    matrix = xgb.DMatrix(
        x, labels, qid=qid if objective.startswith("rank") else None, feature_names=NAMES
    )
    params = {"objective": objective, "max_depth": 6, "eta": 0.3, "nthread": 1}
    return xgb.train(params, matrix, num_boost_round=60)


def xgboost_oracle(booster: xgb.Booster, x: np.ndarray, objective: str) -> np.ndarray:
    margin = booster.predict(
        xgb.DMatrix(x, feature_names=NAMES, base_margin=np.zeros(len(x))), output_margin=True
    )
    return sigmoid(margin) if objective == "binary:logistic" else margin


def score(model_type: str, definition: Any, x: np.ndarray) -> np.ndarray:
    text = definition if isinstance(definition, str) else json.dumps(definition)
    return parse_ranker(model_type, feature_set(NAMES), text).score(x)


@pytest.mark.parametrize("objective", ["rank:ndcg", "rank:pairwise", "binary:logistic"])
@pytest.mark.parametrize("model_type", ["model/xgboost+json", "model/xgboost+json+raw"])
def test_xgboost_models_score_like_xgboost_without_base_score(
    objective: str, model_type: str
) -> None:
    booster = xgboost_model(objective)
    definition = (
        export.xgboost_json_definition(booster)
        if model_type == "model/xgboost+json"
        else export.xgboost_raw_definition(booster)
    )
    x = probe_vectors()
    np.testing.assert_allclose(
        score(model_type, definition, x), xgboost_oracle(booster, x, objective), atol=TOLERANCE
    )


def test_xgboost_missing_as_zero_reads_missing_features_as_zero() -> None:
    booster = xgboost_model("rank:ndcg")
    definition = {**export.xgboost_json_definition(booster), "missing_as_zero": True}
    ranker = parse_ranker("model/xgboost+json", feature_set(NAMES), json.dumps(definition))
    x = probe_vectors()
    assert ranker.missing_value == 0.0
    expected = xgboost_oracle(booster, np.nan_to_num(x, nan=0.0), "rank:ndcg")
    np.testing.assert_allclose(ranker.score(np.nan_to_num(x, nan=0.0)), expected, atol=TOLERANCE)


def test_xgboost_features_are_mapped_by_name_not_by_position() -> None:
    booster = xgboost_model("rank:pairwise")
    reordered = [*list(reversed(NAMES)), "unused"]
    ranker = parse_ranker(
        "model/xgboost+json",
        feature_set(reordered),
        json.dumps(export.xgboost_json_definition(booster)),
    )
    x = probe_vectors()
    columns = np.column_stack([x[:, NAMES.index(n)] if n in NAMES else x[:, 0] for n in reordered])
    np.testing.assert_allclose(
        ranker.score(columns), xgboost_oracle(booster, x, "rank:pairwise"), atol=TOLERANCE
    )


def lightgbm_model(objective: str, missing: float) -> lgb.Booster:
    x, y, _qid = training_data(missing)
    labels = y if objective == "lambdarank" else (y > 1).astype(int)
    group = [10] * (len(x) // 10) if objective == "lambdarank" else None
    params = {
        "objective": objective,
        "num_leaves": 31,
        "min_data_in_leaf": 5,
        "verbose": -1,
        "num_threads": 1,
    }
    data = lgb.Dataset(x, labels, group=group, feature_name=NAMES)
    return lgb.train(params, data, num_boost_round=60)


def lightgbm_oracle(booster: lgb.Booster, x: np.ndarray, objective: str) -> np.ndarray:
    raw = booster.predict(x, raw_score=True)
    return sigmoid(raw) if objective == "binary" else raw


@pytest.mark.parametrize("objective", ["lambdarank", "binary"])
@pytest.mark.parametrize(
    ("model_type", "exporter"),
    [
        ("model/xgboost+json", export.lightgbm_xgboost_json_definition),
        ("model/xgboost+json+raw", export.lightgbm_xgboost_raw_definition),
    ],
)
def test_lightgbm_trees_exported_as_xgboost_score_like_lightgbm(
    objective: str, model_type: str, exporter: Any
) -> None:
    booster = lightgbm_model(objective, missing=0.2)  # NaN-aware splits
    x = probe_vectors()
    np.testing.assert_allclose(
        score(model_type, exporter(booster), x),
        lightgbm_oracle(booster, x, objective),
        atol=TOLERANCE,
    )


@pytest.mark.parametrize("objective", ["lambdarank", "binary"])
def test_lightgbm_trees_exported_as_ranklib_score_like_lightgbm(objective: str) -> None:
    booster = lightgbm_model(objective, missing=0.0)  # RankLib reads unknown values as 0
    x = probe_vectors()
    expected = booster.predict(x, raw_score=True)  # LightGBM also reads NaN as 0 here
    ranklib = score("model/ranklib", export.lightgbm_ranklib_definition(booster), x)
    np.testing.assert_allclose(ranklib, expected, atol=TOLERANCE)


def test_lightgbm_export_refuses_what_the_plugin_cannot_express() -> None:
    booster = lightgbm_model("lambdarank", missing=0.2)
    with pytest.raises(export.ExportError, match="missing-value routing"):
        export.lightgbm_ranklib_definition(booster)


@pytest.mark.parametrize("threshold", [1e300, -1e300, 3.5e38, 0.1, -0.0])
def test_lightgbm_thresholds_beyond_float32_convert_without_overflow(threshold: float) -> None:
    strict = np.float32(export._strict32(threshold))  # warnings are errors in pytest
    probes = np.array([-np.inf, -3.4e38, -1.0, -0.0, 0.1, 1.0, 3.4e38, np.inf], np.float32)
    probes = np.concatenate([probes, np.nextafter(probes, np.float32(np.inf))])
    assert ((probes.astype(np.float64) <= threshold) == (probes < strict)).all()
