"""Features, feature sets and models in a store: CRUD, _addfeatures, _createmodel, validation."""

from __future__ import annotations

from typing import Any

import pytest
from ltr_rest import Rest, error_of
from opensearchpy import OpenSearch

import mutuo

TITLE = {"name": "title", "params": ["q"], "template": {"match": {"title": "{{q}}"}}}
BODY = {"name": "body", "params": "q", "template": {"match": {"body": "{{q}}"}}}
UNNAMED = {"params": "q", "template": {"match": {"body": "{{q}}"}}}


def linear_model(definition: Any = None, **model: Any) -> dict[str, Any]:
    return {
        "model": {
            "feature_set": {"name": "my_set", "features": [TITLE, BODY]},
            "model": {
                "type": "model/linear",
                "definition": definition or {"title": 1.2, "body": 0.2},
                **model,
            },
        }
    }


@pytest.fixture
def store(rest: Rest) -> Rest:
    rest("PUT", "/_ltr")
    return rest


def test_feature_crud_follows_the_plugin(store: Rest) -> None:
    status, body = store(
        "PUT", "/_ltr/_feature/my_feature", {"feature": BODY | {"name": "my_feature"}}
    )
    assert status == 201
    assert (body["_index"], body["_id"], body["_version"]) == (".ltrstore", "feature-my_feature", 1)
    status, got = store("GET", "/_ltr/_feature/my_feature")
    assert got["_source"] == {
        "name": "my_feature",
        "type": "feature",
        "feature": {
            "name": "my_feature",
            "params": ["q"],  # a single string is a one-element list
            "template_language": "mustache",
            "template": {"match": {"body": "{{q}}"}},
        },
    }
    status, conflict = store("PUT", "/_ltr/_feature/my_feature", {"feature": UNNAMED})
    assert status == 409
    assert error_of(conflict)["type"] == "version_conflict_engine_exception"
    assert error_of(conflict)["reason"] == (
        "[feature-my_feature]: version conflict, document already exists (current version [1])"
    )
    updated = {"feature": {"params": ["q2"], "template": {"match": {"body": "{{q2}}"}}}}
    status, body = store("POST", "/_ltr/_feature/my_feature", updated)
    assert (status, body["_version"], body["result"]) == (200, 2, "updated")
    assert store("GET", "/_ltr/_feature/my_feature")[1]["_source"]["feature"]["params"] == ["q2"]
    assert store("DELETE", "/_ltr/_feature/my_feature")[1]["result"] == "deleted"
    status, missing = store("GET", "/_ltr/_feature/my_feature")
    assert (status, missing["found"]) == (404, False)


def test_listing_searches_names_by_prefix(store: Rest) -> None:
    for name in ("my_feature", "my_other", "another"):
        store("PUT", f"/_ltr/_feature/{name}", {"feature": UNNAMED})
    store("PUT", "/_ltr/_featureset/my_set", {"featureset": {"features": [TITLE]}})

    def total(path: str, **params: Any) -> int:
        return int(store("GET", path, params=params)[1]["hits"]["total"]["value"])

    assert total("/_ltr/_feature") == 3
    assert total("/_ltr/_feature", prefix="my") == 2
    assert total("/_ltr/_feature", prefix="my_f") == 1
    assert total("/_ltr/_feature", prefix="My") == 0  # prefixes are case-sensitive
    assert total("/_ltr/_feature", prefix="hop") == 0
    assert total("/_ltr/_featureset", prefix="my") == 1
    hits = store("GET", "/_ltr/_feature", params={"size": 1, "from": 1})[1]["hits"]["hits"]
    assert len(hits) == 1


def test_writes_to_a_missing_store_do_not_create_it(rest: Rest) -> None:
    status, body = rest("PUT", "/_ltr/_feature/f", {"feature": UNNAMED})
    assert status == 400
    assert error_of(body)["reason"] == "Store [.ltrstore] does not exist, please create it first."
    assert rest("GET", "/_ltr/_feature/f")[0] == 404  # the GET itself: index_not_found


