"""Stored scripts and search templates: CRUD, rendering, searching, msearch."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opensearchpy import NotFoundError, OpenSearch, RequestError

import mutuo

TERM_TEMPLATE = {"query": {"term": {"tag": "{{tag}}"}}, "size": "{{size}}{{^size}}10{{/size}}"}


@pytest.fixture
def people(memory_client: OpenSearch) -> OpenSearch:
    memory_client.indices.create(
        index="people",
        body={"mappings": {"properties": {"tag": {"type": "keyword"}, "bio": {"type": "text"}}}},
    )
    for i, tag in enumerate(["a", "a", "b", "c"]):
        memory_client.index(
            index="people", id=str(i), body={"tag": tag, "bio": f"likes hiking {i}"}
        )
    memory_client.indices.refresh(index="people")
    return memory_client


def test_object_sources_are_stored_as_json_text_with_a_content_type(
    memory_client: OpenSearch,
) -> None:
    assert memory_client.put_script(
        id="t1", body={"script": {"lang": "mustache", "source": TERM_TEMPLATE}}
    ) == {"acknowledged": True}
    got = memory_client.get_script(id="t1")
    assert got["found"] is True and got["_id"] == "t1"
    assert got["script"]["lang"] == "mustache"
    assert got["script"]["source"].startswith('{"query":{"term":{"tag":"{{tag}}"}}')
    assert got["script"]["options"] == {"content_type": "application/json; charset=UTF-8"}
    memory_client.put_script(
        id="t2", body={"script": {"lang": "mustache", "source": '{"size": {{n}}}'}}
    )
    assert "options" not in memory_client.get_script(id="t2")["script"]


def test_delete_and_missing_scripts(memory_client: OpenSearch) -> None:
    memory_client.put_script(id="t1", body={"script": {"lang": "mustache", "source": "{}"}})
    assert memory_client.delete_script(id="t1") == {"acknowledged": True}
    with pytest.raises(NotFoundError) as info:
        memory_client.get_script(id="t1")
    assert info.value.info == {"_id": "t1", "found": False}
    with pytest.raises(NotFoundError) as info:
        memory_client.delete_script(id="t1")
    assert "stored script [t1] does not exist" in str(info.value.info)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            {"lang": "painless", "source": "doc['a'].value"},
            "unable to put stored script with lang [painless]",
        ),
        ({"source": "{}"}, "must specify lang for stored script"),
        ({"lang": "mustache"}, "must specify source for stored script"),
        ({"lang": "mustache", "source": '{"q": "{{x}"}'}, "Improperly closed variable"),
    ],
)
def test_invalid_stored_scripts_are_refused(
    memory_client: OpenSearch, script: dict[str, Any], message: str
) -> None:
    with pytest.raises(RequestError) as info:
        memory_client.put_script(id="bad", body={"script": script})
    assert message in str(info.value.info)


def test_render_inline_stored_and_path_id(memory_client: OpenSearch) -> None:
    memory_client.put_script(
        id="t1", body={"script": {"lang": "mustache", "source": TERM_TEMPLATE}}
    )
    expected = {"template_output": {"query": {"term": {"tag": "a"}}, "size": "3"}}
    assert (
        memory_client.render_search_template(body={"id": "t1", "params": {"tag": "a", "size": 3}})
        == expected
    )
    assert (
        memory_client.render_search_template(id="t1", body={"params": {"tag": "a", "size": 3}})
        == expected
    )
    inline = {"source": TERM_TEMPLATE, "params": {"tag": "a"}}
    assert memory_client.render_search_template(body=inline)["template_output"]["size"] == "10"


def test_helpers_render_lists_as_json_joins_and_urls(memory_client: OpenSearch) -> None:
    source = '{"query": {"terms": {"tag": {{#toJson}}tags{{/toJson}}}}, "q": "{{#join}}tags{{/join}}", "u": "{{#url}}{{p}}{{/url}}"}'
    out = memory_client.render_search_template(
        body={"source": source, "params": {"tags": ["a", "b"], "p": "a b/c"}}
    )["template_output"]
    assert out == {"query": {"terms": {"tag": ["a", "b"]}}, "q": "a,b", "u": "a+b%2Fc"}


@settings(max_examples=60, deadline=None)
@given(value=st.text())
def test_a_parameter_is_data_and_round_trips_exactly(value: str) -> None:
    """Whatever a parameter holds, it renders as one JSON string: it can never add a clause."""
    client = mutuo.connect("embedded://:memory:")
    try:
        out = client.render_search_template(
            body={"source": {"query": {"term": {"tag": "{{v}}"}}}, "params": {"v": value}}
        )["template_output"]
    finally:
        client.close()
    assert out == {"query": {"term": {"tag": value}}}


def test_search_template_by_id_and_inline(people: OpenSearch) -> None:
    people.put_script(id="by_tag", body={"script": {"lang": "mustache", "source": TERM_TEMPLATE}})
    result = people.search_template(
        index="people", body={"id": "by_tag", "params": {"tag": "a", "size": 1}}
    )
    assert result["hits"]["total"]["value"] == 2 and len(result["hits"]["hits"]) == 1
    inline = {"source": {"query": {"match": {"bio": "{{q}}"}}}, "params": {"q": "hiking"}}
    assert people.search_template(body=inline)["hits"]["total"]["value"] == 4


def test_a_search_template_runs_the_script_as_last_stored(people: OpenSearch) -> None:
    body = {"id": "by_tag", "params": {"tag": "a"}}
    people.put_script(id="by_tag", body={"script": {"lang": "mustache", "source": TERM_TEMPLATE}})
    assert people.search_template(index="people", body=body)["hits"]["total"]["value"] == 2
    by_bio = {"query": {"match": {"bio": "{{tag}}"}}}
    people.put_script(id="by_tag", body={"script": {"lang": "mustache", "source": by_bio}})
    assert people.search_template(index="people", body=body)["hits"]["total"]["value"] == 0
    people.delete_script(id="by_tag")
    with pytest.raises(NotFoundError, match="unable to find script"):
        people.search_template(index="people", body=body)


def test_search_template_errors(people: OpenSearch) -> None:
    with pytest.raises(NotFoundError) as info:
        people.search_template(body={"id": "unknown", "params": {}})
    assert "unable to find script [unknown] in cluster state" in str(info.value.info)
    with pytest.raises(NotFoundError):
        people.search_template(index="nope", body={"source": {"query": {"match_all": {}}}})
    with pytest.raises(RequestError) as err:
        people.search_template(body={"source": '{"query": "{{{q}}"}', "params": {"q": "x"}})
    assert "Improperly closed variable" in str(err.value.info)


def test_msearch_template_reports_each_response_status(people: OpenSearch) -> None:
    people.put_script(id="by_tag", body={"script": {"lang": "mustache", "source": TERM_TEMPLATE}})
    body = [
        {"index": "people"},
        {"id": "by_tag", "params": {"tag": "b"}},
        {"index": "missing"},
        {"id": "by_tag", "params": {"tag": "b"}},
        {},
        {"id": "nope"},
    ]
    responses = people.msearch_template(body=body)["responses"]
    assert responses[0]["status"] == 200 and responses[0]["hits"]["total"]["value"] == 1
    assert (
        responses[1]["status"] == 404
        and responses[1]["error"]["type"] == "index_not_found_exception"
    )
    assert (
        responses[2]["status"] == 404
        and responses[2]["error"]["type"] == "resource_not_found_exception"
    )


def test_msearch_template_needs_a_final_newline(people: OpenSearch) -> None:
    with pytest.raises(RequestError) as info:
        people.transport.perform_request(
            "POST",
            "/_msearch/template",
            body='{"index": "people"}\n{"source": {}}',
            headers={"content-type": "application/x-ndjson"},
        )
    assert "must be terminated by a newline" in str(info.value.info)
