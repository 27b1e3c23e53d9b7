"""Where an ``sltr`` rescore's time goes, measured in process on the engine's own objects.

For each viewer the window is the retrieval query's top ``window`` documents (what the
rescore sees); then, timed separately: parsing the ``sltr`` query and preparing its
features (model from the plugin's cache, templates rendered with the viewer's params and
parsed), computing each kind of feature over the window, and the model scoring the
matrix. Request handling (routing, JSON, the query phase, fetch) is the rest of
``search_with_rescore``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..engine.connection import EmbeddedConnection
from ..engine.ltr.vectors import compute_features
from ..engine.queries import parse_query
from ..engine.queries.sltr import StoredLtrQuery
from ..engine.search_context import SearchContext
from . import ltr_people


def feature_kind(feature: dict[str, Any]) -> str:
    if feature["template_language"] == "derived_expression":
        return "derived_expression"
    template = str(feature["template"])
    if "script_score" in template:
        return "knn_score"
    if "match" in template:
        return "match"
    return "field_value_factor" if "field_value_factor" in template else "decay"


def _window(ctx: SearchContext, params: dict[str, Any], size: int) -> np.ndarray:
    matches = parse_query(ltr_people.retrieval_query(params)).run(ctx, scoring=True)
    ordinals = np.flatnonzero(matches.mask & ctx.live)
    scores = matches.score_array()[ordinals]
    return np.sort(ordinals[np.lexsort((ordinals, -scores))][:size])


def breakdown(
    client: Any, index: str, model: str, window: int, repeat: int, seed: int
) -> dict[str, float]:
    """p50 milliseconds of each part of an in-process ``sltr`` window."""
    connection = client.transport.get_connection()
    assert isinstance(connection, EmbeddedConnection)
    engine = connection.engine
    kinds = [feature_kind(f) for f in ltr_people.features()]
    samples: dict[str, list[float]] = {}
    rng = np.random.default_rng(seed)

    def timed(part: str, started: float) -> float:
        now = time.perf_counter()
        samples.setdefault(part, []).append((now - started) * 1000)
        return now

    for _ in range(repeat):
        params = ltr_people.viewer_params(rng)
        with engine.lock:
            ctx = SearchContext(engine, engine.indices[index])
            ordinals = _window(ctx, params, window)
            started = time.perf_counter()
            query = parse_query({"sltr": {"model": model, "params": params}})
            assert isinstance(query, StoredLtrQuery)
            compiled, prepared = query.prepare(ctx)
            clock = timed("parse_and_prepare_features", started)
            for kind in sorted(set(kinds)):
                only = [p if k == kind else None for p, k in zip(prepared, kinds, strict=True)]
                compute_features(ctx, ordinals, only, compiled.missing_value)
                clock = timed(f"features_{kind}", clock)
            matrix = compute_features(ctx, ordinals, prepared, compiled.missing_value)
            clock = timed("features_all", clock)
            compiled.score(matrix.values)
            timed("model", clock)
    return {part: round(float(np.percentile(values, 50)), 3) for part, values in samples.items()}
