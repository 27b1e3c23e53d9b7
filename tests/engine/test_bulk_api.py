"""``_bulk``: per-item results and errors, whole-request validation, one commit."""

from __future__ import annotations

import json

import pytest
from opensearchpy import OpenSearch, RequestError


def ndjson(*lines: object) -> str:
    return "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)


def test_items_come_back_in_order_with_their_own_status(memory_client: OpenSearch) -> None:
    result = memory_client.bulk(
        body=ndjson(
            {"index": {"_index": "people", "_id": "1"}},
            {"a": 1},
            {"create": {"_index": "people", "_id": "1"}},
            {"a": 1},
            {"update": {"_index": "people", "_id": "1"}},
            {"doc": {"a": 2}},
            {"update": {"_index": "people", "_id": "2"}},
            {"doc": {"a": 2}},
            {"delete": {"_index": "people", "_id": "3"}},
            {"index": {"_index": "people", "_id": "4"}},
            {"a": "not a number"},
        ),
        refresh=True,
    )
    kinds = [next(iter(item)) for item in result["items"]]
    assert kinds == ["index", "create", "update", "update", "delete", "index"]
    statuses = [next(iter(item.values()))["status"] for item in result["items"]]
    assert statuses == [201, 409, 200, 404, 404, 400]
    assert result["errors"] is True
    assert result["items"][4]["delete"]["result"] == "not_found"
    assert result["items"][5]["index"]["error"]["type"] == "mapper_parsing_exception"
    assert memory_client.get(index="people", id="1")["_source"] == {"a": 2}


def test_deleting_missing_documents_is_not_an_error(memory_client: OpenSearch) -> None:
    memory_client.indices.create(index="people")
    result = memory_client.bulk(body=ndjson({"delete": {"_index": "people", "_id": "x"}}))
    assert result["errors"] is False


def test_a_malformed_action_line_fails_the_whole_request(memory_client: OpenSearch) -> None:
    with pytest.raises(RequestError) as info:
        memory_client.bulk(
            body=ndjson({"index": {"_index": "people", "_id": "1"}}, {"a": 1}, {"indx": {}}, {})
        )
    assert "expected one of [create, delete, index, update] but found [indx]" in str(
        info.value.info
    )
    assert memory_client.indices.exists(index="people") is False


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"index": {}}\n{"a": 1}', "must be terminated by a newline"),
        ("{}\n", "expected FIELD_NAME but found [END_OBJECT]"),
        ('{"index": {"_index": "p", "_id": "1"}}\n', "source is missing for action on line [1]"),
        ('{"index": {"_index": "p", "bogus": 1}}\n{}\n', "contains an unknown parameter [bogus]"),
        (
            '{"update": {"_index": "p", "_id": "1", "version": 2}}\n{"doc": {}}\n',
            "Update requests do not support versioning",
        ),
        ('{"update": {"_index": "p", "_id": "1"}}\n{"dac": {}}\n', "did you mean [doc]?"),
    ],
)
def test_request_level_errors(memory_client: OpenSearch, body: str, reason: str) -> None:
    with pytest.raises(RequestError) as info:  # sent as is (the bulk helper adds a newline)
        memory_client.transport.perform_request("POST", "/_bulk", body=body)
    assert reason in json.dumps(info.value.info)


def test_a_bad_refresh_value_writes_nothing(memory_client: OpenSearch) -> None:
    with pytest.raises(RequestError):
        memory_client.bulk(
            body=ndjson({"index": {"_index": "people", "_id": "1"}}, {"a": 1}), refresh="soon"
        )
    assert memory_client.indices.exists(index="people") is False


def test_external_versions_conflict_per_item(memory_client: OpenSearch) -> None:
    action = {"index": {"_index": "people", "_id": "1", "version": 10, "version_type": "external"}}
    result = memory_client.bulk(body=ndjson(action, {"a": 1}, action, {"a": 2}))
    first, second = (item["index"] for item in result["items"])
    assert (first["status"], first["_version"]) == (201, 10)
    assert second["status"] == 409
    assert second["error"]["type"] == "version_conflict_engine_exception"
    assert second["error"]["index"] == "people"


def test_bulk_update_can_return_the_updated_source(memory_client: OpenSearch) -> None:
    memory_client.index(index="people", id="1", body={"a": 1, "b": 2})
    result = memory_client.bulk(
        body=ndjson(
            {"update": {"_index": "people", "_id": "1", "_source": {"includes": ["b"]}}},
            {"doc": {"b": 3}},
        )
    )
    assert result["items"][0]["update"]["get"]["_source"] == {"b": 3}


def test_writes_through_an_alias_land_in_its_write_index(memory_client: OpenSearch) -> None:
    memory_client.indices.create(index="people-1", body={"aliases": {"people": {}}})
    memory_client.indices.create(
        index="people-2", body={"aliases": {"people": {"is_write_index": True}}}
    )
    result = memory_client.bulk(body=ndjson({"index": {"_index": "people", "_id": "1"}}, {"a": 1}))
    assert result["items"][0]["index"]["_index"] == "people-2"
