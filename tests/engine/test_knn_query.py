"""The ``knn`` query against a numpy brute force, per space type, with and without filters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch, RequestError

DIM = 8


def _oracle_scores(space: str, matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The plugin's score formulas, written independently of the engine (float64)."""
    m, q = matrix.astype(np.float64), query.astype(np.float64)
    if space == "l2":
        return 1 / (1 + ((m - q) ** 2).sum(axis=1))
    if space == "cosinesimil":
        cos = (m @ q) / (np.linalg.norm(m, axis=1) * np.linalg.norm(q))
        return np.maximum((1 + cos) / 2, 0)
    ip = m @ q
    return np.where(ip >= 0, ip + 1, 1 / (1 - ip))


def _create(client: OpenSearch, space: str, n: int, seed: int = 3, knn: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, DIM)).astype(np.float32)
    client.indices.create(
        index="people",
        body={
            "settings": {"index.knn": knn},
            "mappings": {
                "properties": {
                    "v": {"type": "knn_vector", "dimension": DIM, "space_type": space},
                    "group": {"type": "keyword"},
                    "third": {"type": "keyword"},
                }
            },
        },
    )
    body: list[dict[str, Any]] = []
    for i, vec in enumerate(vectors):
        body.append({"index": {"_index": "people", "_id": str(i)}})
        group = "even" if i % 2 == 0 else "odd"
        body.append({"v": vec.tolist(), "group": group, "third": "x" if i % 3 == 0 else "y"})
    client.bulk(body=body, refresh=True)
    return vectors


def _search(client: OpenSearch, knn: dict[str, Any], size: int = 10, **extra: Any) -> list[Any]:
    body = {"size": size, "query": {"knn": {"v": knn}}, "_source": False, **extra}
    hits = client.search(index="people", body=body)["hits"]["hits"]
    return [(int(h["_id"]), h["_score"]) for h in hits]


@pytest.mark.parametrize("space", ["l2", "cosinesimil", "innerproduct"])
def test_filtered_exact_search_equals_numpy_brute_force(
    memory_client: OpenSearch, space: str
) -> None:
    vectors = _create(memory_client, space, 120)
    query = np.random.default_rng(9).normal(size=DIM).astype(np.float32)
    # a filter keeping 60 docs: C x dim <= 2,048,000, so the plugin searches exactly
    got = _search(
        memory_client, {"vector": query.tolist(), "k": 7, "filter": {"term": {"group": "even"}}}
    )
    even = np.arange(0, 120, 2)
    expected = _oracle_scores(space, vectors[even], query)
    order = np.argsort(-expected, kind="stable")[:7]
    assert [doc for doc, _ in got] == even[order].tolist()
    assert [s for _, s in got] == pytest.approx(expected[order].tolist(), rel=1e-5)


@pytest.mark.parametrize("space", ["l2", "cosinesimil", "innerproduct"])
def test_unfiltered_hnsw_scores_use_the_space_formula(
    memory_client: OpenSearch, space: str
) -> None:
    vectors = _create(memory_client, space, 200)
    query = vectors[17] + 0.01
    got = _search(memory_client, {"vector": query.tolist(), "k": 5}, size=5)
    expected = _oracle_scores(space, vectors, query)
    for doc, score in got:
        assert score == pytest.approx(expected[doc], rel=1e-5)
    assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)


def test_result_has_at_most_k_hits_and_size_still_truncates(memory_client: OpenSearch) -> None:
    _create(memory_client, "l2", 50)
    body = {"query": {"knn": {"v": {"vector": [0.0] * DIM, "k": 20}}}}
    result = memory_client.search(index="people", body=body)
    assert result["hits"]["total"]["value"] == 20
    assert len(result["hits"]["hits"]) == 10
    result = memory_client.search(index="people", body={**body, "size": 100})
    assert len(result["hits"]["hits"]) == 20


def test_filtered_query_returns_exactly_the_top_k_of_the_filtered_set(
    memory_client: OpenSearch,
) -> None:
    vectors = _create(memory_client, "l2", 400)
    query = np.zeros(DIM, dtype=np.float32)
    # 266 of 400 docs pass: HNSW with the filter as selector (266 x 8 is small, so force it with
    # the threshold setting), exact fallback if the graph yields fewer than k
    memory_client.indices.put_settings(
        index="people", body={"index.knn.advanced.filtered_exact_search_threshold": 10}
    )
    knn = {"vector": query.tolist(), "k": 10, "filter": {"term": {"third": "y"}}}
    got = _search(memory_client, knn)
    pool = np.array([i for i in range(400) if i % 3 != 0])
    expected = _oracle_scores("l2", vectors[pool], query)
    top = pool[np.argsort(-expected, kind="stable")[:10]]
    assert all(doc % 3 != 0 for doc, _ in got)
    assert len(got) == 10
    assert len(set(doc for doc, _ in got) & set(top.tolist())) >= 9  # HNSW recall, not formula


def test_knn_inside_bool_is_post_filtered(memory_client: OpenSearch) -> None:
    vectors = _create(memory_client, "l2", 100)
    query = vectors[0]
    top10 = [doc for doc, _ in _search(memory_client, {"vector": query.tolist(), "k": 10})]
    body = {
        "size": 20,
        "query": {
            "bool": {
                "must": [{"knn": {"v": {"vector": query.tolist(), "k": 10}}}],
                "filter": [{"term": {"group": "odd"}}],
            }
        },
    }
    hits = memory_client.search(index="people", body=body)["hits"]["hits"]
    assert [int(h["_id"]) for h in hits] == [d for d in top10 if d % 2 == 1]


