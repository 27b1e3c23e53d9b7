"""Feature logging through ``ext.ltr_log``: the plugin's output shape and errors."""

from __future__ import annotations

from typing import Any

import pytest
from ltr_rest import Rest, error_of
from opensearchpy import OpenSearch

FEATURES = [
    {"name": "title", "params": ["q"], "template": {"match": {"title": "{{q}}"}}},
    {"name": "is_two", "template": {"ids": {"values": ["2"]}}},
    {"name": "sum", "template_language": "derived_expression", "template": "title + is_two"},
]


@pytest.fixture
def index(memory_client: OpenSearch, rest: Rest) -> OpenSearch:
    memory_client.indices.create(
        index="docs", body={"mappings": {"properties": {"title": {"type": "text"}}}}
    )
    memory_client.index(index="docs", id="1", body={"title": "rambo first blood"})
    memory_client.index(index="docs", id="2", body={"title": "rocky"})
    memory_client.indices.refresh(index="docs")
    rest("PUT", "/_ltr")
    rest("PUT", "/_ltr/_featureset/s", {"featureset": {"features": FEATURES}})
    norms = {"title": {"standard": {"mean": 5, "standard_deviation": 2}}}
    model = {
        "model": {
            "name": "m",
            "model": {
                "type": "model/linear",
                "definition": {"title": 1},
                "feature_normalizers": norms,
            },
        }
    }
    rest("POST", "/_ltr/_featureset/s/_createmodel", model)
    return memory_client


def logged_search(
    client: OpenSearch, specs: Any, sltr: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    sltr = sltr or {"_name": "logged", "featureset": "s", "params": {"q": "rambo"}}
    body = {
        "query": {"bool": {"must": [{"match_all": {}}], "filter": [{"sltr": sltr}]}},
        "ext": {"ltr_log": {"log_specs": specs}},
        **extra,
    }
    result: dict[str, Any] = client.search(index="docs", body=body)
    return result


def logs(result: dict[str, Any]) -> dict[str, Any]:
    return {h["_id"]: h["fields"]["_ltrlog"] for h in result["hits"]["hits"]}


def test_each_hit_gets_its_raw_feature_values_in_ordinal_order(index: OpenSearch) -> None:
    title = index.search(index="docs", body={"query": {"match": {"title": "rambo"}}})["hits"][
        "hits"
    ][0]["_score"]
    got = logs(logged_search(index, {"name": "entry", "named_query": "logged"}))
    assert got["1"] == [
        {
            "entry": [
                {"name": "title", "value": pytest.approx(title)},
                {"name": "is_two"},
                {"name": "sum", "value": pytest.approx(title)},
            ]
        }
    ]
    # an unmatched feature has only its name; derived features always match (0 for misses)
    assert got["2"] == [
        {
            "entry": [
                {"name": "title"},
                {"name": "is_two", "value": 1.0},
                {"name": "sum", "value": 1.0},
            ]
        }
    ]


def test_missing_as_zero_logs_unmatched_features_as_zero(index: OpenSearch) -> None:
    got = logs(logged_search(index, [{"named_query": "logged", "missing_as_zero": True}]))
    assert got["2"][0]["logged"][0] == {"name": "title", "value": 0.0}


def test_logs_of_a_model_are_not_normalised_or_boosted(index: OpenSearch) -> None:
    sltr = {"_name": "logged", "model": "m", "params": {"q": "rambo"}, "boost": 3}
    plain = logs(logged_search(index, {"named_query": "logged"}))
    boosted = logs(logged_search(index, {"named_query": "logged"}, sltr=sltr))
    assert boosted["1"][0]["logged"][0] == plain["1"][0]["logged"][0]


def test_several_specs_log_into_one_map(index: OpenSearch) -> None:
    body = {
        "query": {
            "bool": {
                "filter": [
                    {"sltr": {"_name": "a", "featureset": "s", "params": {"q": "rambo"}}},
                    {"sltr": {"_name": "b", "model": "m", "params": {"q": "rocky"}}},
                ]
            }
        },
        "ext": {
            "ltr_log": {"log_specs": [{"named_query": "a"}, {"name": "second", "named_query": "b"}]}
        },
    }
    hit = index.search(index="docs", body=body)["hits"]["hits"][0]
    (entry,) = hit["fields"]["_ltrlog"]
    assert sorted(entry) == ["a", "second"]
    assert [f["name"] for f in entry["second"]] == ["title", "is_two", "sum"]


def test_cached_feature_scores_are_reused_for_logging(index: OpenSearch) -> None:
    """With ``cache: true`` the plugin logs what the query phase scored (boost included)."""
    sltr = {
        "_name": "logged",
        "featureset": "s",
        "params": {"q": "rambo"},
        "boost": 2,
        "cache": True,
    }
    body = {
        "query": {"bool": {"should": [{"sltr": sltr}]}},
        "ext": {"ltr_log": {"log_specs": {"named_query": "logged"}}},
    }
    hits = {h["_id"]: h for h in index.search(index="docs", body=body)["hits"]["hits"]}
    title = hits["1"]["fields"]["_ltrlog"][0]["logged"][0]["value"]
    uncached = logs(logged_search(index, {"named_query": "logged"}))["1"][0]["logged"][0]["value"]
    assert title == pytest.approx(2 * uncached)


def test_no_logging_when_the_query_names_nothing(index: OpenSearch) -> None:
    body = {"query": {"match_all": {}}, "ext": {"ltr_log": {"log_specs": {"named_query": "x"}}}}
    hits = index.search(index="docs", body=body)["hits"]["hits"]
    assert all("fields" not in h for h in hits)


@pytest.mark.parametrize(
    ("ext", "reason"),
    [
        ({"ltr_log": {}}, "[ltr_log] should define at least one [log_specs]"),
        ({"ltr_log": {"log_specs": []}}, "[ltr_log] should define at least one [log_specs]"),
        (
            {"ltr_log": {"log_specs": {"name": "x"}}},
            "Either [named_query] or [rescore_index] must be set.",
        ),
        (
            {"ltr_log": {"log_specs": {"rescore_index": -1}}},
            "[rescore_index] must be a non-negative integer.",
        ),
    ],
)
def test_malformed_log_specs_are_parse_errors(
    index: OpenSearch, rest: Rest, ext: dict[str, Any], reason: str
) -> None:
    status, body = rest("POST", "/docs/_search", {"query": {"match_all": {}}, "ext": ext})
    assert status == 400
    assert (error_of(body)["type"], error_of(body)["reason"]) == ("parsing_exception", reason)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ({"named_query": "other"}, "No query named [other] found"),
        ({"named_query": "plain"}, "Query named [plain] must be a [sltr] query [TermQuery] found"),
        (
            {"rescore_index": 0},
            "rescore index [0] is out of bounds, only [0] rescore context(s) are available",
        ),
    ],
)
def test_log_specs_that_point_nowhere_fail_the_fetch_phase(
    index: OpenSearch, rest: Rest, spec: dict[str, Any], reason: str
) -> None:
    query = {"bool": {"must": [{"match": {"title": {"query": "rambo", "_name": "plain"}}}]}}
    status, body = rest(
        "POST", "/docs/_search", {"query": query, "ext": {"ltr_log": {"log_specs": spec}}}
    )
    assert status == 400
    error = error_of(body)
    assert (error["type"], error["phase"]) == ("search_phase_execution_exception", "fetch")
    assert error["root_cause"][0] == {"type": "illegal_argument_exception", "reason": reason}


