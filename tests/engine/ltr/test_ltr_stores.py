"""Feature stores, caches and the plugin's stats endpoint, over the REST API."""

from __future__ import annotations

import pytest
from ltr_rest import Rest, error_of
from opensearchpy import NotFoundError, OpenSearch, RequestError

LINEAR_MODEL = {
    "model": {
        "feature_set": {
            "name": "my_set",
            "features": [
                {"name": "title", "params": "q", "template": {"match": {"title": "{{q}}"}}},
                {"name": "body", "params": ["q"], "template": {"match": {"body": "{{q}}"}}},
            ],
        },
        "model": {"type": "model/linear", "definition": {"title": 1.2, "body": 0.2}},
    }
}


def test_default_and_named_stores_are_hidden_indices(memory_client: OpenSearch) -> None:
    ltr = memory_client.plugins.ltr
    assert ltr.create_default_store()["index"] == ".ltrstore"
    assert ltr.create_store(store="mystore")["index"] == ".ltrstore_mystore"
    stores = ltr.list_stores()["stores"]
    assert stores["_default_"] == {
        "store": "_default_",
        "index": ".ltrstore",
        "version": 2,
        "counts": {},
    }
    assert stores["mystore"]["index"] == ".ltrstore_mystore"
    settings = memory_client.indices.get_settings(index=".ltrstore")[".ltrstore"]["settings"]
    assert settings["index"]["hidden"] == "true"
    assert settings["index"]["ltrstore_version"] == "2"
    assert memory_client.cat.indices(format="json") == []  # hidden from wildcard listings


def test_get_store_answers_exists_and_404_when_missing(rest: Rest) -> None:
    rest("PUT", "/_ltr/mystore")
    assert rest("GET", "/_ltr/mystore") == (200, {"exists": True})
    rest("DELETE", "/_ltr/mystore")
    assert rest("GET", "/_ltr/mystore") == (404, {"exists": False})
    assert rest("GET", "/_ltr")[1] == {"stores": {}}


def test_creating_an_existing_store_is_resource_already_exists(rest: Rest) -> None:
    rest("PUT", "/_ltr")
    status, body = rest("PUT", "/_ltr")
    assert status == 400
    assert error_of(body)["type"] == "resource_already_exists_exception"


def test_deleting_a_missing_store_is_index_not_found(memory_client: OpenSearch) -> None:
    with pytest.raises(NotFoundError) as info:
        memory_client.plugins.ltr.delete_default_store()
    assert info.value.error == "index_not_found_exception"


@pytest.mark.parametrize(
    ("store", "message"),
    [
        (
            "feature",
            "A featurestore name cannot be based on the words [feature], [featureset] and [model]",
        ),
        ("feature_sets", "A featurestore name cannot be based on the words"),
        ("models", "A featurestore name cannot be based on the words"),
        ("mystore#15", "Invalid feature store name [mystore#15]: must not contain '#'"),
        ("_hidden", "Invalid feature store name [_hidden]: must not start with '_', '-', or '+'"),
    ],
)
def test_invalid_store_names_are_refused(rest: Rest, store: str, message: str) -> None:
    status, body = rest("PUT", f"/_ltr/{store}")
    assert status == 400
    assert error_of(body)["type"] == "illegal_argument_exception"
    assert message in error_of(body)["reason"]


def test_updating_a_store_is_not_supported(rest: Rest) -> None:
    status, body = rest("POST", "/_ltr/mystore")
    assert status == 400
    assert error_of(body)["reason"] == "Updating a feature store is not yet supported."


def test_list_stores_counts_elements_by_type(rest: Rest) -> None:
    rest("PUT", "/_ltr")
    rest("PUT", "/_ltr/_model/my_model", LINEAR_MODEL)
    rest("PUT", "/_ltr/_feature/f1", {"feature": {"template": {"match_all": {}}}})
    rest("PUT", "/_ltr/_feature/f2", {"feature": {"template": {"match_all": {}}}})
    counts = rest("GET", "/_ltr")[1]["stores"]["_default_"]["counts"]
    assert counts == {"feature": 2, "model": 1}