@pytest.mark.parametrize(
    ("path", "body", "error_type", "reason"),
    [
        (
            "/_ltr/_feature/f",
            {},
            "parsing_exception",
            "Element of type [feature,featureset,model] is mandatory.",
        ),
        (
            "/_ltr/_feature/f",
            {"feature": UNNAMED, "featureset": {}},
            "illegal_argument_exception",
            "only one element can be set at a time",
        ),
        (
            "/_ltr/_feature/f",
            {"featureset": {"features": []}},
            "illegal_argument_exception",
            "Excepted a [feature] but encountered [featureset]",
        ),
        (
            "/_ltr/_feature/f",
            {"feature": BODY | {"name": "g"}},
            "parsing_exception",
            "Invalid [name], expected [f] but got [g]",
        ),
        (
            "/_ltr/_feature/f",
            {"feature": {"params": []}},
            "parsing_exception",
            "Field [template] is mandatory",
        ),
        (
            "/_ltr/_feature/f",
            {"feature": BODY | {"weight": 2}},
            "x_content_parse_exception",
            "[feature] unknown field [weight]",
        ),
        (
            "/_ltr/_featureset/s",
            {"featureset": {"features": [TITLE, TITLE]}},
            "parsing_exception",
            "Feature [title] defined twice in this set: feature names must be unique in a set.",
        ),
        (
            "/_ltr/_featureset/s",
            {"featureset": {"features": [{"template": {"match_all": {}}}]}},
            "parsing_exception",
            "Field [name] is mandatory",
        ),
        (
            "/_ltr/_feature/f",
            {"feature": {"template": {"match": {"t": "{{#q}}"}}}},
            "illegal_argument_exception",
            "Failed to close 'q' tag",
        ),
    ],
)
def test_malformed_elements_are_refused(
    store: Rest, path: str, body: dict[str, Any], error_type: str, reason: str
) -> None:
    status, answer = store("PUT", path, body)
    assert status == 400
    assert error_of(answer)["type"] == error_type
    assert reason in error_of(answer)["reason"]


def test_script_features_are_refused_with_a_clear_error(store: Rest) -> None:
    script = {"lang": "painless", "source": "params.feature_vector.get('title') * 2"}
    feature = {"name": "s", "template_language": "script_feature", "template": script}
    status, body = store(
        "PUT", "/_ltr/_featureset/s", {"featureset": {"features": [TITLE, feature]}}
    )
    assert status == 400
    assert "cannot execute scripts" in error_of(body)["reason"]


def test_models_are_immutable_and_keep_their_definition_as_sent(store: Rest) -> None:
    normalizers = {"title": {"standard": {"mean": 0.5, "standard_deviation": 0.2}}}
    status, body = store("PUT", "/_ltr/_model/m", linear_model(feature_normalizers=normalizers))
    assert (status, body["_id"]) == (201, "model-m")
    source = store("GET", "/_ltr/_model/m")[1]["_source"]["model"]
    assert source["model"]["definition"] == {"title": 1.2, "body": 0.2}
    assert source["model"]["feature_normalizers"] == normalizers
    status, body = store("POST", "/_ltr/_model/m", linear_model())
    assert status == 405
    assert error_of(body) == {
        "root_cause": [error_of(body)["root_cause"][0]],
        "type": "illegal_argument_exception",
        "reason": "Element of type [model] are not updatable, please create a new one instead.",
    }
    plain = store("PUT", "/_ltr/_model/n", linear_model())[1]
    assert plain["result"] == "created"
    feature_normalizers = store("GET", "/_ltr/_model/n")[1]["_source"]["model"]["model"]
    assert feature_normalizers["feature_normalizers"] == {}


