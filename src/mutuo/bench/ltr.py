"""``mutuo bench ltr``: scoring a rescore-sized window with an LTR model.

Two measurements, each with a raw baseline from the same run:

* ``model``: the compiled tree ensemble scoring a (window x features) matrix with
  missing values, against XGBoost's own single-threaded ``inplace_predict`` on the same
  matrix (the outputs are compared too).
* ``sltr_window``: the whole ``sltr`` query on an index, restricted to a window of
  documents through ``SearchContext.domain`` (what a rescore does): request parsing, the
  cached model, rendering and running every feature query once over the window, and the
  model. Rescore's own bookkeeping (combining and re-sorting the window) is not included.
"""

from __future__ import annotations

import json
from typing import Any

import click
import numpy as np
import xgboost as xgb

from ..client import connect
from ..engine.connection import EmbeddedConnection
from ..engine.queries import parse_query
from ..engine.search_context import SearchContext
from ..ltr import export
from .common import emit, latency_stats, peak_rss_mb, time_calls

FIELDS = ("headline", "bio", "interests", "skills")
VOCABULARY = [f"w{i}" for i in range(400)]


def train_model(features: int, trees: int, depth: int, seed: int) -> xgb.Booster:
    """An XGBoost LambdaMART model with full-depth trees over ``features`` named f0.."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(20 * trees, features)).astype(np.float32)
    x[rng.random(x.shape) < 0.2] = np.nan
    y = rng.integers(0, 4, len(x))
    matrix = xgb.DMatrix(x, y, feature_names=[f"f{i}" for i in range(features)])
    matrix.set_group([10] * (len(x) // 10))
    params = {"objective": "rank:ndcg", "max_depth": depth, "min_child_weight": 0, "nthread": 2}
    return xgb.train(params, matrix, num_boost_round=trees)


def model_benchmark(booster: xgb.Booster, window: int, repeat: int, seed: int) -> dict[str, Any]:
    from ..engine.ltr.elements import StoredFeature, StoredFeatureSet
    from ..engine.ltr.features import compile_featureset
    from ..engine.ltr.rankers import parse_ranker

    names = list(booster.feature_names or [])
    stored = [StoredFeature(n, [], "mustache", {"match_all": {}}) for n in names]
    feature_set = compile_featureset(StoredFeatureSet("bench", stored))
    definition = json.dumps(export.xgboost_json_definition(booster))
    ranker = parse_ranker("model/xgboost+json", feature_set, definition)
    rng = np.random.default_rng(seed + 1)
    matrix = rng.normal(size=(window, len(names))).astype(np.float32)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    booster.set_param({"nthread": 1})
    zeros = np.zeros(window, dtype=np.float32)

    def native() -> np.ndarray:
        result: np.ndarray = booster.inplace_predict(
            matrix, base_margin=zeros, predict_type="margin"
        )
        return result

    engine_ms = time_calls(lambda: ranker.score(matrix), repeat)
    native_ms = time_calls(native, repeat)
    engine, xgboost = latency_stats(engine_ms), latency_stats(native_ms)
    return {
        "matrix": [window, len(names)],
        "missing_fraction": 0.2,
        "engine_compiled": engine,
        "xgboost_inplace_predict_1_thread": xgboost,
        "p50_ratio_to_xgboost": round(engine["p50_ms"] / xgboost["p50_ms"], 3),
        "max_abs_difference": float(np.max(np.abs(ranker.score(matrix) - native()))),
    }


def _profiles(docs: int, seed: int) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    return [
        {field: " ".join(rng.choice(VOCABULARY, size=int(rng.integers(3, 30)))) for field in FIELDS}
        for _ in range(docs)
    ]


def _index_profiles(client: Any, docs: int, seed: int) -> None:
    mapping = {"properties": {f: {"type": "text"} for f in FIELDS}}
    client.indices.create(index="profiles", body={"mappings": mapping})
    for start in range(0, docs, 1000):
        body: list[dict[str, Any]] = []
        for i, source in enumerate(_profiles(min(1000, docs - start), seed + start)):
            body += [{"index": {"_index": "profiles", "_id": str(start + i)}}, source]
        client.bulk(body=body, refresh=True)


def _upload_model(client: Any, booster: xgb.Booster) -> None:
    """40 match features (4 fields, 8 three-term params) and the model over them."""
    features = [
        {
            "name": name,
            "params": [f"q{i % 8}"],
            "template": {"match": {FIELDS[i % 4]: f"{{{{q{i % 8}}}}}"}},
        }
        for i, name in enumerate(booster.feature_names or [])
    ]
    ltr = client.plugins.ltr
    ltr.create_default_store()
    ltr.create_featureset(id="bench", body={"featureset": {"features": features}})
    model = {"type": "model/xgboost+json", "definition": export.xgboost_json_definition(booster)}
    ltr.create_model_from_set(name="bench", body={"model": {"name": "bench", "model": model}})


def sltr_benchmark(
    booster: xgb.Booster, docs: int, window: int, repeat: int, seed: int
) -> dict[str, Any]:
    """Time ``sltr`` over a window on an in-memory index of ``docs`` profiles."""
    client = connect("embedded://:memory:")
    try:
        _index_profiles(client, docs, seed)
        _upload_model(client, booster)
        params = {f"q{i}": " ".join(VOCABULARY[i * 3 : i * 3 + 3]) for i in range(8)}
        query = {"sltr": {"model": "bench", "params": params}}
        connection = client.transport.get_connection()
        assert isinstance(connection, EmbeddedConnection)
        engine = connection.engine
        index = engine.indices["profiles"]
        ordinals = np.sort(np.random.default_rng(seed).choice(docs, size=window, replace=False))

        def rescore_window() -> np.ndarray:
            with engine.lock:
                ctx = SearchContext(engine, index)
                ctx.domain = ordinals
                return parse_query(query).run(ctx, scoring=True).score_array()[ordinals]

        latency = latency_stats(time_calls(rescore_window, repeat))
    finally:
        client.close()
    return {
        "docs": docs,
        "window": window,
        "features": len(booster.feature_names or []),
        "feature_queries": "match on 4 text fields, 3 terms each",
        "latency": latency,
        "target_p50_ms": 5.0,
    }


def run(
    docs: int, window: int, features: int, trees: int, depth: int, repeat: int, seed: int
) -> dict[str, Any]:
    booster = train_model(features, trees, depth, seed)
    return {
        "benchmark": "ltr",
        "trees": trees,
        "max_depth": depth,
        "model": model_benchmark(booster, window, repeat, seed),
        "sltr_window": sltr_benchmark(booster, docs, window, repeat, seed),
        "peak_rss_mb": peak_rss_mb(),
    }


@click.command(name="ltr")
@click.option("--docs", default=10_000, show_default=True, help="Documents in the index.")
@click.option("--window", default=200, show_default=True, help="Documents rescored.")
@click.option("--features", default=40, show_default=True, help="Features in the set.")
@click.option("--trees", default=300, show_default=True)
@click.option("--depth", default=6, show_default=True, help="Tree depth.")
@click.option("--repeat", default=200, show_default=True, help="Timed runs per measurement.")
@click.option("--seed", default=7, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(
    docs: int,
    window: int,
    features: int,
    trees: int,
    depth: int,
    repeat: int,
    seed: int,
    as_json: bool,
) -> None:
    """LTR model scoring of a rescore window: compiled trees vs XGBoost, and sltr end to end.

    \b
    Example:
      mutuo bench ltr --window 200 --features 40 --trees 300 --depth 6 --json
    """
    emit(run(docs, window, features, trees, depth, repeat, seed), as_json)