def _search_with_model(memory_client: OpenSearch, store: str) -> None:
    memory_client.indices.create(index="test")
    query = {"sltr": {"params": {"q": "rambo"}, "model": "my_model", "store": store}}
    memory_client.search(index="test", body={"query": query})


def test_cache_stats_grow_when_a_model_is_used_and_reset_when_its_store_goes(
    memory_client: OpenSearch, rest: Rest
) -> None:
    rest("PUT", "/_ltr/custom")
    assert rest("GET", "/_ltr/_cachestats")[1]["all"]["total"]["ram"] == 0
    rest("PUT", "/_ltr/custom/_model/my_model", LINEAR_MODEL)
    _search_with_model(memory_client, "custom")
    stats = rest("GET", "/_ltr/_cachestats")[1]
    assert stats["all"]["total"]["ram"] > 0
    assert stats["all"]["models"]["count"] == 1
    assert stats["stores"][".ltrstore_custom"]["models"]["count"] == 1
    rest("DELETE", "/_ltr/custom")
    assert rest("GET", "/_ltr/_cachestats")[1]["all"]["total"]["ram"] == 0


def test_deleting_a_model_evicts_it_from_the_cache(memory_client: OpenSearch, rest: Rest) -> None:
    rest("PUT", "/_ltr/custom")
    rest("PUT", "/_ltr/custom/_model/my_model", LINEAR_MODEL)
    _search_with_model(memory_client, "custom")
    assert rest("GET", "/_ltr/_cachestats")[1]["all"]["total"]["count"] == 1
    rest("DELETE", "/_ltr/custom/_model/my_model")
    assert rest("GET", "/_ltr/_cachestats")[1]["all"]["total"]["ram"] == 0


def test_clear_cache_empties_one_store(memory_client: OpenSearch, rest: Rest) -> None:
    rest("PUT", "/_ltr/custom")
    rest("PUT", "/_ltr/custom/_model/my_model", LINEAR_MODEL)
    _search_with_model(memory_client, "custom")
    assert rest("POST", "/_ltr/_clearcache")[1] == {"acknowledged": True}  # default store only
    assert rest("GET", "/_ltr/_cachestats")[1]["all"]["total"]["count"] == 1
    memory_client.plugins.ltr.clear_cache(store="custom")
    assert rest("GET", "/_ltr/_cachestats")[1]["all"]["total"]["count"] == 0


def test_plugin_stats_report_stores_caches_and_request_counts(
    memory_client: OpenSearch, rest: Rest
) -> None:
    rest("PUT", "/_ltr/custom")
    rest("PUT", "/_ltr/custom/_model/my_model", LINEAR_MODEL)
    rest(
        "PUT",
        "/_ltr/custom/_featureset/my_set",
        {"featureset": LINEAR_MODEL["model"]["feature_set"]},
    )
    _search_with_model(memory_client, "custom")
    stats = memory_client.plugins.ltr.stats()
    assert stats["status"] == "green"
    assert stats["stores"][".ltrstore_custom"] == {
        "status": "green",
        "feature_count": 2,
        "featureset_count": 1,
        "model_count": 1,
    }
    (node,) = stats["nodes"].values()
    assert node["request_total_count"] == 1
    assert node["request_error_count"] == 0
    assert node["cache"]["model"]["miss_count"] == 1
    assert node["cache"]["model"]["entry_count"] == 1


def test_plugin_stats_can_be_filtered_and_unknown_stats_are_refused(
    memory_client: OpenSearch,
) -> None:
    only = memory_client.plugins.ltr.stats(stat="request_total_count")
    assert "status" not in only and "stores" not in only
    assert list(only["nodes"].values()) == [{"request_total_count": 0}]
    assert (
        memory_client.transport.perform_request("GET", "/_opendistro/_ltr/stats/status")["status"]
        == "green"
    )
    with pytest.raises(RequestError) as info:
        memory_client.plugins.ltr.stats(stat="nope")
    assert "contains unrecognized stat: [nope]" in info.value.info["error"]["reason"]


def test_the_elasticsearch_only_stats_path_does_not_exist(rest: Rest) -> None:
    status, _body = rest("GET", "/_ltr/_stats")
    assert status == 404  # GET /_ltr/{store} with store "_stats": no such store