@pytest.mark.parametrize(
    ("model", "cause"),
    [
        (linear_model({"nope": 1.0}), "Feature [nope] is unknown."),
        (linear_model({"title": "1"}), "Expected a float but found [VALUE_STRING]"),
        (linear_model(type="model/unknown"), "Unsupported LtrRanker format/type [model/unknown]"),
        (
            linear_model(feature_normalizers={"other": {"min_max": {"minimum": 0, "maximum": 1}}}),
            "Feature other not found in feature set my_set",
        ),
    ],
)
def test_models_that_do_not_compile_are_refused(
    store: Rest, model: dict[str, Any], cause: str
) -> None:
    status, body = store("PUT", "/_ltr/_model/m", model)
    assert status == 400
    error = error_of(body)
    assert error["type"] == "illegal_argument_exception"
    assert error["reason"].startswith("Error while parsing model [m] with type [")
    assert cause in error["caused_by"]["reason"]


def test_xgboost_models_with_unknown_objectives_are_refused(store: Rest) -> None:
    tree = {"nodeid": 0, "leaf": 1.0}
    model = linear_model(
        {"objective": "reg:squarederror", "splits": [tree]}, type="model/xgboost+json"
    )
    status, body = store("PUT", "/_ltr/_model/m", model)
    assert status == 400
    assert "Objective [reg:squarederror] is not a valid XGBoost objective" in str(body)


@pytest.mark.parametrize(
    ("normalizer", "message"),
    [
        (
            {"standard": {"mean": 1, "standard_deviation": 0}},
            "Standard Deviation Must Be Positive.",
        ),
        ({"min_max": {"minimum": 2, "maximum": 1}}, "Maximum 1.0 must be larger than minimum"),
        ({"min_max": {"minimum": -1}}, "Minimum -1.0 must be positive"),
        ({"standard": {"mean": 1}, "min_max": {}}, "Multiple feature normalizers detected"),
    ],
)
def test_invalid_normalizers_are_refused(
    store: Rest, normalizer: dict[str, Any], message: str
) -> None:
    status, body = store(
        "PUT", "/_ltr/_model/m", linear_model(feature_normalizers={"title": normalizer})
    )
    assert status == 400
    assert message in str(body)


def test_add_features_by_name_query_appends_and_merges(store: Rest) -> None:
    for name in ("my_feature1", "my_feature2", "another_feature"):
        store("PUT", f"/_ltr/_feature/{name}", {"feature": UNNAMED})
    status, body = store("POST", "/_ltr/_featureset/gen/_addfeatures/my_feature*")
    assert (status, body["_id"], body["_version"]) == (201, "featureset-gen", 1)
    features = store("GET", "/_ltr/_featureset/gen")[1]["_source"]["featureset"]["features"]
    assert [f["name"] for f in features] == ["my_feature1", "my_feature2"]
    assert store("POST", "/_ltr/_featureset/gen/_addfeatures/another_feature")[1]["_version"] == 2
    status, body = store("POST", "/_ltr/_featureset/gen/_addfeatures/another_feature")
    assert status == 400
    assert "Feature [another_feature] defined twice in this set" in error_of(body)["reason"]
    merged = store(
        "POST", "/_ltr/_featureset/gen/_addfeatures/another_feature", params={"merge": "true"}
    )
    assert merged[1]["_version"] == 3
    features = store("GET", "/_ltr/_featureset/gen")[1]["_source"]["featureset"]["features"]
    assert [f["name"] for f in features] == ["my_feature1", "my_feature2", "another_feature"]
    assert store("POST", "/_ltr/_featureset/all/_addfeatures/*")[1]["result"] == "created"


