"""Filter keys are memoised per request, never across requests.

A nested hard filter with a terms lookup: each request must see the looked-up document
as it is now (a block applies to the very next request), and the same filter under two
parents of one request must answer the same.
"""

from __future__ import annotations

from typing import Any

from opensearchpy import OpenSearch


def _filter(viewer: str) -> dict[str, Any]:
    lookup = {"index": "state", "id": viewer, "path": "seen_ids"}
    inner = {"bool": {"must_not": [{"terms": {"_id": lookup}}]}}
    return {"bool": {"filter": [{"bool": {"filter": [inner, {"range": {"age": {"gte": 18}}}]}}]}}


def _ids(client: OpenSearch, viewer: str) -> list[str]:
    hard = _filter(viewer)
    body = {
        "query": {"bool": {"should": [{"constant_score": {"filter": hard}}, hard]}},
        "size": 10,
        "_source": False,
        "sort": ["_id"],
    }
    return [h["_id"] for h in client.search(index="people", body=body)["hits"]["hits"]]


def test_lookup_changes_apply_to_the_next_request(memory_client: OpenSearch) -> None:
    for i, age in enumerate([17, 20, 30, 40]):
        memory_client.index(index="people", id=f"p{i}", body={"age": age})
    memory_client.index(index="state", id="v", body={"seen_ids": ["p1"]}, refresh=True)
    memory_client.indices.refresh(index="people")
    assert _ids(memory_client, "v") == ["p2", "p3"]
    memory_client.index(index="state", id="v", body={"seen_ids": ["p2", "p3"]}, refresh=True)
    assert _ids(memory_client, "v") == ["p1"]
    memory_client.index(index="state", id="w", body={"seen_ids": []}, refresh=True)
    assert _ids(memory_client, "w") == ["p1", "p2", "p3"]
