"""A query run over a window of ordinals gives each of them what a whole-index run gives.

``Query.run_window`` is what rescoring and LTR feature passes use: it must read only the
window's documents, with bit-identical scores and the same matches as ``Query.run``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch

from mutuo.engine.connection import EmbeddedConnection
from mutuo.engine.engine import Engine
from mutuo.engine.queries import parse_query
from mutuo.engine.search_context import SearchContext

WORDS = [f"w{i}" for i in range(30)]
DOCS = 300

MAPPING = {
    "properties": {
        "title": {"type": "text"},
        "body": {"type": "text"},
        "note": {"type": "text", "similarity": "boolean"},
        "status": {"type": "keyword"},
        "tags": {"type": "keyword"},
        "n": {"type": "float"},
        "count": {"type": "integer"},
        "born": {"type": "date"},
        "loc": {"type": "geo_point"},
        "vec": {"type": "knn_vector", "dimension": 4, "space_type": "cosinesimil"},
    }
}


def _document(rng: np.random.Generator) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "title": " ".join(rng.choice(WORDS, size=int(rng.integers(1, 12)))),
        "status": str(rng.choice(["active", "paused"])),
    }
    if rng.random() < 0.8:
        doc["body"] = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 40))))
    if rng.random() < 0.5:
        doc["note"] = " ".join(rng.choice(WORDS[:10], size=int(rng.integers(1, 5))))
    if rng.random() < 0.7:
        doc["tags"] = [str(t) for t in rng.choice(WORDS[:8], size=int(rng.integers(1, 4)))]
    if rng.random() < 0.8:  # some missing, some multi-valued
        values = [round(float(v), 2) for v in rng.gamma(2.0, 5.0, size=int(rng.integers(1, 3)))]
        doc["n"] = values[0] if len(values) == 1 else values
    doc["count"] = int(rng.integers(0, 50))
    doc["born"] = (
        f"19{int(rng.integers(50, 99))}-0{int(rng.integers(1, 9))}-1{int(rng.integers(0, 9))}"
    )
    if rng.random() < 0.8:
        doc["loc"] = {"lat": float(rng.uniform(40, 41)), "lon": float(rng.uniform(-74, -73))}
    if rng.random() < 0.8:
        doc["vec"] = [float(v) for v in rng.normal(size=4)]
    return doc


@pytest.fixture(scope="module")
def engine() -> Iterator[tuple[OpenSearch, Engine]]:
    from mutuo.client import connect

    client = connect("embedded://:memory:")
    client.indices.create(index="docs", body={"mappings": MAPPING})
    rng = np.random.default_rng(11)
    body: list[dict[str, Any]] = []
    for i in range(DOCS):
        body += [{"index": {"_index": "docs", "_id": str(i)}}, _document(rng)]
    body += [{"index": {"_index": "docs", "_id": "far"}}, {"loc": [[0.0, 0.0], [-73.6, 40.4]]}]
    client.bulk(body=body, refresh=True)
    for i in range(0, DOCS, 17):  # deleted documents never match
        client.delete(index="docs", id=str(i), refresh=True)
    connection = client.transport.get_connection()
    assert isinstance(connection, EmbeddedConnection)
    yield client, connection.engine
    client.close()


def _knn(field: str) -> dict[str, Any]:
    params = {"field": field, "query_value": [0.5, -1.0, 0.25, 2.0], "space_type": "cosinesimil"}
    return {"source": "knn_score", "lang": "knn", "params": params}


QUERIES: list[dict[str, Any]] = [
    {"match": {"title": "w1 w2 w3 w2"}},
    {"match": {"body": {"query": "w4 w5 w6", "operator": "and"}}},
    {"match": {"title": {"query": "w1 w2 w3 w4", "minimum_should_match": 2, "boost": 2.5}}},
    {"match": {"status": "active"}},
    {"match": {"note": "w1 w2 w2"}},
    {"multi_match": {"query": "w3", "fields": ["title", "count"], "lenient": True}},
    {"multi_match": {"query": "w1 w7", "fields": ["title^2", "body"], "tie_breaker": 0.3}},
    {"multi_match": {"query": "w1 w7", "fields": ["title", "body"], "type": "most_fields"}},
    {"term": {"title": "w3"}},
    {"term": {"tags": {"value": "w2", "boost": 3}}},
    {"term": {"count": 7}},
    {"terms": {"tags": ["w1", "w5"]}},
    {"terms": {"count": [1, 2, 3, 40]}},
    {"range": {"n": {"gte": 5, "lt": 12}}},
    {"range": {"born": {"gte": "1960-01-01", "lte": "1980-12-31"}}},
    {"range": {"status": {"gte": "b"}}},
    {"exists": {"field": "body"}},
    {"exists": {"field": "n"}},
    {"exists": {"field": "loc"}},
    {"exists": {"field": "vec"}},
    {"match_all": {"boost": 1.7}},
    {"constant_score": {"filter": {"term": {"status": "paused"}}, "boost": 4}},
    {
        "function_score": {
            "query": {"match": {"title": "w1 w2"}},
            "field_value_factor": {"field": "n", "modifier": "log1p", "missing": 1},
        }
    },
    {
        "function_score": {
            "functions": [
                {"gauss": {"count": {"origin": 20, "scale": 5}}, "weight": 2},
                {"exp": {"born": {"origin": "1970-01-01", "scale": "3650d"}}},
                {"linear": {"loc": {"origin": "40.5,-73.5", "scale": "20km"}}},
                {"filter": {"term": {"tags": "w3"}}, "weight": 5},
            ],
            "score_mode": "sum",
            "boost_mode": "replace",
        }
    },
    {
        "function_score": {
            "query": {"match": {"body": "w9 w10"}},
            "functions": [{"field_value_factor": {"field": "count", "missing": 0}}],
            "min_score": 3,
        }
    },
    {"script_score": {"query": {"match_all": {}}, "script": _knn("vec")}},
    {"script_score": {"query": {"term": {"status": "active"}}, "script": _knn("vec")}},
    {
        "bool": {
            "must": [{"match": {"title": "w1 w2"}}],
            "filter": [{"term": {"status": "active"}}],
            "should": [{"match": {"body": "w3"}}, {"range": {"n": {"gte": 10}}}],
            "must_not": [{"terms": {"tags": ["w7"]}}],
        }
    },
    {
        "bool": {
            "should": [
                {"match": {"title": "w1"}},
                {"match": {"body": "w2"}},
                {"term": {"tags": "w3"}},
            ],
            "minimum_should_match": 2,
            "boost": 0.5,
        }
    },
    {"bool": {"must_not": [{"exists": {"field": "loc"}}]}},
    {"geo_distance": {"distance": "30km", "loc": {"lat": 40.5, "lon": -73.5}}},
    {
        "bool": {
            "should": [
                {"geo_distance": {"distance": f"{km}km", "loc": {"lat": 40.3, "lon": -73.8}}}
                for km in (5, 20, 40)
            ],
            "filter": [{"term": {"status": "active"}}],
        }
    },
    {"terms": {"_id": ["3", "18", "nope", "40", "far", 5]}},
    {"dis_max": {"queries": [{"match": {"title": "w5"}}, {"match": {"body": "w5"}}]}},
    {"match_phrase": {"body": "w1 w2"}},
]


def _windows(engine: Engine) -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    maxdoc = engine.indices["docs"].shard.maxdoc
    shuffled = rng.permutation(maxdoc)  # any order, deleted documents included
    return [shuffled[:60], np.sort(shuffled[:5]), np.arange(maxdoc), shuffled[:0]]


@pytest.mark.parametrize("body", QUERIES, ids=[next(iter(q)) for q in QUERIES])
@pytest.mark.parametrize("scoring", [True, False], ids=["scoring", "filter"])
def test_a_window_gets_the_whole_index_result_of_each_of_its_documents(
    engine: tuple[OpenSearch, Engine], body: dict[str, Any], scoring: bool
) -> None:
    _client, eng = engine
    query = parse_query(body)
    index = eng.indices["docs"]
    with eng.lock:
        full = query.run(SearchContext(eng, index, now_ms=0), scoring)
        for ordinals in _windows(eng):
            window = query.run_window(SearchContext(eng, index, now_ms=0), ordinals, scoring)
            np.testing.assert_array_equal(window.mask, full.mask[ordinals])
            if scoring:
                hit = window.mask
                expected = full.score_array()[ordinals][hit]
                np.testing.assert_array_equal(window.score_array()[hit], expected)
    assert full.mask.any(), "each query should match something in this index"


@pytest.mark.parametrize("body", QUERIES[:-2], ids=[next(iter(q)) for q in QUERIES[:-2]])
def test_rescoring_gives_the_scores_the_query_gives_on_its_own(
    engine: tuple[OpenSearch, Engine], body: dict[str, Any]
) -> None:
    client, _eng = engine
    alone = client.search(index="docs", body={"query": body, "size": DOCS})["hits"]["hits"]
    rescore = {
        "window_size": DOCS,
        "query": {"rescore_query": body, "query_weight": 0, "rescore_query_weight": 1},
    }
    request = {"query": {"match_all": {}}, "size": DOCS, "rescore": rescore}
    rescored = client.search(index="docs", body=request)["hits"]["hits"]
    expected = {hit["_id"]: hit["_score"] for hit in alone}
    got = {hit["_id"]: hit["_score"] for hit in rescored if hit["_id"] in expected}
    assert got == expected
    assert all(hit["_score"] == 0 for hit in rescored if hit["_id"] not in expected)
