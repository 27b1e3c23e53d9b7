"""Single-document APIs behave as OpenSearch's: results, versions, conflicts, refresh."""

from __future__ import annotations

import time

import pytest
from opensearchpy import ConflictError, NotFoundError, OpenSearch, RequestError

from mutuo.engine import Engine


def test_index_then_update_reports_created_then_updated(memory_client: OpenSearch) -> None:
    first = memory_client.index(index="people", id="1", body={"name": "ann"})
    second = memory_client.index(index="people", id="1", body={"name": "bea"})
    assert (first["result"], first["_version"], first["_seq_no"]) == ("created", 1, 0)
    assert (second["result"], second["_version"], second["_seq_no"]) == ("updated", 2, 1)
    assert second["_primary_term"] == 1


def test_get_returns_the_source_bytes_exactly_as_sent() -> None:
    engine = Engine(":memory:")
    try:
        raw = b'{"z": 1.50, "a" : [1e3, 123456789012345678901234567890], "k": "\\u00e9"}'
        status, _, _ = engine.handle("PUT", "/people/_doc/1", {}, raw)
        assert status == 201
        _, _, body = engine.handle("GET", "/people/_doc/1", {}, None)
        assert body.endswith(b'"_source":' + raw + b"}")
        _, _, source = engine.handle("GET", "/people/_source/1", {}, None)
        assert source == raw
        _, _, filtered = engine.handle("GET", "/people/_doc/1", {"_source_includes": "z"}, None)
        assert filtered.endswith(b'"_source":{"z":1.5}}')
    finally:
        engine.close()


def test_create_on_an_existing_id_conflicts(memory_client: OpenSearch) -> None:
    memory_client.create(index="people", id="1", body={"a": 1})
    with pytest.raises(ConflictError) as info:
        memory_client.index(index="people", id="1", body={"a": 2}, op_type="create")
    assert info.value.info["error"]["reason"] == (
        "[1]: version conflict, document already exists (current version [1])"
    )


def test_external_versions_must_grow_and_external_gte_may_repeat(
    memory_client: OpenSearch,
) -> None:
    ok = memory_client.index(
        index="people", id="1", body={"a": 1}, version=5, version_type="external"
    )
    assert ok["_version"] == 5
    with pytest.raises(ConflictError) as info:
        memory_client.index(
            index="people", id="1", body={"a": 1}, version=5, version_type="external"
        )
    assert "current version [5] is higher or equal to the one provided [5]" in str(info.value.info)
    same = memory_client.index(
        index="people", id="1", body={"a": 2}, version=5, version_type="external_gte"
    )
    assert same["_version"] == 5
    with pytest.raises(ConflictError):
        memory_client.index(
            index="people", id="1", body={"a": 3}, version=4, version_type="external_gte"
        )
    zero = memory_client.index(
        index="other", id="1", body={"a": 1}, version=0, version_type="external"
    )
    assert zero["_version"] == 0


def test_deleted_documents_keep_their_version_as_a_tombstone(memory_client: OpenSearch) -> None:
    memory_client.index(index="people", id="1", body={"a": 1}, version=7, version_type="external")
    memory_client.delete(index="people", id="1", version=8, version_type="external")
    with pytest.raises(ConflictError):
        memory_client.index(
            index="people", id="1", body={"a": 1}, version=8, version_type="external"
        )
    assert (
        memory_client.index(
            index="people", id="1", body={"a": 1}, version=9, version_type="external"
        )["result"]
        == "created"
    )


def test_if_seq_no_and_primary_term_guard_writes(memory_client: OpenSearch) -> None:
    first = memory_client.index(index="people", id="1", body={"a": 1})
    memory_client.index(index="people", id="1", body={"a": 2}, if_seq_no=0, if_primary_term=1)
    with pytest.raises(ConflictError) as info:
        memory_client.index(
            index="people", id="1", body={"a": 3}, if_seq_no=first["_seq_no"], if_primary_term=1
        )
    assert "required seqNo [0], primary term [1]. current document has seqNo [1]" in str(
        info.value.info
    )
    with pytest.raises(RequestError):  # internal versions are not a concurrency control
        memory_client.index(index="people", id="1", body={"a": 3}, version=2)