def test_add_features_from_the_body_merges_in_place(store: Rest) -> None:
    store("POST", "/_ltr/_featureset/gen/_addfeatures", {"features": [TITLE, BODY]})
    replaced = BODY | {"params": ["x"], "template": {"match": {"body": "{{x}}"}}}
    new = {"name": "extra", "template": {"match_all": {}}}
    store(
        "POST",
        "/_ltr/_featureset/gen/_addfeatures",
        {"features": [replaced, new]},
        params={"merge": "true"},
    )
    features = store("GET", "/_ltr/_featureset/gen")[1]["_source"]["featureset"]["features"]
    assert [f["name"] for f in features] == ["title", "body", "extra"]
    assert features[1]["params"] == ["x"]


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("/_ltr/_featureset/g/_addfeatures", None, "none provided"),
        ("/_ltr/_featureset/g/_addfeatures/x", {"features": [TITLE]}, "not both"),
        (
            "/_ltr/_featureset/g/_addfeatures/nothing*",
            None,
            "The feature query [nothing*] returned no features",
        ),
    ],
)
def test_add_features_needs_exactly_one_source_of_features(
    store: Rest, path: str, body: Any, reason: str
) -> None:
    status, answer = store("POST", path, body)
    assert status == 400
    assert reason in error_of(answer)["reason"]


def test_create_model_copies_the_current_feature_set(
    store: Rest, memory_client: OpenSearch
) -> None:
    store("PUT", "/_ltr/_featureset/s", {"featureset": {"features": [TITLE, BODY]}})
    model = {
        "model": {"name": "m", "model": {"type": "model/linear", "definition": {"title": 1.3}}}
    }
    status, body = store("POST", "/_ltr/_featureset/s/_createmodel", model)
    assert (status, body["_id"], body["_version"]) == (201, "model-m", 1)
    store(
        "POST",
        "/_ltr/_featureset/s/_addfeatures",
        {"features": [{"name": "x", "template": {"match_all": {}}}]},
    )
    copied = memory_client.plugins.ltr.get_model(id="m")["_source"]["model"]["feature_set"]
    assert [f["name"] for f in copied["features"]] == ["title", "body"]
    status, again = store("POST", "/_ltr/_featureset/s/_createmodel", model)
    assert status == 405
    assert error_of(again)["reason"] == (
        "Element of type [model] are not updatable, please create a new one instead."
    )


@pytest.mark.parametrize(
    ("path", "params", "body", "reason"),
    [
        (
            "/_ltr/_featureset/missing/_createmodel",
            None,
            None,
            "Stored feature set [missing] does not exist",
        ),
        (
            "/_ltr/_featureset/s/_createmodel",
            {"version": "3"},
            None,
            "Stored feature set [s] has version [1] but [3] was expected.",
        ),
        (
            "/_ltr/_featureset/s/_createmodel",
            {"version": "0"},
            None,
            "version must be a strictly positive long value",
        ),
        (
            "/_ltr/_featureset/s/_createmodel",
            None,
            {"validation": {"index": "i", "params": {}}},
            "Missing required value [model]",
        ),
        (
            "/_ltr/_featureset/s/_createmodel",
            None,
            {"model": {"model": {}}},
            "Missing required value [name]",
        ),
    ],
)
def test_create_model_errors(
    store: Rest, path: str, params: dict[str, str] | None, body: Any, reason: str
) -> None:
    store("PUT", "/_ltr/_featureset/s", {"featureset": {"features": [TITLE]}})
    default = {"model": {"name": "m", "model": {"type": "model/linear", "definition": {}}}}
    status, answer = store("POST", path, default if body is None else body, params=params)
    assert status == 400
    assert reason in error_of(answer)["reason"]
    assert store("GET", "/_ltr/_model/m")[0] == 404


def test_create_model_with_the_right_version_succeeds(store: Rest) -> None:
    store("PUT", "/_ltr/_featureset/s", {"featureset": {"features": [TITLE]}})
    store("POST", "/_ltr/_featureset/s", {"featureset": {"features": [TITLE, BODY]}})
    model = {"model": {"name": "m", "model": {"type": "model/linear", "definition": {"body": 1}}}}
    assert (
        store("POST", "/_ltr/_featureset/s/_createmodel", model, params={"version": "2"})[0] == 201
    )


