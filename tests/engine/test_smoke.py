"""The client seam reaches the embedded engine through opensearch-py's own transport."""

from __future__ import annotations

import pytest
from opensearchpy import NotFoundError, OpenSearch


def test_info_reports_opensearch_3(memory_client: OpenSearch) -> None:
    info = memory_client.info()
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"].startswith("3.")


def test_index_then_search_after_refresh(client: OpenSearch) -> None:
    client.index(index="people", id="1", body={"bio": "loves hiking"}, refresh=True)
    result = client.search(index="people", body={"query": {"match": {"bio": "hiking"}}})
    assert [h["_id"] for h in result["hits"]["hits"]] == ["1"]


def test_missing_index_raises_not_found(memory_client: OpenSearch) -> None:
    with pytest.raises(NotFoundError) as info:
        memory_client.get(index="nope", id="1")
    assert info.value.error == "index_not_found_exception"