def test_delete_of_a_missing_document_is_not_found(memory_client: OpenSearch) -> None:
    memory_client.indices.create(index="people")
    with pytest.raises(NotFoundError) as info:
        memory_client.delete(index="people", id="nope")
    assert info.value.info["result"] == "not_found"


def test_update_merges_objects_and_detects_noops(memory_client: OpenSearch) -> None:
    memory_client.index(index="people", id="1", body={"a": 1, "o": {"x": 1}, "l": [1, 2]})
    merged = memory_client.update(
        index="people", id="1", body={"doc": {"o": {"y": 2}, "l": [3]}}, _source=True
    )
    assert merged["get"]["_source"] == {"a": 1, "o": {"x": 1, "y": 2}, "l": [3]}
    noop = memory_client.update(index="people", id="1", body={"doc": {"a": 1}})
    assert (noop["result"], noop["_version"]) == ("noop", 2)
    forced = memory_client.update(
        index="people", id="1", body={"doc": {"a": 1}, "detect_noop": False}
    )
    assert (forced["result"], forced["_version"]) == ("updated", 3)


def test_update_of_a_missing_document_needs_an_upsert(memory_client: OpenSearch) -> None:
    memory_client.indices.create(index="people")
    with pytest.raises(NotFoundError) as info:
        memory_client.update(index="people", id="1", body={"doc": {"a": 1}})
    assert info.value.error == "document_missing_exception"
    upserted = memory_client.update(
        index="people", id="1", body={"doc": {"a": 1}, "upsert": {"a": 0}}
    )
    assert upserted["result"] == "created"
    assert memory_client.get(index="people", id="1")["_source"] == {"a": 0}
    as_upsert = memory_client.update(
        index="people", id="2", body={"doc": {"b": 1}, "doc_as_upsert": True}
    )
    assert as_upsert["result"] == "created"
    assert memory_client.get(index="people", id="2")["_source"] == {"b": 1}


def test_update_refuses_external_versions(memory_client: OpenSearch) -> None:
    memory_client.index(index="people", id="1", body={"a": 1})
    with pytest.raises(RequestError) as info:
        memory_client.transport.perform_request(
            "POST",
            "/people/_update/1",
            params={"version": 3, "version_type": "external"},
            body={"doc": {"a": 2}},
        )
    assert "not supported by the update API" in str(info.value.info)


def test_a_bad_refresh_value_writes_nothing(memory_client: OpenSearch) -> None:
    memory_client.indices.create(index="people")
    with pytest.raises(RequestError) as info:
        memory_client.index(index="people", id="1", body={"a": 1}, refresh="soon")
    assert "Unknown value for refresh: [soon]" in str(info.value.info)
    with pytest.raises(NotFoundError):
        memory_client.get(index="people", id="1")


def test_refresh_true_and_wait_for_make_writes_searchable(memory_client: OpenSearch) -> None:
    forced = memory_client.index(index="people", id="1", body={"a": 1}, refresh=True)
    assert forced["forced_refresh"] is True
    waited = memory_client.index(index="people", id="2", body={"a": 1}, refresh="wait_for")
    assert "forced_refresh" not in waited
    assert memory_client.count(index="people")["count"] == 2


def test_writes_are_invisible_to_search_until_a_refresh(memory_client: OpenSearch) -> None:
    memory_client.indices.create(
        index="people", body={"settings": {"index": {"refresh_interval": "-1"}}}
    )
    memory_client.index(index="people", id="1", body={"a": 1})
    assert memory_client.get(index="people", id="1")["found"]  # GET is real-time
    assert memory_client.count(index="people")["count"] == 0
    memory_client.indices.refresh(index="people")
    assert memory_client.count(index="people")["count"] == 1


