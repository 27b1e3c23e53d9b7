"""``index.blocks.*`` settings refuse document writes as OpenSearch does (403
cluster_block_exception), per item in ``_bulk``; reads go on. ``mutuo apply`` relies on
this to copy an index that cannot change under it."""

from __future__ import annotations

import pytest
from opensearchpy import AuthorizationException, OpenSearch


@pytest.fixture
def blocked(memory_client: OpenSearch) -> OpenSearch:
    memory_client.index(index="people", id="1", body={"name": "a"}, refresh=True)
    memory_client.indices.put_settings(index="people", body={"index.blocks.write": True})
    return memory_client


def test_single_writes_are_refused_with_the_block_named(blocked: OpenSearch) -> None:
    for write in (
        lambda: blocked.index(index="people", id="2", body={"name": "b"}),
        lambda: blocked.delete(index="people", id="1"),
        lambda: blocked.update(index="people", id="1", body={"doc": {"name": "c"}}),
    ):
        with pytest.raises(AuthorizationException) as info:
            write()
        assert info.value.error == "cluster_block_exception"
        assert (
            info.value.info["error"]["reason"]
            == "index [people] blocked by: [FORBIDDEN/8/index write (api)];"
        )


def test_bulk_items_fail_one_by_one_and_reads_go_on(blocked: OpenSearch) -> None:
    blocked.indices.create(index="other")
    response = blocked.bulk(
        body=[
            {"index": {"_index": "people", "_id": "2"}},
            {"name": "b"},
            {"index": {"_index": "other", "_id": "1"}},
            {"name": "c"},
        ]
    )
    statuses = [next(iter(i.values()))["status"] for i in response["items"]]
    assert response["errors"] and statuses == [403, 201]
    assert blocked.get(index="people", id="1")["_source"] == {"name": "a"}
    assert blocked.search(index="people")["hits"]["total"]["value"] == 1


def test_removing_the_block_allows_writes_again(blocked: OpenSearch) -> None:
    blocked.indices.put_settings(index="people", body={"index.blocks.write": None})
    assert blocked.index(index="people", id="2", body={"name": "b"})["result"] == "created"


def test_read_only_allow_delete_still_allows_deletes(memory_client: OpenSearch) -> None:
    memory_client.index(index="people", id="1", body={"name": "a"})
    memory_client.indices.put_settings(
        index="people", body={"index.blocks.read_only_allow_delete": True}
    )
    with pytest.raises(AuthorizationException, match="cluster_block_exception"):
        memory_client.index(index="people", id="2", body={"name": "b"})
    assert memory_client.delete(index="people", id="1")["result"] == "deleted"
