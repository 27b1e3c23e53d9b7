"""``_count``, ``_msearch``, ``_explain`` and ``_update_by_query``."""

from __future__ import annotations

from typing import Any

import pytest
from opensearchpy import ConflictError, NotFoundError, OpenSearch, RequestError


@pytest.fixture
def notes(make_index: Any) -> OpenSearch:
    docs = [
        {"text": "red apple", "n": 1},
        {"text": "green apple", "n": 2},
        {"text": "red car", "n": 3},
    ]
    return make_index("notes", docs)


def test_count_with_and_without_query(notes: OpenSearch) -> None:
    assert notes.count(index="notes")["count"] == 3
    assert notes.count(index="notes", body={"query": {"match": {"text": "red"}}})["count"] == 2
    assert notes.count(
        index="notes", body={"query": {"range": {"n": {"gt": 1}}}}, params={"terminate_after": 1}
    ) == {
        "count": 1,
        "terminated_early": True,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
    }
    with pytest.raises(RequestError):
        notes.count(index="notes", body={"size": 1})


def test_msearch_answers_each_item_in_place(notes: OpenSearch) -> None:
    body = [
        {"index": "notes"},
        {"query": {"match": {"text": "apple"}}, "size": 1},
        {},
        {"query": {"match_all": {}}, "size": 0},
        {"index": "missing"},
        {"query": {"match_all": {}}},
        {"index": "notes"},
        {"query": {"unknown": {}}},
    ]
    responses = notes.msearch(body=body, index="notes")["responses"]
    assert [r["status"] for r in responses] == [200, 200, 404, 400]
    assert len(responses[0]["hits"]["hits"]) == 1 and responses[0]["hits"]["total"]["value"] == 2
    assert responses[1]["hits"]["total"]["value"] == 3
    assert responses[2]["error"]["type"] == "index_not_found_exception"
    assert responses[3]["error"]["type"] == "parsing_exception"


def test_msearch_rejects_unknown_header_keys(notes: OpenSearch) -> None:
    with pytest.raises(RequestError) as info:
        notes.msearch(body=[{"indexx": "notes"}, {"query": {"match_all": {}}}])
    assert "key [indexx] is not supported in the metadata section" in str(info.value.info)


def _raw_msearch(client: OpenSearch, body: str, path: str = "/_msearch") -> Any:
    return client.transport.perform_request(
        "POST", path, body=body, headers={"content-type": "application/x-ndjson"}
    )


def test_msearch_reads_empty_lines_and_camel_case_headers_as_opensearch_does(
    notes: OpenSearch,
) -> None:
    body = (
        "\n"  # an empty first line is skipped
        '{"index": "notes", "ignoreUnavailable": true, "searchType": "dfs_query_then_fetch"}\n'
        '{"query": {"match": {"text": "red"}}}\n'
        "\n"  # an empty header: the URL's index
        '{"size": 0}\n'
        '{"index": "notes"}\n'  # a header without a body is dropped
    )
    responses = _raw_msearch(notes, body, "/notes/_msearch")["responses"]
    assert [r["hits"]["total"]["value"] for r in responses] == [2, 3]


def test_msearch_items_inherit_the_url_index_options(notes: OpenSearch) -> None:
    body = '{"index": "notes,missing"}\n{"size": 0}\n'
    strict = _raw_msearch(notes, body)["responses"][0]
    assert strict["error"]["type"] == "index_not_found_exception"
    lenient = notes.transport.perform_request(
        "POST",
        "/_msearch",
        params={"ignore_unavailable": "true"},
        body=body,
        headers={"content-type": "application/x-ndjson"},
    )["responses"][0]
    assert lenient["status"] == 200 and lenient["hits"]["total"]["value"] == 3


def test_msearch_refuses_bodies_opensearch_refuses(notes: OpenSearch) -> None:
    with pytest.raises(RequestError) as unterminated:
        _raw_msearch(notes, '{"index": "notes"}\n{"size": 0}')
    assert "must be terminated by a newline" in str(unterminated.value.info)
    with pytest.raises(RequestError) as empty:
        _raw_msearch(notes, '{"index": "notes"}\n')
    assert "no requests added" in str(empty.value.info)
    with pytest.raises(RequestError) as search_type:
        _raw_msearch(notes, '{"search_type": "scan"}\n{}\n')
    assert "No search type for [scan]" in str(search_type.value.info)


