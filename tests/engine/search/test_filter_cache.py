"""The per-refresh filter cache never serves a mask that depends on another document
which changed since (terms lookups nested in compound queries)."""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch


def _ids(client: OpenSearch, query: dict[str, Any]) -> list[str]:
    hits = client.search(index="people", body={"query": query, "sort": ["_id"]})["hits"]["hits"]
    return [h["_id"] for h in hits]


def test_a_nested_terms_lookup_sees_the_looked_up_document_change(make_index: Any) -> None:
    client = make_index("people", {"a": {"tag": "x"}, "b": {"tag": "x"}, "c": {"tag": "y"}})
    client.index(index="state", id="v", body={"hidden": ["a"]}, refresh=True)
    lookup = {"terms": {"_id": {"index": "state", "id": "v", "path": "hidden"}}}
    for compound in (
        {
            "bool": {
                "filter": [{"bool": {"filter": [{"term": {"tag": "x"}}], "must_not": [lookup]}}]
            }
        },
        {"bool": {"filter": [{"dis_max": {"queries": [{"bool": {"must_not": [lookup]}}]}}]}},
    ):
        client.index(index="state", id="v", body={"hidden": ["a"]}, refresh=True)
        first = _ids(client, compound)
        client.index(index="state", id="v", body={"hidden": ["b"]}, refresh=True)
        assert first != _ids(client, compound)
        assert "b" not in _ids(client, compound) and "a" in _ids(client, compound)


def test_match_none_in_filter_context_is_cacheable_and_matches_nothing(
    make_index: Any,
) -> None:
    client = make_index("people", {"a": {"tag": "x"}})
    query = {"bool": {"filter": [{"bool": {"should": [{"match_none": {}}]}}]}}
    assert _ids(client, query) == [] and _ids(client, query) == []
