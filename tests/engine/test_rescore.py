"""``rescore``: windows, weights, score modes and chaining, against hand-computed scores."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from closeness import closeness
from opensearchpy import OpenSearch, RequestError

from mutuo.engine.features.rescore import RescoreEntry
from mutuo.engine.queries.term import Term
from mutuo.engine.search import ParsedSearch

# first-pass score of doc i: 1 / (1 + (x_i - 0)^2) on field a; rescore on field b likewise
A = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
B = [3.0, 0.5, 0.0, 2.0, 1.0, 0.2]


def _score(x: float) -> float:
    return float(np.float32(1) / (np.float32(1) + np.float32(x) ** 2))


@pytest.fixture
def people(memory_client: OpenSearch) -> OpenSearch:
    memory_client.indices.create(
        index="people",
        body={
            "mappings": {
                "properties": {
                    "a": {"type": "knn_vector", "dimension": 1},
                    "b": {"type": "knn_vector", "dimension": 1},
                    "tag": {"type": "keyword"},
                }
            }
        },
    )
    for i, (a, b) in enumerate(zip(A, B, strict=True)):
        memory_client.index(index="people", id=str(i), body={"a": [a], "b": [b], "tag": str(i % 2)})
    memory_client.indices.refresh(index="people")
    return memory_client


def _hits(client: OpenSearch, rescore: Any, **body: Any) -> list[tuple[str, float]]:
    request = {"query": closeness("a"), "rescore": rescore, **body}
    hits = client.search(index="people", body=request)["hits"]["hits"]
    return [(h["_id"], h["_score"]) for h in hits]


@pytest.mark.parametrize(
    ("mode", "combine"),
    [
        ("total", lambda q, r: q + r),
        ("multiply", lambda q, r: q * r),
        ("avg", lambda q, r: (q + r) / 2),
        ("max", max),
        ("min", min),
    ],
)
def test_score_modes_combine_weighted_scores_inside_the_window(
    people: OpenSearch, mode: str, combine: Any
) -> None:
    rescore = {
        "window_size": 3,
        "query": {
            "rescore_query": closeness("b"),
            "query_weight": 0.7,
            "rescore_query_weight": 1.5,
            "score_mode": mode,
        },
    }
    expected = {}
    for i in range(6):
        q = _score(A[i]) * 0.7
        expected[str(i)] = combine(q, _score(B[i]) * 1.5) if i < 3 else q
    ranked = sorted(expected.items(), key=lambda kv: (-kv[1], int(kv[0])))
    got = _hits(people, rescore)
    assert [doc for doc, _ in got] == [doc for doc, _ in ranked]
    assert [s for _, s in got] == pytest.approx([s for _, s in ranked], rel=1e-6)


def test_window_docs_the_rescore_query_misses_keep_the_weighted_first_pass_score(
    people: OpenSearch,
) -> None:
    rescore = {
        "window_size": 4,
        "query": {"rescore_query": {"term": {"tag": "1"}}, "query_weight": 2},
    }
    got = dict(_hits(people, rescore))
    for i in range(6):
        bonus = 1.0 if i < 4 and i % 2 == 1 else 0.0
        assert got[str(i)] == pytest.approx(_score(A[i]) * 2 + bonus, rel=1e-6)


def test_rescorers_are_chained_in_order(people: OpenSearch) -> None:
    first = {"window_size": 6, "query": {"rescore_query": closeness("b"), "query_weight": 0.0}}
    second = {
        "window_size": 1,
        "query": {"rescore_query": {"term": {"tag": "0"}}, "rescore_query_weight": 10},
    }
    got = _hits(people, [first, second])
    # after the first rescorer the order is by b: doc 2 (b=0) first, then 5, 1, 4, 3, 0
    assert got[0] == ("2", pytest.approx(_score(0.0) + 10))
    assert [doc for doc, _ in got] == ["2", "5", "1", "4", "3", "0"]


def test_max_score_reports_the_rescored_best(people: OpenSearch) -> None:
    rescore = {"window_size": 6, "query": {"rescore_query": closeness("b"), "query_weight": 0.0}}
    result = people.search(index="people", body={"query": closeness("a"), "rescore": rescore})
    assert result["hits"]["max_score"] == pytest.approx(_score(0.0))


def test_hits_beyond_the_shard_window_are_not_collected(people: OpenSearch) -> None:
    """Only max(from + size, window_size) hits per index survive the rescore phase."""
    rescore = {
        "window_size": 2,
        "query": {"rescore_query": closeness("b", boost=0.0), "score_mode": "multiply"},
    }
    got = _hits(people, rescore, size=3)
    # docs 0 and 1 are rescored to 0, doc 2 keeps its first-pass score; docs 3..5 were cut
    assert [doc for doc, _ in got] == ["2", "0", "1"]


@pytest.mark.parametrize(
    ("rescore", "extra", "message"),
    [
        (
            {"window_size": 10001, "query": {"rescore_query": {"match_all": {}}}},
            {},
            "Rescore window [10001] is too large. It must be less than [10000].",
        ),
        (
            {"query": {"rescore_query": {"match_all": {}}, "score_mode": "sum"}},
            {},
            "illegal score_mode [sum]",
        ),
        ({"window_size": 5}, {}, "missing rescore type"),
        ({"query": {"query_weight": 1}}, {}, "rescore_query cannot be null"),
        (
            {"learning_to_rank": {}},
            {},
            "rescore doesn't support rescorer with name [learning_to_rank]",
        ),
    ],
)
def test_invalid_rescore_requests_are_refused(
    people: OpenSearch, rescore: Any, extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(RequestError) as info:
        _hits(people, rescore, **extra)
    assert message in str(info.value.info)


def test_sort_and_rescore_are_exclusive(people: OpenSearch) -> None:
    try:
        people.search(index="people", body={"sort": [{"tag": "asc"}]})
    except RequestError as err:
        if "not supported by the embedded engine" in str(err.info):
            pytest.skip("sort is not implemented on this branch yet (search issue)")
        raise
    with pytest.raises(RequestError) as info:
        _hits(people, {"query": {"rescore_query": {"match_all": {}}}}, sort=[{"tag": "asc"}])
    assert "Cannot use [sort] option in conjunction with [rescore]." in str(info.value.info)
    assert _hits(people, {"query": {"rescore_query": {"match_all": {}}}}, sort=["_score"])


def test_parsed_entries_stay_available_to_other_features() -> None:
    search = ParsedSearch(
        {
            "rescore": [
                {
                    "window_size": 50,
                    "query": {"rescore_query": {"term": {"tag": "x"}}, "query_weight": 0.5},
                }
            ]
        },
        {},
    )
    entries = search.features["rescore"]
    assert isinstance(entries, list) and isinstance(entries[0], RescoreEntry)
    assert entries[0].window_size == 50 and entries[0].query_weight == 0.5
    assert isinstance(entries[0].rescore_query, Term)


def test_a_score_sort_follows_the_rescored_scores(people: OpenSearch) -> None:
    rescore = {"window_size": 6, "query": {"rescore_query": closeness("b"), "query_weight": 0.0}}
    got = _hits(people, rescore, sort=["_score"])
    assert [doc for doc, _ in got] == ["2", "5", "1", "4", "3", "0"]