BROKEN = {"name": "broken", "params": ["q"], "template": {"broken_query": {"field": "{{q}}"}}}
VALIDATION = {"index": "test_index", "params": {"q": "test query"}}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/_ltr/_feature/broken", {"feature": BROKEN}),
        ("PUT", "/_ltr/_featureset/s", {"featureset": {"features": [TITLE, BROKEN]}}),
        (
            "PUT",
            "/_ltr/_model/m",
            {
                "model": {
                    "feature_set": {"name": "s", "features": [TITLE, BROKEN]},
                    "model": {"type": "model/linear", "definition": {}},
                }
            },
        ),
        ("POST", "/_ltr/_featureset/s/_addfeatures", {"features": [BROKEN]}),
    ],
)
def test_validation_refuses_elements_that_fail_as_queries(
    store: Rest, memory_client: OpenSearch, method: str, path: str, body: dict[str, Any]
) -> None:
    memory_client.indices.create(index="test_index")
    status, answer = store(method, path, body | {"validation": VALIDATION})
    assert status == 400
    error = error_of(answer)
    assert error["type"] == "illegal_argument_exception"
    assert error["reason"] == "Cannot store element, validation failed."
    assert "unknown query [broken_query]" in str(error["caused_by"])
    assert store("GET", "/_ltr")[1]["stores"]["_default_"]["counts"] == {}


def test_validation_on_add_features_by_query_and_create_model(
    store: Rest, memory_client: OpenSearch
) -> None:
    memory_client.indices.create(index="test_index")
    store("PUT", "/_ltr/_feature/f1", {"feature": UNNAMED})
    store("PUT", "/_ltr/_feature/f2", {"feature": BROKEN | {"name": "f2"}})
    status, answer = store(
        "POST", "/_ltr/_featureset/gen/_addfeatures/f*", {"validation": VALIDATION}
    )
    assert status == 400
    assert error_of(answer)["reason"] == "Cannot store element, validation failed."
    store("PUT", "/_ltr/_featureset/s", {"featureset": {"features": [TITLE, BROKEN]}})
    model = {"model": {"name": "m", "model": {"type": "model/linear", "definition": {}}}}
    status, answer = store(
        "POST", "/_ltr/_featureset/s/_createmodel", model | {"validation": VALIDATION}
    )
    assert status == 400
    assert error_of(answer)["reason"] == "Cannot store element, validation failed."


def test_validation_passes_for_working_elements_and_needs_the_index(
    store: Rest, memory_client: OpenSearch
) -> None:
    memory_client.indices.create(index="test_index")
    memory_client.index(index="test_index", id="1", body={"title": "test"}, refresh=True)
    ok = store(
        "PUT",
        "/_ltr/_featureset/s",
        {"featureset": {"features": [TITLE]}, "validation": VALIDATION},
    )
    assert ok[0] == 201
    missing_param = {"index": "test_index", "params": {}}
    status, body = store(
        "PUT", "/_ltr/_feature/title", {"feature": TITLE, "validation": missing_param}
    )
    assert status == 400
    assert "Missing required param(s): [q]" in str(body)
    no_index = {"index": "nope", "params": {"q": "x"}}
    status, body = store("PUT", "/_ltr/_feature/title", {"feature": TITLE, "validation": no_index})
    assert status == 400
    assert error_of(body)["caused_by"]["type"] == "index_not_found_exception"


def test_elements_survive_a_restart(engine_path: str) -> None:
    client = mutuo.connect(f"embedded://{engine_path}")
    client.plugins.ltr.create_default_store()
    client.plugins.ltr.create_model(id="m", body=linear_model())
    client.close()
    reopened = mutuo.connect(f"embedded://{engine_path}")
    try:
        assert reopened.plugins.ltr.get_model(id="m")["_source"]["name"] == "m"
        assert reopened.plugins.ltr.list_stores()["stores"]["_default_"]["counts"] == {"model": 1}
    finally:
        reopened.close()
