"""A ``bool`` answers the same whichever way it evaluates its clauses.

Once few documents are in play (or a required clause's cached matches are few), the
remaining clauses are asked about those rows only (``run_window``) instead of building
shard-sized masks. Random trees of term / terms / ids / range / exists / geo_distance
under must / filter / should (with ``minimum_should_match``) / must_not must give the
same hits and scores as the shard-wide path, at the top level and in filter context.
A rescore window's evaluation (``Bool.window``) is checked against the shard-wide
scores too. ``WINDOW_SHARE`` is the share of the shard under which the row path starts: 0 turns it
off (the reference), 2 takes it from the first clause on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opensearchpy import OpenSearch

import mutuo
from mutuo.engine.connection import EmbeddedConnection
from mutuo.engine.queries import bool as bool_query

ORIGIN = {"lat": 48.85, "lon": 2.35}
TAGS = ["red", "green", "blue", "gold"]
STEPS = [1, 5, 25, 100, 500]

leaves = st.one_of(
    st.builds(lambda t: {"term": {"tag": t}}, st.sampled_from(TAGS)),
    st.builds(lambda s: {"term": {"step": s}}, st.sampled_from(STEPS)),
    st.builds(lambda ts: {"terms": {"tag": ts}}, st.lists(st.sampled_from(TAGS), max_size=2)),
    st.builds(
        lambda ids: {"ids": {"values": [str(i) for i in ids]}},
        st.lists(st.integers(0, 120), max_size=4),
    ),
    st.builds(
        lambda ids: {"terms": {"_id": [str(i) for i in ids]}},
        st.lists(st.integers(0, 120), max_size=4),
    ),
    st.builds(
        lambda lo, hi: {"range": {"n": {"gte": lo, "lte": hi}}},
        st.integers(0, 30),
        st.integers(0, 30),
    ),
    st.builds(lambda f: {"exists": {"field": f}}, st.sampled_from(["step", "n", "location"])),
    st.builds(
        lambda km: {"geo_distance": {"distance": f"{km}km", "location": ORIGIN}},
        st.sampled_from([*STEPS, 50, 200]),
    ),
    st.just({"match_all": {}}),
)


def _bool(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    clauses = st.lists(inner, max_size=3)
    return st.builds(
        lambda must, filter_, should, must_not, msm: {
            "bool": {
                "must": must,
                "filter": filter_,
                "should": should,
                "must_not": must_not,
                **({"minimum_should_match": msm} if msm is not None else {}),
            }
        },
        clauses,
        clauses,
        clauses,
        st.lists(inner, max_size=2),
        st.one_of(st.none(), st.integers(0, 3), st.just("50%")),
    )


queries = st.recursive(leaves, _bool, max_leaves=12)


@pytest.fixture(scope="module")
def people() -> Iterator[OpenSearch]:
    client = mutuo.connect("embedded://:memory:")
    mappings = {
        "tag": {"type": "keyword"},
        "step": {"type": "integer"},
        "n": {"type": "integer"},
        "location": {"type": "geo_point"},
    }
    client.indices.create(index="people", body={"mappings": {"properties": mappings}})
    rng = np.random.default_rng(5)
    body: list[Any] = []
    for i in range(120):
        doc: dict[str, Any] = {"tag": TAGS[int(rng.integers(0, 4)) if i % 3 else 0]}
        if i % 7:
            doc["step"] = int(rng.choice(STEPS))
        if i % 5:
            doc["n"] = int(rng.integers(0, 30))
        if i % 11:
            doc["location"] = {"lat": 48.85 + rng.normal(0, 2), "lon": 2.35 + rng.normal(0, 3)}
        body += [{"index": {"_index": "people", "_id": str(i)}}, doc]
    client.bulk(body=body, refresh=True)
    client.delete(index="people", id="3", refresh=True)  # a deleted document never matches
    yield client
    client.close()


def _shard_caches(client: OpenSearch) -> dict[Any, Any]:
    """The index's per-refresh caches (filter masks and their ordinals)."""
    connections = client.transport.connection_pool.connections
    engine = next(c for c in connections if isinstance(c, EmbeddedConnection)).engine
    cache: dict[Any, Any] = engine.indices["people"].shard.cache
    return cache


def _hits(client: OpenSearch, body: dict[str, Any]) -> dict[str, float]:
    hits = client.search(index="people", body={**body, "size": 200})["hits"]["hits"]
    return {h["_id"]: h["_score"] for h in hits}


def _both_paths(
    client: OpenSearch, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, float], dict[str, float]]:
    """(shard-wide answer, row-path answer), each from cold per-refresh caches (a mask
    one path leaves in the filter cache would otherwise answer for the other). A share
    between the two is checked too: an outer ``bool`` then keeps its masks and hands an
    inner one a domain, which the inner one narrows to rows."""
    answers = []
    for share in (0.0, 0.3, 2.0):
        monkeypatch.setattr(bool_query, "WINDOW_SHARE", share)
        _shard_caches(client).clear()
        answers.append(_hits(client, body))
    assert answers[1] == answers[0]
    return answers[0], answers[2]


# an expensive clause beside the generated one, after a third of the documents: with the
# middle share the outer ``bool`` keeps masks and hands the generated tree a domain
_NEAR = {"geo_distance": {"distance": "500km", "location": ORIGIN}}
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SETTINGS
@given(query=queries)
def test_row_path_gives_the_shard_wide_hits_and_scores(
    people: OpenSearch, monkeypatch: pytest.MonkeyPatch, query: dict[str, Any]
) -> None:
    reference, rows = _both_paths(people, {"query": query}, monkeypatch)
    assert rows == reference


@SETTINGS
@given(query=queries)
def test_row_path_gives_the_shard_wide_filter(
    people: OpenSearch, monkeypatch: pytest.MonkeyPatch, query: dict[str, Any]
) -> None:
    inner = {"bool": {"filter": [{"terms": {"tag": ["green", "blue"]}}, query, _NEAR]}}
    body = {"query": {"bool": {"filter": [inner], "should": [{"term": {"tag": "red"}}]}}}
    reference, rows = _both_paths(people, body, monkeypatch)
    assert rows == reference


@SETTINGS
@given(query=queries)
def test_window_path_gives_the_shard_wide_scores(
    people: OpenSearch, monkeypatch: pytest.MonkeyPatch, query: dict[str, Any]
) -> None:
    """A rescore asks the tree about its window only (``Bool.window``, which narrows
    its required clauses to the rows their predecessors kept): with every document in
    the window and the original score weighted 0, a hit's score is the tree's own."""
    reference, _rows = _both_paths(people, {"query": query}, monkeypatch)
    rescore = {
        "window_size": 500,
        "query": {"rescore_query": query, "query_weight": 0, "rescore_query_weight": 1},
    }
    body = {"query": {"match_all": {}}, "rescore": rescore}
    _shard_caches(people).clear()
    window = _hits(people, body)
    assert {k: v for k, v in window.items() if k in reference} == reference
    assert all(v == 0 for k, v in window.items() if k not in reference)