def test_radial_search_returns_every_vector_within_the_distance(memory_client: OpenSearch) -> None:
    vectors = _create(memory_client, "l2", 150)
    query = vectors[3]
    distances = ((vectors.astype(np.float64) - query) ** 2).sum(axis=1)
    got = _search(memory_client, {"vector": query.tolist(), "max_distance": 6.0}, size=200)
    assert sorted(doc for doc, _ in got) == np.flatnonzero(distances <= 6.0).tolist()
    got = _search(memory_client, {"vector": query.tolist(), "min_score": 0.2}, size=200)
    assert sorted(doc for doc, _ in got) == np.flatnonzero(1 / (1 + distances) >= 0.2).tolist()


def test_boost_and_name_apply(memory_client: OpenSearch) -> None:
    vectors = _create(memory_client, "l2", 30)
    plain = _search(memory_client, {"vector": vectors[1].tolist(), "k": 3})
    boosted = memory_client.search(
        index="people",
        body={
            "query": {
                "knn": {"v": {"vector": vectors[1].tolist(), "k": 3, "boost": 2.0, "_name": "vec"}}
            }
        },
    )["hits"]["hits"]
    assert [h["_score"] for h in boosted] == pytest.approx([2 * s for _, s in plain])


def test_deleted_and_updated_docs_never_come_back(memory_client: OpenSearch) -> None:
    vectors = _create(memory_client, "l2", 60)
    query = vectors[5]
    memory_client.delete(index="people", id="5", refresh=True)
    memory_client.index(
        index="people", id="6", body={"v": (vectors[6] + 100).tolist()}, refresh=True
    )
    got = [doc for doc, _ in _search(memory_client, {"vector": query.tolist(), "k": 10})]
    assert 5 not in got and 6 not in got
    assert len(got) == 10


@pytest.mark.parametrize(
    ("knn", "message"),
    [
        ({"vector": [1.0] * DIM}, "requires exactly one of k, distance or score to be set"),
        ({"vector": [1.0] * DIM, "k": 2, "min_score": 0.5}, "requires exactly one of k"),
        ({"vector": [1.0] * DIM, "k": 10001}, "requires k to be in the range (0, 10000]"),
        ({"vector": [], "k": 2}, "field 'vector' requires to be non-null and non-empty"),
        (
            {"vector": [1.0] * DIM, "k": 2, "method_parameters": {"ef_search": 0}},
            "ef_search should be greater than 0",
        ),
        (
            {"vector": [1.0] * DIM, "k": 2, "method_parameters": {"foo": 1}},
            "unknown method parameter found [foo]",
        ),
        (
            {"vector": [1.0, 2.0], "k": 2},
            "Query vector has invalid dimension: 2. Dimension should be: 8",
        ),
    ],
)
def test_invalid_knn_queries_get_the_plugins_errors(
    memory_client: OpenSearch, knn: dict[str, Any], message: str
) -> None:
    _create(memory_client, "l2", 5)
    with pytest.raises(RequestError) as info:
        _search(memory_client, knn)
    assert message in str(info.value.info)


def test_knn_on_a_non_vector_field_is_a_shard_failure(memory_client: OpenSearch) -> None:
    _create(memory_client, "l2", 5)
    with pytest.raises(RequestError) as info:
        memory_client.search(
            index="people", body={"query": {"knn": {"group": {"vector": [1.0], "k": 1}}}}
        )
    assert info.value.error == "search_phase_execution_exception"
    assert "Field 'group' is not knn_vector type." in str(info.value.info)


def test_knn_without_index_knn_is_not_built_for_ann(memory_client: OpenSearch) -> None:
    _create(memory_client, "l2", 5, knn=False)
    with pytest.raises(RequestError) as info:
        _search(memory_client, {"vector": [1.0] * DIM, "k": 1})
    assert "Field 'v' is not built for ANN search." in str(info.value.info)


def test_explain_names_the_search_that_ran(memory_client: OpenSearch) -> None:
    vectors = _create(memory_client, "l2", 40)
    knn = {"vector": vectors[4].tolist(), "k": 3}
    hit = memory_client.search(
        index="people", body={"explain": True, "size": 1, "query": {"knn": {"v": knn}}}
    )["hits"]["hits"][0]
    explanation = hit["_explanation"]
    assert explanation["description"] == "the type of knn search executed was Approximate-NN"
    leaf = explanation["details"][0]
    assert leaf["description"].startswith(
        "the type of knn search executed at leaf was Approximate-NN with vectorDataType = FLOAT, "
        "spaceType = l2 where score is computed as `1 / (1 + rawScore)`"
    )
    assert leaf["details"][0]["value"] == pytest.approx(0.0, abs=1e-6)  # its own vector
    filtered = {**knn, "filter": {"term": {"group": "even"}}}
    hit = memory_client.search(
        index="people", body={"explain": True, "size": 1, "query": {"knn": {"v": filtered}}}
    )["hits"]["hits"][0]
    assert (
        "at leaf was Exact since max distance computation = 2048000"
        in hit["_explanation"]["details"][0]["description"]
    )