def test_explain_matched_unmatched_and_missing(notes: OpenSearch) -> None:
    hit = notes.explain(index="notes", id="1", body={"query": {"match": {"text": "red apple"}}})
    assert hit["matched"] is True and hit["explanation"]["description"] == "sum of:"
    score = notes.search(index="notes", body={"query": {"match": {"text": "red apple"}}})["hits"][
        "hits"
    ][0]
    assert score["_id"] == "1" and score["_score"] == hit["explanation"]["value"]
    miss = notes.explain(
        index="notes", id="3", body={"query": {"bool": {"must": [{"match": {"text": "apple"}}]}}}
    )
    assert miss["matched"] is False
    assert (
        miss["explanation"]["description"]
        == "Failure to meet condition(s) of required/prohibited clause(s)"
    )
    with pytest.raises(NotFoundError):
        notes.explain(index="notes", id="404", body={"query": {"match_all": {}}})
    with pytest.raises(RequestError):
        notes.explain(index="notes", id="1", body={})


def test_explain_through_a_filtered_alias(notes: OpenSearch) -> None:
    notes.indices.put_alias(index="notes", name="reds", body={"filter": {"term": {"text": "red"}}})
    assert (
        notes.explain(index="reds", id="2", body={"query": {"match_all": {}}})["matched"] is False
    )
    assert notes.explain(index="reds", id="1", body={"query": {"match_all": {}}})["matched"] is True


def test_update_by_query_reindexes_matching_documents(notes: OpenSearch) -> None:
    result = notes.update_by_query(
        index="notes", body={"query": {"match": {"text": "red"}}}, refresh=True
    )
    assert {
        k: result[k]
        for k in (
            "total",
            "updated",
            "deleted",
            "batches",
            "version_conflicts",
            "noops",
            "failures",
        )
    } == {
        "total": 2,
        "updated": 2,
        "deleted": 0,
        "batches": 1,
        "version_conflicts": 0,
        "noops": 0,
        "failures": [],
    }
    assert [notes.get(index="notes", id=i)["_version"] for i in ("1", "2", "3")] == [2, 1, 2]
    assert notes.get(index="notes", id="1")["_source"] == {"text": "red apple", "n": 1}
    limited = notes.update_by_query(
        index="notes", body={"max_docs": 1}, params={"scroll_size": "1"}
    )
    assert limited["updated"] == 1 and limited["batches"] == 1


def test_update_by_query_conflicts(make_index: Any) -> None:
    client = make_index("stale", [{"text": "v1"}], settings={"index": {"refresh_interval": "-1"}})
    client.index(index="stale", id="1", body={"text": "v2"})  # not yet visible to search
    with pytest.raises(ConflictError) as info:
        client.update_by_query(index="stale")
    body = info.value.info
    assert body["version_conflicts"] == 1 and body["updated"] == 0
    assert body["failures"][0]["cause"]["type"] == "version_conflict_engine_exception"
    assert "required seqNo [0]" in body["failures"][0]["cause"]["reason"]
    proceed = client.update_by_query(index="stale", params={"conflicts": "proceed"})
    assert proceed["version_conflicts"] == 1 and proceed["failures"] == []


def test_update_by_query_refuses_scripts(notes: OpenSearch) -> None:
    with pytest.raises(RequestError) as info:
        notes.update_by_query(index="notes", body={"script": {"source": "ctx._source.n++"}})
    assert "script" in str(info.value.info)


def test_bool_explanation_lists_filters_as_hash_clauses(notes: OpenSearch) -> None:
    query = {
        "bool": {"must": [{"match": {"text": "red"}}], "filter": [{"range": {"n": {"gte": 1}}}]}
    }
    explanation = notes.explain(index="notes", id="1", body={"query": query})["explanation"]
    assert explanation["description"] == "sum of:"
    must, filtered = explanation["details"]
    assert must["description"].startswith("weight(text:red in 0)")
    assert filtered["description"] == "match on required clause, product of:"
    assert filtered["details"][0] == {"value": 0.0, "description": "# clause", "details": []}
    assert filtered["details"][1]["description"] == "n:[1 TO *]"
    assert explanation["value"] == must["value"]
