"""Features computed together by kind give exactly what each query gives on its own.

``compute_features`` runs ``function_score`` (``field_value_factor``, decays), ``match``
and ``knn_score`` features of a window together (:mod:`mutuo.engine.ltr.grouped`); the reference here is the general
path written out: every feature query's own ``run_window``. Over random feature sets
(modifiers, missing values, boosts, ``_name``, inactive features, errors) and windows
(deleted documents included), the matrices must be bit-identical (same float32 values,
same matched cells) and a feature that fails must fail with the same error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutuo.engine.connection import EmbeddedConnection
from mutuo.engine.engine import Engine
from mutuo.engine.errors import OpenSearchError
from mutuo.engine.ltr.features import Prepared
from mutuo.engine.ltr.vectors import FeatureMatrix, compute_features
from mutuo.engine.queries import Query, parse_query
from mutuo.engine.search_context import SearchContext

WORDS = [f"w{i}" for i in range(12)]
DOCS = 120
MAPPING = {
    "properties": {
        "t1": {"type": "text"},
        "t2": {"type": "text"},
        "k": {"type": "keyword"},
        "a": {"type": "float"},
        "b": {"type": "float"},
        "c": {"type": "integer"},
        "v4": {"type": "knn_vector", "dimension": 4, "space_type": "cosinesimil"},
        "v3": {"type": "knn_vector", "dimension": 3, "space_type": "l2"},
        "d": {"type": "date"},
        "loc": {"type": "geo_point"},
    }
}


def _document(rng: np.random.Generator) -> dict[str, Any]:
    doc: dict[str, Any] = {"k": str(rng.choice(["x", "y"]))}
    for field in ("t1", "t2"):
        if rng.random() < 0.85:
            doc[field] = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 15))))
    for field in ("a", "b"):
        if rng.random() < 0.8:  # members without the signal
            doc[field] = round(float(rng.gamma(2.0, 3.0)), 3)
    doc["c"] = int(rng.integers(0, 40))
    if rng.random() < 0.8:
        doc["v4"] = [float(v) for v in rng.normal(size=4)]
    if rng.random() < 0.6:
        doc["v3"] = [float(v) for v in rng.normal(size=3)]
    if rng.random() < 0.8:
        doc["d"] = int(rng.integers(0, 30)) * 86_400_000
    if rng.random() < 0.8:
        doc["loc"] = {"lat": float(rng.uniform(40, 41)), "lon": float(rng.uniform(-74, -73))}
    return doc


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    from mutuo.client import connect

    client = connect("embedded://:memory:")
    client.indices.create(index="docs", body={"mappings": MAPPING})
    rng = np.random.default_rng(5)
    body: list[dict[str, Any]] = []
    for i in range(DOCS):
        body += [{"index": {"_index": "docs", "_id": str(i)}}, _document(rng)]
    client.bulk(body=body, refresh=True)
    for i in range(0, DOCS, 13):
        client.delete(index="docs", id=str(i), refresh=True)
    connection = client.transport.get_connection()
    assert isinstance(connection, EmbeddedConnection)
    yield connection.engine
    client.close()


def _named(body: dict[str, Any], name: bool) -> dict[str, Any]:
    if name:
        (kind, spec), *_ = body.items()
        if kind == "match":
            (field, value), *_ = spec.items()
            spec[field] = {**value, "_name": "n"} if isinstance(value, dict) else value
        else:
            spec["_name"] = "n"
    return body


@st.composite
def field_value_factors(draw: st.DrawFn) -> dict[str, Any]:
    function: dict[str, Any] = {
        "field": draw(st.sampled_from(["a", "b", "c", "t1", "nope"])),
        "modifier": draw(st.sampled_from(["none", "log", "log1p", "ln", "ln2p", "sqrt", "square"])),
        "factor": draw(st.sampled_from([1.0, 0.5, 3.0, -1.0])),
    }
    missing = draw(st.sampled_from([None, 0.0, 1.5]))
    if missing is not None:
        function["missing"] = missing
    body: dict[str, Any] = {"field_value_factor": function}
    body["boost_mode"] = draw(st.sampled_from(["replace", "multiply", "sum"]))
    body["score_mode"] = draw(st.sampled_from(["multiply", "first", "sum", "max"]))
    for key, values in (("weight", [2.0, 0.3]), ("boost", [2.5]), ("max_boost", [4.0])):
        if draw(st.booleans()):
            body[key] = draw(st.sampled_from(values))
    return _named({"function_score": body}, draw(st.integers(0, 5)) == 0)


@st.composite
def decays(draw: st.DrawFn) -> dict[str, Any]:
    field, spec = draw(
        st.sampled_from(
            [
                ("a", {"origin": 5, "scale": 3}),
                ("c", {"origin": 20, "scale": 10, "offset": 2, "decay": 0.3}),
                ("d", {"origin": 864_000_000, "scale": "3d"}),
                ("loc", {"origin": "40.5,-73.5", "scale": "20km"}),
                ("k", {"origin": 1, "scale": 1}),  # not numeric: an error
                ("a", {"origin": 5, "scale": -1}),  # an error
            ]
        )
    )
    kind = draw(st.sampled_from(["gauss", "exp", "linear"]))
    body: dict[str, Any] = {kind: {field: dict(spec)}}
    body["boost_mode"] = draw(st.sampled_from(["replace", "multiply", "max"]))
    if draw(st.booleans()):
        body["weight"] = 3.0
    return _named({"function_score": body}, draw(st.integers(0, 5)) == 0)


@st.composite
def matches(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(["t1", "t1", "t2", "k", "nope"]))
    text = " ".join(draw(st.lists(st.sampled_from([*WORDS, "zz"]), min_size=0, max_size=4)))
    spec: dict[str, Any] = {"query": text}
    if draw(st.booleans()):
        spec["operator"] = draw(st.sampled_from(["or", "and"]))
    if draw(st.booleans()):
        spec["minimum_should_match"] = draw(st.sampled_from([2, "75%"]))
    if draw(st.booleans()):
        spec["boost"] = draw(st.sampled_from([2.0, 0.7]))
    return _named({"match": {field: spec}}, draw(st.integers(0, 5)) == 0)


@st.composite
def knn_scores(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(["v4", "v4", "v3", "nope"]))
    dimension = draw(st.sampled_from([4, 3])) if draw(st.integers(0, 6)) == 0 else None
    size = dimension or (3 if field == "v3" else 4)
    vector = draw(st.lists(st.floats(-2, 2, width=32), min_size=size, max_size=size))
    space = draw(st.sampled_from(["cosinesimil", "l2", "innerproduct", "l1"]))
    params = {"field": field, "query_value": vector, "space_type": space}
    inner = draw(st.sampled_from([{"match_all": {}}, {"term": {"k": "x"}}]))
    body: dict[str, Any] = {
        "query": inner,
        "script": {"source": "knn_score", "lang": "knn", "params": params},
    }
    if draw(st.booleans()):
        body["boost"] = 1.5
    return _named({"script_score": body}, draw(st.integers(0, 5)) == 0)


FEATURES = st.lists(
    st.one_of(field_value_factors(), decays(), matches(), knn_scores(), st.none()),
    min_size=1,
    max_size=8,
)


def reference(
    ctx: SearchContext, ordinals: np.ndarray, prepared: list[Prepared], missing: float, boost: float
) -> FeatureMatrix:
    """The general path: each feature query's own ``run_window``, column by column."""
    values = np.full((len(ordinals), len(prepared)), missing, dtype=np.float32)
    matched = np.zeros((len(ordinals), len(prepared)), dtype=bool)
    for column, query in enumerate(prepared):
        if query is None:
            continue
        assert isinstance(query, Query)
        result = query.run_window(ctx, ordinals, scoring=True)
        scores = result.score_array().astype(np.float32) * np.float32(boost)
        values[result.mask, column] = scores[result.mask]
        matched[:, column] = result.mask
    return FeatureMatrix(values, matched)


