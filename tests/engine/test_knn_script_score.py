"""``script_score`` with the k-NN plugin's ``knn_score`` script, and knn_vector mappings."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch, RequestError

from mutuo.engine.engine import Engine
from mutuo.engine.queries import parse_query
from mutuo.engine.search_context import SearchContext

VECTORS = [[1.0, 2.0, 3.0], [-1.0, 5.0, 2.0], [0.0, 0.0, 1.0], [4.0, -2.0, 1.0]]
QUERY = [0.5, 1.0, -1.0]
BYTE_QUERY = [2.0, 1.0, -1.0]


def _oracle(space: str, data_type: str = "float") -> list[float]:
    query = BYTE_QUERY if data_type == "byte" else QUERY
    m, q = np.asarray(VECTORS, dtype=np.float64), np.asarray(query, dtype=np.float64)
    if space == "l2":
        return list(1 / (1 + ((m - q) ** 2).sum(axis=1)))
    if space == "l1":
        return list(1 / (1 + np.abs(m - q).sum(axis=1)))
    if space == "linf":
        return list(1 / (1 + np.abs(m - q).max(axis=1)))
    if space == "innerproduct":
        ip = m @ q
        return list(np.where(ip >= 0, ip + 1, 1 / (1 - ip)))
    cos = (m @ q) / (np.linalg.norm(m, axis=1) * np.linalg.norm(q))
    return list(1 + cos) if data_type == "byte" else list(np.maximum((1 + cos) / 2, 0))


def _setup(client: OpenSearch, data_type: str = "float") -> None:
    # index.knn false: a "flat" field, usable by the score script only
    client.indices.create(
        index="people",
        body={
            "mappings": {
                "properties": {
                    "v": {"type": "knn_vector", "dimension": 3, "data_type": data_type},
                    "tag": {"type": "keyword"},
                }
            }
        },
    )
    for i, vec in enumerate(VECTORS):
        client.index(index="people", id=str(i), body={"v": vec, "tag": "t"})
    client.index(index="people", id="novector", body={"tag": "t"})
    client.indices.refresh(index="people")


def _script_query(space: str, **params: Any) -> dict[str, Any]:
    return {
        "script_score": {
            "query": {"term": {"tag": "t"}},
            "script": {
                "lang": "knn",
                "source": "knn_score",
                "params": {"field": "v", "query_value": QUERY, "space_type": space, **params},
            },
        }
    }


def _scores(client: OpenSearch, query: dict[str, Any]) -> dict[str, float]:
    hits = client.search(index="people", body={"size": 20, "query": query})["hits"]["hits"]
    return {h["_id"]: h["_score"] for h in hits}


@pytest.mark.parametrize("space", ["l2", "l1", "linf", "innerproduct", "cosinesimil"])
def test_knn_score_matches_the_formula_of_each_space(memory_client: OpenSearch, space: str) -> None:
    _setup(memory_client)
    scores = _scores(memory_client, _script_query(space))
    assert [scores[str(i)] for i in range(4)] == pytest.approx(_oracle(space), rel=1e-6)
    assert scores["novector"] == 0.0


def test_byte_vectors_score_cosine_as_one_plus_cos(memory_client: OpenSearch) -> None:
    _setup(memory_client, data_type="byte")
    query = _script_query("cosinesimil", query_value=BYTE_QUERY)
    scores = _scores(memory_client, query)
    expected = _oracle("cosinesimil", "byte")
    assert [scores[str(i)] for i in range(4)] == pytest.approx(expected, rel=1e-6)


def test_min_score_and_boost(memory_client: OpenSearch) -> None:
    _setup(memory_client)
    query = _script_query("l2")
    query["script_score"]["boost"] = 3.0
    query["script_score"]["min_score"] = 0.3
    expected = {str(i): 3 * s for i, s in enumerate(_oracle("l2")) if 3 * s >= 0.3}
    assert _scores(memory_client, query) == pytest.approx(expected, rel=1e-6)


def test_a_domain_limits_distance_computations_to_its_ordinals(client: OpenSearch) -> None:
    """A rescore window of two docs computes two distances; the others stay untouched."""
    _setup(client)
    engine: Engine = client.transport.get_connection().engine
    index = engine.indices["people"]
    ctx = SearchContext(engine, index)
    ctx.domain = np.array([1, 3])
    matches = parse_query(_script_query("l2")).run(ctx, scoring=True)
    scores = matches.score_array()
    assert scores[[1, 3]] == pytest.approx([_oracle("l2")[1], _oracle("l2")[3]], rel=1e-6)
    assert scores[[0, 2]].tolist() == [0.0, 0.0]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ({"lang": "painless", "source": "1.0"}, "script lang [painless] is not supported"),
        ({"lang": "knn", "source": "other"}, "Unknown script name other"),
        (
            {"lang": "knn", "source": "knn_score", "params": {"field": "v", "query_value": QUERY}},
            "Missing parameter [space_type]",
        ),
        (
            {
                "lang": "knn",
                "source": "knn_score",
                "params": {"field": "v", "query_value": QUERY, "space_type": "x"},
            },
            "Invalid space type. Please refer to the available space types.",
        ),
        (
            {
                "lang": "knn",
                "source": "knn_score",
                "params": {"field": "tag", "query_value": QUERY, "space_type": "l2"},
            },
            "Incompatible field_type for l2 space. The field type must be knn_vector.",
        ),
        (
            {
                "lang": "knn",
                "source": "knn_score",
                "params": {"field": "v", "query_value": [1.0], "space_type": "l2"},
            },
            "Object's length=1 does not match the expected length=3.",
        ),
    ],
)
def test_script_errors_are_shard_failures(
    memory_client: OpenSearch, script: dict[str, Any], message: str
) -> None:
    _setup(memory_client)
    query = {"script_score": {"query": {"match_all": {}}, "script": script}}
    with pytest.raises(RequestError) as info:
        memory_client.search(index="people", body={"query": query})
    assert info.value.error == "search_phase_execution_exception"
    assert message in str(info.value.info)


@pytest.mark.parametrize(
    ("field", "settings", "message"),
    [
        ({"dimension": 0}, {}, "Dimension value must be greater than 0 for vector: v"),
        ({}, {}, "Dimension value missing for vector: v"),
        (
            {"dimension": "abc"},
            {},
            "Unable to parse [dimension] from provided value [abc] for vector [v]",
        ),
        ({"dimension": 20000}, {}, "Dimension value cannot be greater than 16000"),
        ({"dimension": 3, "data_type": "half"}, {}, "Supported values are [binary,byte,float]"),
        (
            {"dimension": 3, "space_type": "dot"},
            {},
            "Unable to find space: dot . Valid values are:",
        ),
        (
            {"dimension": 3, "method": {"name": "hnsw", "engine": "nmslib"}},
            {"index.knn": True},
            "nmslib engine is deprecated in OpenSearch",
        ),
        (
            {"dimension": 3, "method": {"name": "hnsw", "engine": "faiss", "space_type": "l1"}},
            {"index.knn": True},
            '"hnsw" with "faiss" configuration does not support space type: "l1".',
        ),
        (
            {"dimension": 3, "method": {"name": "hnsw"}},
            {},
            "Cannot set modelId or method parameters when index.knn setting is false",
        ),
        (
            {"dimension": 3, "method": {"name": "foo"}},
            {"index.knn": True},
            "Invalid method name: foo",
        ),
        (
            {"dimension": 3, "method": {"name": "hnsw", "engine": "x"}},
            {"index.knn": True},
            "Invalid engine type: x",
        ),
        (
            {"dimension": 3, "method": {"name": "hnsw", "parameters": {"m": -1}}},
            {"index.knn": True},
            "parameter validation failed for Integer parameter [m].",
        ),
        (
            {"dimension": 3, "space_type": "linf"},
            {"index.knn": True},
            'does not support space type: "linf"',
        ),
    ],
)
def test_knn_vector_mapping_errors_follow_the_plugin(
    memory_client: OpenSearch, field: dict[str, Any], settings: dict[str, Any], message: str
) -> None:
    body = {
        "settings": settings,
        "mappings": {"properties": {"v": {"type": "knn_vector", **field}}},
    }
    with pytest.raises(RequestError) as info:
        memory_client.indices.create(index="people", body=body)
    assert message in str(info.value.info)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1.0, 2.0], "Vector dimension mismatch. Expected: 3, Given: 2"),
        ([0.0, 0.0, 0.0], "zero vector is not supported when space type is [cosinesimil]"),
    ],
)
def test_bad_vectors_are_refused_at_index_time(
    memory_client: OpenSearch, value: list[float], message: str
) -> None:
    memory_client.indices.create(
        index="people",
        body={
            "mappings": {
                "properties": {
                    "v": {"type": "knn_vector", "dimension": 3, "space_type": "cosinesimil"}
                }
            }
        },
    )
    with pytest.raises(RequestError) as info:
        memory_client.index(index="people", id="1", body={"v": value})
    assert info.value.error == "mapper_parsing_exception"
    assert message in str(info.value.info)