def test_rescore_index_specs_log_the_sltr_rescorer(index: OpenSearch) -> None:
    rescore = {
        "window_size": 1,
        "query": {"rescore_query": {"sltr": {"featureset": "s", "params": {"q": "rambo"}}}},
    }
    body = {
        "query": {"match": {"title": "rambo"}},
        "rescore": rescore,
        "ext": {"ltr_log": {"log_specs": {"rescore_index": 0}}},
    }
    (hit,) = index.search(index="docs", body=body)["hits"]["hits"]
    assert [f["name"] for f in hit["fields"]["_ltrlog"][0]["rescore[0]"]] == [
        "title",
        "is_two",
        "sum",
    ]
    wrong = {**body, "ext": {"ltr_log": {"log_specs": {"rescore_index": 1}}}}
    status, answer = Rest(index)("POST", "/docs/_search", wrong)
    assert status == 400
    assert "rescore index [1] is out of bounds, only [1] rescore context(s) are available" in str(
        answer
    )


def test_rescore_index_logs_raw_model_features_for_every_returned_hit(index: OpenSearch) -> None:
    """The hit outside the rescore window is logged too; values are not normalised."""
    sltr = {"sltr": {"model": "m", "params": {"q": "rambo"}}}
    body = {
        "query": {"match_all": {}},
        "size": 2,
        "rescore": [
            {"window_size": 1, "query": {"rescore_query": {"match_all": {}}}},
            {"window_size": 1, "query": {"rescore_query": sltr}},
        ],
        "ext": {"ltr_log": {"log_specs": {"name": "model", "rescore_index": 1}}},
    }
    hits = {h["_id"]: h for h in index.search(index="docs", body=body)["hits"]["hits"]}
    title = index.search(index="docs", body={"query": {"match": {"title": "rambo"}}})
    title_score = title["hits"]["hits"][0]["_score"]
    assert logs({"hits": {"hits": list(hits.values())}}) == {
        "1": [
            {
                "model": [
                    {"name": "title", "value": title_score},
                    {"name": "is_two"},
                    {"name": "sum", "value": title_score},
                ]
            }
        ],
        "2": [
            {
                "model": [
                    {"name": "title"},
                    {"name": "is_two", "value": 1.0},
                    {"name": "sum", "value": 1.0},
                ]
            }
        ],
    }
    # doc 1 (the first rescorer's top: 1 + 1) was in the sltr window; the model scored the
    # normalised value (title - 5) / 2, not the logged one. Doc 2 kept its 1.0.
    assert hits["1"]["_score"] == pytest.approx(2 + (title_score - 5) / 2, rel=1e-6)
    assert hits["2"]["_score"] == 1.0
