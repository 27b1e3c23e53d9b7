"""HNSW graphs: recall against exact search, incremental maintenance, persistence."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch

import mutuo
from mutuo.engine.engine import Engine
from mutuo.engine.vectors import FieldGraph, graphs_of

DIM = 16


def _engine(client: OpenSearch) -> Engine:
    engine: Engine = client.transport.get_connection().engine
    return engine


def _graph(client: OpenSearch, index: str = "people") -> FieldGraph:
    """The field's graph, built by a first knn query if none was built or loaded yet."""
    engine = _engine(client)
    state = graphs_of(engine).for_index(engine.indices[index])
    assert state is not None
    if state.graph("v") is None:
        _knn_ids(client, np.ones(DIM, dtype=np.float32), k=1)
    graph = state.graph("v")
    assert graph is not None
    return graph


def _clustered(n: int, seed: int) -> np.ndarray:
    """Normalised Gaussian clusters: a structure where recall is meaningful."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(20, DIM))
    points = centers[rng.integers(0, 20, size=n)] + 0.3 * rng.normal(size=(n, DIM))
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def _index_docs(client: OpenSearch, vectors: np.ndarray, start: int = 0, **extra: Any) -> None:
    body: list[dict[str, Any]] = []
    for i, vec in enumerate(vectors, start):
        body.append({"index": {"_index": "people", "_id": str(i)}})
        body.append({"v": vec.tolist(), "likes": 0, **extra})
    client.bulk(body=body, refresh=True)


def _create(client: OpenSearch, space: str = "cosinesimil") -> None:
    client.indices.create(
        index="people",
        body={
            "settings": {"index.knn": True},
            "mappings": {
                "properties": {
                    "v": {"type": "knn_vector", "dimension": DIM, "space_type": space},
                    "likes": {"type": "integer"},
                }
            },
        },
    )


def _knn_ids(client: OpenSearch, query: np.ndarray, k: int = 10) -> list[int]:
    body = {
        "size": k,
        "_source": False,
        "query": {"knn": {"v": {"vector": query.tolist(), "k": k}}},
    }
    return [int(h["_id"]) for h in client.search(index="people", body=body)["hits"]["hits"]]


def test_hnsw_recall_at_10_against_exact_search(memory_client: OpenSearch) -> None:
    vectors = _clustered(3000, seed=1)
    _create(memory_client)
    _index_docs(memory_client, vectors)
    queries = _clustered(40, seed=2)
    recalls = []
    for query in queries:
        exact = np.argsort(-(vectors @ query), kind="stable")[:10]
        recalls.append(len(set(_knn_ids(memory_client, query)) & set(exact.tolist())) / 10)
    assert float(np.mean(recalls)) >= 0.95


def test_update_with_an_unchanged_vector_reuses_its_graph_entry(memory_client: OpenSearch) -> None:
    vectors = _clustered(100, seed=3)
    _create(memory_client)
    _index_docs(memory_client, vectors)
    graph = _graph(memory_client)
    assert (graph.ntotal, graph.dead) == (100, 0)
    memory_client.update(index="people", id="7", body={"doc": {"likes": 3}}, refresh=True)
    assert (graph.ntotal, graph.dead) == (100, 0)
    memory_client.update(
        index="people", id="8", body={"doc": {"v": vectors[9].tolist()}}, refresh=True
    )
    assert (graph.ntotal, graph.dead) == (101, 1)
    assert _knn_ids(memory_client, vectors[7], k=1) == [7]
    assert set(_knn_ids(memory_client, vectors[9], k=2)) == {8, 9}


def test_merge_renumbers_ordinals_without_touching_the_graph(memory_client: OpenSearch) -> None:
    vectors = _clustered(1000, seed=4)
    _create(memory_client)
    _index_docs(memory_client, vectors)
    graph = _graph(memory_client)
    engine = _engine(memory_client)
    shard = engine.indices["people"].shard
    body: list[dict[str, Any]] = []
    for i in range(700):  # counters change, vectors do not: the shard merges, the graph stays
        body.append({"update": {"_index": "people", "_id": str(i)}})
        body.append({"doc": {"likes": i}})
    memory_client.bulk(body=body, refresh=True)
    assert shard.num_deleted == 0 and shard.maxdoc == 1000  # compacted
    assert (graph.ntotal, graph.dead) == (1000, 0)
    for doc in (0, 500, 999):
        assert _knn_ids(memory_client, vectors[doc], k=1) == [doc]


def test_many_dead_entries_rebuild_the_graph_at_merge(memory_client: OpenSearch) -> None:
    vectors = _clustered(1000, seed=5)
    _create(memory_client)
    _index_docs(memory_client, vectors)
    body = [{"delete": {"_index": "people", "_id": str(i)}} for i in range(600)]
    memory_client.bulk(body=body, refresh=True)
    graph = _graph(memory_client)
    assert (graph.ntotal, graph.dead) == (400, 0)
    assert _knn_ids(memory_client, vectors[650], k=1) == [650]
    assert all(doc >= 600 for doc in _knn_ids(memory_client, vectors[10], k=10))


def test_reopening_loads_the_saved_graph_instead_of_rebuilding(engine_path: str) -> None:
    vectors = _clustered(500, seed=6)
    client = mutuo.connect(f"embedded://{engine_path}")
    _create(client)
    _index_docs(client, vectors)
    _graph(client)  # a first knn query builds the graph
    client.close()
    saved = sorted(p.name for p in Path(engine_path, "vectors").rglob("*.faiss"))
    client = mutuo.connect(f"embedded://{engine_path}")
    graph = _graph(client)
    assert (graph.ntotal, graph.dead, graph.changes) == (500, 0, 0)
    assert _knn_ids(client, vectors[42], k=1) == [42]
    _index_docs(client, _clustered(5, seed=7), start=500)
    assert graph.ntotal == 505  # new documents join the loaded graph
    client.close()
    assert sorted(p.name for p in Path(engine_path, "vectors").rglob("*.faiss")) != saved


def test_a_stale_saved_graph_is_mapped_by_sequence_number(engine_path: str) -> None:
    """After a crash the last saved graph is older than the documents: it is caught up."""
    vectors = _clustered(200, seed=8)
    client = mutuo.connect(f"embedded://{engine_path}")
    _create(client)
    _index_docs(client, vectors)
    _graph(client)  # a first knn query builds the graph
    engine = _engine(client)
    graphs_of(engine).save(graphs_of(engine).for_index(engine.indices["people"]))  # type: ignore[arg-type]
    stale = Path(engine_path).parent / "stale-vectors"
    shutil.copytree(Path(engine_path, "vectors"), stale)
    client.delete(index="people", id="3", refresh=True)
    client.update(index="people", id="4", body={"doc": {"v": vectors[150].tolist()}}, refresh=True)
    client.update(index="people", id="5", body={"doc": {"likes": 9}}, refresh=True)
    client.close()
    shutil.rmtree(Path(engine_path, "vectors"))
    shutil.copytree(stale, Path(engine_path, "vectors"))  # the state at the "crash"
    client = mutuo.connect(f"embedded://{engine_path}")
    graph = _graph(client)
    # the saved 200, plus the versions of docs 4 and 5 written after the save (the saved
    # entries know sequence numbers, not ids, so doc 5's unchanged vector is added again)
    assert graph.ntotal == 202
    assert graph.dead == 3  # doc 3 deleted; the old versions of docs 4 and 5
    assert 3 not in _knn_ids(client, vectors[3], k=5)
    assert set(_knn_ids(client, vectors[150], k=2)) == {4, 150}
    assert _knn_ids(client, vectors[5], k=1) == [5]
    client.close()


@pytest.mark.parametrize("space", ["l2", "innerproduct"])
def test_graph_spaces_use_the_right_faiss_metric(memory_client: OpenSearch, space: str) -> None:
    vectors = _clustered(300, seed=10) * 3
    _create(memory_client, space)
    _index_docs(memory_client, vectors)
    query = vectors[11]
    if space == "l2":
        exact = np.argsort(((vectors - query) ** 2).sum(axis=1), kind="stable")[:5]
    else:
        exact = np.argsort(-(vectors @ query), kind="stable")[:5]
    assert len(set(_knn_ids(memory_client, query, k=5)) & set(exact.tolist())) >= 4


def test_deleting_an_index_removes_its_saved_graphs(engine_path: str) -> None:
    client = mutuo.connect(f"embedded://{engine_path}")
    _create(client)
    _index_docs(client, _clustered(20, seed=11))
    _graph(client)  # a first knn query builds the graph
    engine = _engine(client)
    uuid = engine.indices["people"].uuid
    graphs_of(engine).save(graphs_of(engine).for_index(engine.indices["people"]))  # type: ignore[arg-type]
    assert Path(engine_path, "vectors", uuid).exists()
    client.indices.delete(index="people")
    assert not Path(engine_path, "vectors", uuid).exists()
    client.close()


def test_reload_saves_then_reloads_the_graphs(engine_path: str) -> None:
    vectors = _clustered(100, seed=12)
    client = mutuo.connect(f"embedded://{engine_path}")
    _create(client)
    _index_docs(client, vectors)
    _graph(client)  # a first knn query builds the graph
    _engine(client).reload()
    graph = _graph(client)
    assert (graph.ntotal, graph.dead, graph.changes) == (100, 0, 0)
    assert _knn_ids(client, vectors[9], k=1) == [9]
    client.close()


def test_a_field_gets_its_graph_at_the_first_knn_query_not_at_indexing(
    memory_client: OpenSearch,
) -> None:
    vectors = _clustered(200, seed=13)
    _create(memory_client)
    _index_docs(memory_client, vectors)
    engine = _engine(memory_client)
    state = graphs_of(engine).for_index(engine.indices["people"])
    assert state is not None and state.graph("v") is None
    moved = _clustered(50, seed=14)
    _index_docs(memory_client, moved)  # 50 vectors rewritten: nothing to maintain yet
    assert state.graph("v") is None
    assert _knn_ids(memory_client, moved[7], k=1) == [7]
    graph = state.graph("v")
    assert graph is not None and (graph.ntotal, graph.dead) == (200, 0)


def test_a_field_only_scored_exactly_never_gets_a_graph(memory_client: OpenSearch) -> None:
    vectors = _clustered(100, seed=15)
    _create(memory_client)
    _index_docs(memory_client, vectors)
    body = {
        "size": 3,
        "query": {
            "script_score": {
                "query": {"match_all": {}},
                "script": {
                    "source": "knn_score",
                    "lang": "knn",
                    "params": {
                        "field": "v",
                        "query_value": vectors[21].tolist(),
                        "space_type": "cosinesimil",
                    },
                },
            }
        },
    }
    hits = memory_client.search(index="people", body=body)["hits"]["hits"]
    exact = np.argsort(-(vectors @ vectors[21]), kind="stable")[:3]
    assert [int(h["_id"]) for h in hits] == exact.tolist()
    engine = _engine(memory_client)
    state = graphs_of(engine).for_index(engine.indices["people"])
    assert state is not None and state.graph("v") is None
