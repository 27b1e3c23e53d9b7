"""Exact k-NN values computed once per request: two ``knn`` clauses with one vector on one
field (the recommend template's main and reserved sources) read the same values back, and
what they read back is what faiss computes afresh."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch

from mutuo.engine.connection import EmbeddedConnection
from mutuo.engine.engine import Engine
from mutuo.engine.queries.knn import Knn
from mutuo.engine.vectors import FieldGraph, graphs_of

DIM = 16
N = 400


def _engine(client: OpenSearch) -> Engine:
    connections = client.transport.connection_pool.connections
    return next(c for c in connections if isinstance(c, EmbeddedConnection)).engine


def _create(client: OpenSearch, space: str) -> np.ndarray:
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(N, DIM)).astype(np.float32)
    properties = {
        "v": {"type": "knn_vector", "dimension": DIM, "space_type": space},
        "group": {"type": "keyword"},
        "lifted": {"type": "boolean"},
    }
    client.indices.create(
        index="people",
        body={"settings": {"index.knn": True}, "mappings": {"properties": properties}},
    )
    body: list[dict[str, Any]] = []
    for i, vec in enumerate(vectors):
        doc = {"v": vec.tolist(), "group": "a" if i % 3 else "b", "lifted": i % 4 == 0}
        body += [{"index": {"_index": "people", "_id": str(i)}}, doc]
    client.bulk(body=body, refresh=True)
    return vectors


def _two_sources(query: list[float]) -> dict[str, Any]:
    """A main source and a reserved one whose filter holds the main filter (a subset)."""
    main = {"term": {"group": "a"}}
    reserved = {"bool": {"filter": [{"term": {"lifted": True}}, main]}}
    return {
        "size": 60,
        "_source": False,
        "query": {
            "bool": {
                "should": [
                    {"knn": {"v": {"vector": query, "k": 40, "filter": main}}},
                    {"knn": {"v": {"vector": query, "k": 15, "filter": reserved}}},
                ]
            }
        },
    }


def _hits(client: OpenSearch, body: dict[str, Any]) -> list[tuple[str, float]]:
    return [
        (h["_id"], h["_score"]) for h in client.search(index="people", body=body)["hits"]["hits"]
    ]


def _uncached(self: Knn, ctx: Any, path: str, graph: FieldGraph, ords: np.ndarray) -> np.ndarray:
    return graph.exact_raw(self._prepared(graph), ords)


@pytest.mark.parametrize("space", ["l2", "cosinesimil", "innerproduct"])
def test_two_sources_on_one_vector_score_as_without_the_cache(
    memory_client: OpenSearch, space: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    vectors = _create(memory_client, space)
    body = _two_sources((vectors[5] + 0.1).tolist())
    calls: list[int] = []
    fresh = FieldGraph.exact_raw

    def counted(graph: FieldGraph, prepared: np.ndarray, ordinals: np.ndarray) -> np.ndarray:
        calls.append(len(ordinals))
        return fresh(graph, prepared, ordinals)

    monkeypatch.setattr(FieldGraph, "exact_raw", counted)
    cached = _hits(memory_client, body)
    # the reserved source's documents are among the main source's: nothing left to compute
    assert calls == [len([i for i in range(N) if i % 3])]
    monkeypatch.setattr(Knn, "_exact_raw", _uncached)
    assert cached == _hits(memory_client, body)
    assert len(cached) >= 40  # the main source's k, and the reserved one's that are not in it


def test_values_read_back_equal_values_computed_afresh(memory_client: OpenSearch) -> None:
    vectors = _create(memory_client, "cosinesimil")
    _hits(memory_client, _two_sources(vectors[0].tolist()))  # builds the graph
    engine = _engine(memory_client)
    index = engine.indices["people"]
    graph = graphs_of(engine).for_index(index).graph("v")  # type: ignore[union-attr]
    assert graph is not None
    prepared = graph.prepare(vectors[7] * 3)
    everything = graph.exact_raw(prepared, np.arange(N, dtype=np.int64))
    rng = np.random.default_rng(2)
    for size in (1, 3, 4, 5, 17, 64, 399):
        subset = rng.choice(N, size=size, replace=False)  # any order, any length
        assert np.array_equal(graph.exact_raw(prepared, subset), everything[subset])