def _outcome(compute: Any) -> FeatureMatrix | tuple[type, str]:
    try:
        matrix: FeatureMatrix = compute()
        return matrix
    except OpenSearchError as exc:
        return type(exc), str(exc)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    features=FEATURES,
    window=st.lists(st.integers(0, DOCS - 1), min_size=1, max_size=60, unique=True),
    missing=st.sampled_from([float("nan"), 0.0]),
    boost=st.sampled_from([1.0, 0.5]),
)
def test_grouped_features_are_bit_identical_to_each_query_run_alone(
    engine: Engine,
    features: list[dict[str, Any] | None],
    window: list[int],
    missing: float,
    boost: float,
) -> None:
    prepared: list[Prepared] = [None if f is None else parse_query(f) for f in features]
    ordinals = np.array(window, dtype=np.int64)
    index = engine.indices["docs"]
    expected = _outcome(
        lambda: reference(SearchContext(engine, index), ordinals, prepared, missing, boost)
    )
    got = _outcome(
        lambda: compute_features(SearchContext(engine, index), ordinals, prepared, missing, boost)
    )
    if isinstance(expected, tuple):
        assert got == expected
        return
    assert isinstance(got, FeatureMatrix)
    np.testing.assert_array_equal(got.matched, expected.matched)
    assert got.values.dtype == np.float32
    assert got.values.tobytes() == expected.values.tobytes()  # bit for bit, NaN included


def test_recognised_shapes_run_together_and_named_or_unknown_ones_alone(engine: Engine) -> None:
    from mutuo.engine.ltr.grouped import grouped_windows

    knn = {"field": "v4", "query_value": [1, 0, 0, 0], "space_type": "cosinesimil"}
    script = {"source": "knn_score", "lang": "knn", "params": knn}
    bodies: list[dict[str, Any]] = [
        {"function_score": {"field_value_factor": {"field": "a", "missing": 0}}},
        {"function_score": {"gauss": {"a": {"origin": 1, "scale": 2}}}},
        {"match": {"t1": "w1 w2"}},
        {"match": {"t1": "w3"}},
        {"script_score": {"query": {"match_all": {}}, "script": script}},
        {"match": {"t1": {"query": "w1", "_name": "named"}}},
        {"term": {"k": "x"}},
        {"match": {"k": "x"}},  # a keyword field: the term-query path
    ]
    prepared: list[Prepared] = [parse_query(b) for b in bodies]
    ctx = SearchContext(engine, engine.indices["docs"])
    blocks = grouped_windows(ctx, np.arange(20), prepared)
    assert sorted(c for block in blocks for c in block.columns) == [0, 1, 2, 3, 4]