def test_periodic_refresh_makes_writes_visible(memory_client: OpenSearch) -> None:
    memory_client.indices.create(
        index="people", body={"settings": {"index": {"refresh_interval": "20ms"}}}
    )
    memory_client.index(index="people", id="1", body={"a": 1})
    for _ in range(500):  # the refresher runs every 0.1 s; give it up to ~10 s
        if memory_client.count(index="people")["count"] == 1:
            return
        time.sleep(0.02)
    pytest.fail("the periodic refresh never made the write visible")


def test_a_malformed_source_is_a_mapper_parsing_error(memory_client: OpenSearch) -> None:
    with pytest.raises(RequestError) as info:
        memory_client.transport.perform_request("PUT", "/people/_doc/1", body="{not json")
    error = info.value.info["error"]
    assert (error["type"], error["reason"]) == ("mapper_parsing_exception", "failed to parse")
    assert error["caused_by"]["type"] == "json_parse_exception"


def test_ingest_pipelines_are_refused_not_ignored(memory_client: OpenSearch) -> None:
    with pytest.raises(RequestError) as info:
        memory_client.index(index="people", id="1", body={"a": 1}, pipeline="enrich")
    assert info.value.info["error"]["reason"] == "pipeline with id [enrich] does not exist"
    memory_client.index(index="people", id="1", body={"a": 1}, pipeline="_none")


def test_mget_reports_found_missing_and_errors(memory_client: OpenSearch) -> None:
    memory_client.index(index="people", id="1", body={"a": 1, "b": 2})
    docs = memory_client.mget(
        body={
            "docs": [
                {"_index": "people", "_id": "1", "_source": ["a"]},
                {"_index": "people", "_id": "2"},
                {"_index": "nope", "_id": "1"},
            ]
        }
    )["docs"]
    assert docs[0]["_source"] == {"a": 1}
    assert docs[1]["found"] is False
    assert docs[2]["error"]["type"] == "index_not_found_exception"
    assert memory_client.exists(index="people", id="1") is True
    assert memory_client.exists(index="people", id="2") is False


def test_routing_is_stored_required_when_mapped_and_taken_from_aliases(
    engine_path: str,
) -> None:
    import mutuo

    client = mutuo.connect(f"embedded://{engine_path}")
    client.indices.create(
        index="people",
        body={"mappings": {"_routing": {"required": True}}, "aliases": {"eu": {"routing": "eu"}}},
    )
    with pytest.raises(RequestError) as info:
        client.index(index="people", id="1", body={"a": 1})
    assert info.value.info["error"]["reason"] == "routing is required for [people]/[1]"
    client.index(index="people", id="1", body={"a": 1}, routing="us")
    client.index(index="eu", id="2", body={"a": 2})
    with pytest.raises(RequestError) as info:
        client.index(index="eu", id="3", body={"a": 3}, routing="us")
    assert "has index routing associated with it [eu]" in info.value.info["error"]["reason"]
    client.close()
    reopened = mutuo.connect(f"embedded://{engine_path}")
    assert reopened.get(index="people", id="1")["_routing"] == "us"
    assert reopened.get(index="people", id="2")["_routing"] == "eu"
    reopened.close()


def test_a_stale_if_seq_no_conflicts_even_for_a_noop_update(memory_client: OpenSearch) -> None:
    memory_client.index(index="people", id="1", body={"a": 1})
    memory_client.index(index="people", id="1", body={"a": 1})
    with pytest.raises(ConflictError):
        memory_client.update(
            index="people", id="1", body={"doc": {"a": 1}}, if_seq_no=0, if_primary_term=1
        )


def test_an_update_to_an_equal_number_of_another_json_type_is_not_a_noop(
    memory_client: OpenSearch,
) -> None:
    """OpenSearch compares sources as typed maps: 1 and 1.0 differ, and so do 0.0 and -0.0
    (a keyword field indexes them as different strings)."""
    memory_client.index(index="people", id="1", body={"n": 1, "z": 0.0}, refresh=True)
    same = memory_client.update(index="people", id="1", body={"doc": {"n": 1, "z": 0.0}})
    assert same["result"] == "noop"
    for patch in ({"n": 1.0}, {"z": -0.0}):
        assert (
            memory_client.update(index="people", id="1", body={"doc": patch})["result"] == "updated"
        )
