"""Identical compound filters are parsed once and shared (the recommend template repeats
its hard filter in every candidate source); what they match is still per request."""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch

from mutuo.engine.queries import parse_query

LOOKUP = {"terms": {"_id": {"index": "state", "id": "v", "path": "hidden"}}}
HARD = {"bool": {"filter": [{"term": {"tag": "x"}}], "must_not": [LOOKUP]}}


def test_the_same_filter_body_parses_to_one_shared_tree() -> None:
    first, second = parse_query(HARD), parse_query({"bool": dict(HARD["bool"])})
    assert first is second
    other = parse_query({"bool": {"filter": [{"term": {"tag": "y"}}], "must_not": [LOOKUP]}})
    assert other is not first
    knn = {"knn": {"v": {"vector": [1.0, 0.0], "k": 2, "filter": HARD}}}
    assert parse_query(knn) is not parse_query(knn)  # only frozen types are shared


def test_a_shared_filter_sees_each_requests_lookup(make_index: Any) -> None:
    client: OpenSearch = make_index(
        "people", {"a": {"tag": "x"}, "b": {"tag": "x"}, "c": {"tag": "y"}}
    )
    query = {"bool": {"should": [HARD, {"constant_score": {"filter": HARD}}]}}
    body = {"query": query, "sort": ["_id"]}
    for hidden, expected in ((["a"], ["b"]), (["b"], ["a"]), ([], ["a", "b"])):
        client.index(index="state", id="v", body={"hidden": hidden}, refresh=True)
        hits = client.search(index="people", body=body)["hits"]["hits"]
        assert [h["_id"] for h in hits] == expected
