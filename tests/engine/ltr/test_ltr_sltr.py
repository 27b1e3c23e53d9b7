"""The ``sltr`` query: matching, feature values, model scoring and errors."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from ltr_rest import Rest, error_of
from opensearchpy import OpenSearch

from mutuo.engine.queries import parse_query
from mutuo.engine.search_context import SearchContext
from mutuo.ltr import export

DOCS = {
    "1": {"title": "rambo first blood", "body": "a soldier in the woods", "year": 1982},
    "2": {"title": "rambo", "body": "rambo returns to the jungle", "year": 1985},
    "3": {"title": "rocky", "body": "a boxer", "year": 1976},
    "4": {"title": "the jungle book", "body": "a boy and a bear", "year": 1967},
}
FEATURES = [
    {"name": "title", "params": ["q"], "template": {"match": {"title": "{{q}}"}}},
    {"name": "body", "params": ["q"], "template": {"match": {"body": "{{q}}"}}},
    {"name": "old", "template": {"ids": {"values": ["3", "4"]}}},
]


@pytest.fixture
def movies(memory_client: OpenSearch, rest: Rest) -> OpenSearch:
    mapping = {
        "properties": {
            "title": {"type": "text"},
            "body": {"type": "text"},
            "year": {"type": "integer"},
        }
    }
    memory_client.indices.create(index="movies", body={"mappings": mapping})
    for doc_id, doc in DOCS.items():
        memory_client.index(index="movies", id=doc_id, body=doc)
    memory_client.indices.refresh(index="movies")
    rest("PUT", "/_ltr")
    rest("PUT", "/_ltr/_featureset/movies", {"featureset": {"features": FEATURES}})
    return memory_client


def put_model(rest: Rest, name: str, model_type: str, definition: Any, **extra: Any) -> None:
    body = {
        "model": {"name": name, "model": {"type": model_type, "definition": definition, **extra}}
    }
    status, answer = rest("POST", "/_ltr/_featureset/movies/_createmodel", body)
    assert status == 201, answer


def search(client: OpenSearch, query: dict[str, Any], **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = client.search(
        index="movies", body={"query": query, "size": 10, **body}
    )
    return result


def scores(result: dict[str, Any]) -> dict[str, float]:
    return {h["_id"]: h["_score"] for h in result["hits"]["hits"]}


def match_scores(client: OpenSearch, field: str, text: str) -> dict[str, float]:
    return scores(search(client, {"match": {field: text}}))


def test_sltr_matches_every_document_even_when_no_feature_does(
    movies: OpenSearch, rest: Rest
) -> None:
    put_model(rest, "lin", "model/linear", {"title": 1.0})
    result = search(movies, {"sltr": {"model": "lin", "params": {"q": "nothing-matches"}}})
    assert result["hits"]["total"]["value"] == 4
    assert set(scores(result).values()) == {0.0}


def test_linear_model_scores_are_weighted_feature_scores(movies: OpenSearch, rest: Rest) -> None:
    put_model(rest, "lin", "model/linear", {"title": 2.0, "body": -0.5})
    got = scores(search(movies, {"sltr": {"model": "lin", "params": {"q": "rambo"}}}))
    title, body = match_scores(movies, "title", "rambo"), match_scores(movies, "body", "rambo")
    for doc_id in DOCS:
        t = np.float32(title.get(doc_id, 0.0))
        b = np.float32(body.get(doc_id, 0.0))
        expected = np.float32(np.float32(2.0) * t) + np.float32(np.float32(-0.5) * b)
        assert got[doc_id] == pytest.approx(float(expected), abs=1e-6)
    negative = search(movies, {"sltr": {"model": "lin", "params": {"q": "jungle"}}})
    ranked = [h["_score"] for h in negative["hits"]["hits"]]
    assert ranked == sorted(ranked, reverse=True)
    assert ranked[-1] < 0  # negative model outputs are scores like any other


def test_a_featureset_scores_the_sum_of_its_features(movies: OpenSearch) -> None:
    got = scores(search(movies, {"sltr": {"featureset": "movies", "params": {"q": "rambo"}}}))
    title, body = match_scores(movies, "title", "rambo"), match_scores(movies, "body", "rambo")
    old = {"3": 1.0, "4": 1.0}
    for doc_id in DOCS:
        expected = title.get(doc_id, 0) + body.get(doc_id, 0) + old.get(doc_id, 0)
        assert got[doc_id] == pytest.approx(expected, abs=1e-5)


def test_active_features_leave_the_others_unmatched(movies: OpenSearch, rest: Rest) -> None:
    put_model(rest, "lin", "model/linear", {"title": 1.0, "body": 1.0})
    query = {"sltr": {"model": "lin", "params": {"q": "rambo"}, "active_features": ["body"]}}
    assert scores(search(movies, query)) == pytest.approx(
        {d: match_scores(movies, "body", "rambo").get(d, 0.0) for d in DOCS}
    )
    bad = {"sltr": {"model": "lin", "params": {"q": "x"}, "active_features": ["nope"]}}
    status, body = rest("POST", "/movies/_search", {"query": bad})
    assert status == 400
    assert "Feature: [nope] provided in active_features does not exist" in str(body)


def one_split_model(feature: str, threshold: float, missing: str = "no") -> dict[str, Any]:
    """``feature < threshold`` -> 10, else 20; missing values go to ``missing``."""
    return {
        "objective": "rank:pairwise",
        "splits": [
            {
                "nodeid": 0,
                "depth": 0,
                "split": feature,
                "split_condition": threshold,
                "yes": 1,
                "no": 2,
                "missing": 1 if missing == "yes" else 2,
                "children": [{"nodeid": 1, "leaf": 10.0}, {"nodeid": 2, "leaf": 20.0}],
            }
        ],
    }


def test_boost_scales_the_features_not_the_model_output(movies: OpenSearch, rest: Rest) -> None:
    title = match_scores(movies, "title", "rambo")
    assert max(title.values()) < 2 * min(title.values())
    threshold = (max(title.values()) + 2 * min(title.values())) / 2  # raw < it <= doubled
    put_model(rest, "tree", "model/xgboost+json", one_split_model("title", threshold))
    plain = scores(search(movies, {"sltr": {"model": "tree", "params": {"q": "rambo"}}}))
    boosted = scores(
        search(movies, {"sltr": {"model": "tree", "params": {"q": "rambo"}, "boost": 2}})
    )
    assert {plain[d] for d in title} == {10.0}
    assert {boosted[d] for d in title} == {20.0}


@pytest.mark.parametrize(("missing", "expected"), [("yes", 10.0), ("no", 20.0)])
def test_xgboost_routes_unmatched_features_by_the_missing_branch(
    movies: OpenSearch, rest: Rest, missing: str, expected: float
) -> None:
    put_model(rest, "tree", "model/xgboost+json", one_split_model("title", 1e9, missing))
    got = scores(search(movies, {"sltr": {"model": "tree", "params": {"q": "rambo"}}}))
    assert got["3"] == expected  # no title match: NaN, routed by "missing"
    assert got["1"] == 10.0  # matched: score < 1e9


def test_missing_as_zero_models_see_zero_for_unmatched_features(
    movies: OpenSearch, rest: Rest
) -> None:
    definition = {**one_split_model("title", 1e-9), "missing_as_zero": True}
    put_model(rest, "tree", "model/xgboost+json", definition)
    got = scores(search(movies, {"sltr": {"model": "tree", "params": {"q": "rambo"}}}))
    assert got["3"] == 10.0  # 0.0 < 1e-9


def test_normalizers_apply_before_the_model(movies: OpenSearch, rest: Rest) -> None:
    norms = {"title": {"standard": {"mean": 1.0, "standard_deviation": 0.5}}}
    put_model(rest, "lin", "model/linear", {"title": 1.0}, feature_normalizers=norms)
    got = scores(search(movies, {"sltr": {"model": "lin", "params": {"q": "rambo"}}}))
    title = match_scores(movies, "title", "rambo")
    for doc_id in DOCS:
        raw = np.float32(title.get(doc_id, 0.0))  # unmatched features are normalised too
        assert got[doc_id] == pytest.approx(
            float((raw - np.float32(1.0)) / np.float32(0.5)), abs=1e-6
        )


def test_derived_features_combine_earlier_features_and_numeric_params(
    memory_client: OpenSearch, rest: Rest, movies: OpenSearch
) -> None:
    features = [
        FEATURES[0],
        {
            "name": "twice",
            "params": ["w"],
            "template_language": "derived_expression",
            "template": "title * w + later",
        },
        {"name": "later", "template": {"match_all": {}}},
    ]
    rest("PUT", "/_ltr/_featureset/derived", {"featureset": {"features": features}})
    query = {"sltr": {"featureset": "derived", "params": {"q": "rambo", "w": 3}}}
    got = scores(search(movies, query))
    title = match_scores(movies, "title", "rambo")
    for doc_id in DOCS:
        t = title.get(doc_id, 0.0)
        # "later" comes after "twice": it still holds the default (0) when "twice" is computed
        assert got[doc_id] == pytest.approx(t + 3 * t + 1.0, abs=1e-5)
    status, body = rest(
        "POST",
        "/movies/_search",
        {"query": {"sltr": {"featureset": "derived", "params": {"q": "x", "w": "3"}}}},
    )
    assert status == 400
    assert "parameter: w expected to be of type Double" in str(body)


def test_derived_features_must_refer_to_features_or_params(rest: Rest, movies: OpenSearch) -> None:
    bad = {"name": "d", "template_language": "derived_expression", "template": "title + nope"}
    status, body = rest(
        "PUT", "/_ltr/_featureset/bad", {"featureset": {"features": [FEATURES[0], bad]}}
    )
    assert status == 400
    assert "Derived feature [d] refers to unknown feature or parameter: [nope]" in str(body)
    broken = {"name": "d", "template_language": "derived_expression", "template": "title +* 2"}
    status, body = rest(
        "PUT", "/_ltr/_featureset/bad", {"featureset": {"features": [FEATURES[0], broken]}}
    )
    assert status == 400
    assert error_of(body)["type"] == "script_exception"


def test_filter_context_is_a_constant_match_all(movies: OpenSearch, rest: Rest) -> None:
    put_model(rest, "lin", "model/linear", {"title": 1.0})
    query = {"bool": {"filter": [{"sltr": {"model": "lin", "params": {"q": "rambo"}}}]}}
    assert scores(search(movies, query)) == {d: 0.0 for d in DOCS}
    missing = {"bool": {"filter": [{"sltr": {"model": "nope", "params": {}}}]}}
    status, _ = Rest(movies)("POST", "/movies/_search", {"query": missing})
    assert status == 400  # the model is still loaded in filter context


@pytest.mark.parametrize(
    ("sltr", "root_type", "reason", "cause"),
    [
        (
            {"model": "nope", "params": {}},
            "query_shard_exception",
            "failed to create query: Unknown model [nope]",
            "resource_not_found_exception",
        ),
        (
            {"featureset": "nope", "params": {}},
            "query_shard_exception",
            "failed to create query: Unknown featureset [nope]",
            "resource_not_found_exception",
        ),
        (
            {"featureset": "movies", "params": {}},
            "query_shard_exception",
            "failed to create query: Missing required param(s): [q]",
            "illegal_argument_exception",
        ),
        (
            {"featureset": "movies", "store": "other", "params": {"q": "x"}},
            "query_shard_exception",
            "failed to create query: no such index [.ltrstore_other]",
            "index_not_found_exception",
        ),
    ],
)
def test_query_building_failures_are_shard_failures(
    movies: OpenSearch, rest: Rest, sltr: dict[str, Any], root_type: str, reason: str, cause: str
) -> None:
    status, body = rest("POST", "/movies/_search", {"query": {"sltr": sltr}})
    assert status == 400
    error = error_of(body)
    assert error["type"] == "search_phase_execution_exception"
    assert error["root_cause"][0]["type"] == root_type
    assert error["root_cause"][0]["reason"] == reason
    assert error["failed_shards"][0]["reason"]["caused_by"]["type"] == cause


def test_a_feature_template_that_is_not_a_query_names_the_feature(
    movies: OpenSearch, rest: Rest
) -> None:
    bad = {"name": "bad", "params": ["q"], "template": {"not_a_query": {"f": "{{q}}"}}}
    rest("PUT", "/_ltr/_featureset/bad", {"featureset": {"features": [bad]}})
    status, body = rest(
        "POST", "/movies/_search", {"query": {"sltr": {"featureset": "bad", "params": {"q": "x"}}}}
    )
    assert status == 400
    shard_reason = error_of(body)["failed_shards"][0]["reason"]
    assert shard_reason["reason"] == "Cannot create query while parsing feature [bad]"
    assert "unknown query [not_a_query]" in shard_reason["caused_by"]["reason"]


@pytest.mark.parametrize(
    ("sltr", "error_type", "reason"),
    [
        ({"params": {}}, "parsing_exception", "Either [model] or [featureset] must be set."),
        ({"model": "m"}, "parsing_exception", "Field [params] is mandatory."),
        (
            {"model": "m", "params": {}, "weights": 1},
            "x_content_parse_exception",
            "[sltr] unknown field [weights]",
        ),
    ],
)
def test_malformed_sltr_queries_are_parse_errors(
    movies: OpenSearch, rest: Rest, sltr: dict[str, Any], error_type: str, reason: str
) -> None:
    status, body = rest("POST", "/movies/_search", {"query": {"sltr": sltr}})
    assert status == 400
    assert (error_of(body)["type"], error_of(body)["reason"]) == (error_type, reason)


def test_request_counters_count_sltr_queries_and_their_failures(
    movies: OpenSearch, rest: Rest
) -> None:
    rest(
        "POST",
        "/movies/_search",
        {"query": {"sltr": {"featureset": "movies", "params": {"q": "x"}}}},
    )
    rest("POST", "/movies/_search", {"query": {"sltr": {"model": "nope", "params": {}}}})
    (node,) = movies.plugins.ltr.stats()["nodes"].values()
    assert (node["request_total_count"], node["request_error_count"]) == (2, 1)


def test_scores_in_a_domain_equal_the_whole_index_scores(movies: OpenSearch, rest: Rest) -> None:
    put_model(rest, "lin", "model/linear", {"title": 1.0, "body": 0.5})
    engine = movies.transport.get_connection().engine
    query = parse_query({"sltr": {"model": "lin", "params": {"q": "rambo jungle"}}})
    index = engine.indices["movies"]
    with engine.lock:
        full = query.run(SearchContext(engine, index), scoring=True).score_array()
        ctx = SearchContext(engine, index)
        ctx.domain = np.array([1, 3])
        window = query.run(ctx, scoring=True)
    assert window.mask.all()  # still a match-all
    np.testing.assert_array_equal(window.score_array()[[1, 3]], full[[1, 3]])


def test_xgboost_model_scores_match_xgboost_on_the_engines_own_features(
    movies: OpenSearch, rest: Rest
) -> None:
    """End to end: features computed by the engine (with misses), then model vs xgboost."""
    names = ["title", "body"]
    rng = np.random.default_rng(5)
    x = rng.random((300, 2)).astype(np.float32) * 3
    x[rng.random(x.shape) < 0.3] = np.nan
    booster = xgb.train(
        {"objective": "rank:ndcg", "max_depth": 4, "nthread": 1},
        xgb.DMatrix(
            x, rng.integers(0, 3, 300), qid=np.repeat(np.arange(30), 10), feature_names=names
        ),
        num_boost_round=30,
    )
    put_model(
        rest, "xgb", "model/xgboost+json", json.dumps(export.xgboost_json_definition(booster))
    )
    logged = {"sltr": {"_name": "log", "featureset": "movies", "params": {"q": "rambo jungle"}}}
    query = {
        "bool": {
            "must": [{"sltr": {"model": "xgb", "params": {"q": "rambo jungle"}}}],
            "filter": [logged],
        }
    }
    result = search(movies, query, ext={"ltr_log": {"log_specs": [{"named_query": "log"}]}})
    rows, got = [], []
    for hit in result["hits"]["hits"]:
        entries = {e["name"]: e.get("value", math.nan) for e in hit["fields"]["_ltrlog"][0]["log"]}
        rows.append([entries[n] for n in names])
        got.append(hit["_score"])
    matrix = np.array(rows, dtype=np.float32)
    assert np.isnan(matrix).any() and not np.isnan(matrix).all()
    expected = booster.predict(
        xgb.DMatrix(matrix, feature_names=names, base_margin=np.zeros(len(matrix))),
        output_margin=True,
    )
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_inactive_features_need_no_params(movies: OpenSearch, rest: Rest) -> None:
    put_model(rest, "lin3", "model/linear", {"title": 1.0, "body": 2.0, "old": 3.0})
    query = {"sltr": {"model": "lin3", "params": {}, "active_features": ["old"]}}
    assert scores(search(movies, query)) == {"1": 0.0, "2": 0.0, "3": 3.0, "4": 3.0}


def test_sltr_as_a_rescore_query_scores_the_window_with_the_model(
    movies: OpenSearch, rest: Rest
) -> None:
    pytest.importorskip("mutuo.engine.features.rescore", reason="needs the rescore search feature")
    put_model(rest, "lin", "model/linear", {"title": 1.0, "old": 100.0})
    rescore = {
        "window_size": 3,
        "query": {
            "rescore_query": {"sltr": {"model": "lin", "params": {"q": "rambo"}}},
            "query_weight": 0.0,
            "rescore_query_weight": 1.0,
        },
    }
    result = search(movies, {"match": {"body": "a the"}}, rescore=rescore)
    got = scores(result)
    title = match_scores(movies, "title", "rambo")
    window = [h["_id"] for h in search(movies, {"match": {"body": "a the"}})["hits"]["hits"]][:3]
    for doc_id in window:
        expected = title.get(doc_id, 0.0) + (100.0 if doc_id in ("3", "4") else 0.0)
        assert got[doc_id] == pytest.approx(expected, abs=1e-4)
