"""``hybrid`` queries through search pipelines, end to end on the embedded engine."""

from __future__ import annotations

from typing import Any

import pytest
from opensearchpy import NotFoundError, OpenSearch, RequestError

MINMAX = {
    "description": "min-max, weighted",
    "phase_results_processors": [
        {
            "normalization-processor": {
                "normalization": {"technique": "min_max"},
                "combination": {
                    "technique": "arithmetic_mean",
                    "parameters": {"weights": [0.4, 0.6]},
                },
            }
        }
    ],
}
RRF = {
    "phase_results_processors": [{"score-ranker-processor": {"combination": {"technique": "rrf"}}}]
}
# id, text, vector, tag
DOCS = [
    ("1", "flat tv 4K HDR", [1.0, 0.0], "a"),
    ("2", "LED Smart TV 32", [0.0, 1.0], "b"),
    ("3", "LED Smart TV 65", [1.0, 1.0], "a"),
    ("4", "flat tv", [2.0, 0.0], "b"),
    ("5", "just a radio", [0.0, 2.0], "a"),
]


def _pipeline(client: OpenSearch, name: str, body: dict[str, Any]) -> None:
    client.transport.perform_request("PUT", f"/_search/pipeline/{name}", body=body)


@pytest.fixture
def shop(memory_client: OpenSearch) -> OpenSearch:
    memory_client.indices.create(
        index="shop",
        body={
            "settings": {"index.knn": True},
            "mappings": {
                "properties": {
                    "d": {"type": "text"},
                    "e": {"type": "knn_vector", "dimension": 2},
                    "tag": {"type": "keyword"},
                }
            },
        },
    )
    for doc_id, text, vec, tag in DOCS:
        memory_client.index(index="shop", id=doc_id, body={"d": text, "e": vec, "tag": tag})
    memory_client.indices.refresh(index="shop")
    _pipeline(memory_client, "minmax", MINMAX)
    _pipeline(memory_client, "rrf", RRF)
    return memory_client


def _hybrid(**extra: Any) -> dict[str, Any]:
    return {
        "hybrid": {
            "queries": [{"match": {"d": "tv"}}, {"knn": {"e": {"vector": [1.0, 0.0], "k": 3}}}],
            **extra,
        }
    }


def _search(client: OpenSearch, body: dict[str, Any], **params: Any) -> dict[str, Any]:
    result: dict[str, Any] = client.search(index="shop", body=body, params=params)
    return result


def _ids(result: dict[str, Any]) -> list[str]:
    return [h["_id"] for h in result["hits"]["hits"]]


def test_min_max_arithmetic_mean_combines_normalised_sub_query_scores(shop: OpenSearch) -> None:
    result = _search(shop, {"query": _hybrid()}, search_pipeline="minmax")
    # match "tv": doc 4 is the best (shortest), docs 1, 2, 3 tie -> 1.0, 0.001 x 3
    # knn (l2 from [1, 0], k=3): doc 1 -> 1.0; docs 3 and 4 tie at 0.5 -> 0.001
    expected = {"1": 0.4 * 0.001 + 0.6, "4": 0.4 + 0.6 * 0.001, "3": 0.001, "2": 0.4 * 0.001}
    assert _ids(result) == ["1", "4", "3", "2"]
    assert {h["_id"]: h["_score"] for h in result["hits"]["hits"]} == pytest.approx(
        expected, rel=1e-5
    )
    assert result["hits"]["max_score"] == pytest.approx(expected["1"], rel=1e-5)
    assert result["hits"]["total"] == {"value": 4, "relation": "eq"}


def test_rrf_sums_reciprocal_ranks(shop: OpenSearch) -> None:
    result = _search(shop, {"query": _hybrid()}, search_pipeline="rrf")
    scores = {h["_id"]: h["_score"] for h in result["hits"]["hits"]}
    # match ranks: 4, 1, 2, 3 (ties by doc order); knn ranks: 1, 3, 4
    assert scores == pytest.approx(
        {"1": 1 / 62 + 1 / 61, "4": 1 / 61 + 1 / 63, "3": 1 / 64 + 1 / 62, "2": 1 / 63}, rel=1e-5
    )


def test_total_counts_every_doc_matching_a_sub_query_while_size_cuts_hits(shop: OpenSearch) -> None:
    result = _search(shop, {"size": 1, "query": _hybrid()}, search_pipeline="minmax")
    assert len(result["hits"]["hits"]) == 1
    assert result["hits"]["total"]["value"] == 4


def test_hybrid_filter_applies_to_every_sub_query(shop: OpenSearch) -> None:
    result = _search(shop, {"query": _hybrid(filter={"term": {"tag": "a"}})}, search_pipeline="rrf")
    assert sorted(_ids(result)) == ["1", "3", "5"]  # knn's efficient filter finds doc 5 too


def test_pagination_needs_pagination_depth(shop: OpenSearch) -> None:
    with pytest.raises(RequestError) as info:
        _search(shop, {"from": 1, "query": _hybrid()}, search_pipeline="minmax")
    assert "pagination_depth param is missing in the search request" in str(info.value.info)
    full = _ids(
        _search(shop, {"size": 4, "query": _hybrid(pagination_depth=10)}, search_pipeline="minmax")
    )
    page = _ids(
        _search(
            shop,
            {"from": 2, "size": 2, "query": _hybrid(pagination_depth=10)},
            search_pipeline="minmax",
        )
    )
    assert page == full[2:4]


def test_pipeline_selection_body_default_none_and_inline(shop: OpenSearch) -> None:
    in_body = _search(shop, {"query": _hybrid(), "search_pipeline": "rrf"})
    assert in_body["hits"]["hits"][0]["_score"] == pytest.approx(1 / 62 + 1 / 61, rel=1e-5)
    shop.indices.put_settings(index="shop", body={"index.search.default_pipeline": "minmax"})
    by_default = _search(shop, {"query": _hybrid()})
    assert by_default["hits"]["hits"][0]["_score"] == pytest.approx(0.6004, rel=1e-4)
    with pytest.raises(RequestError) as info:
        _search(shop, {"query": _hybrid()}, search_pipeline="_none")
    assert "needs a search pipeline" in str(info.value.info)
    inline = _search(shop, {"query": _hybrid(), "search_pipeline": RRF})
    assert inline["hits"]["hits"][0]["_score"] == pytest.approx(1 / 62 + 1 / 61, rel=1e-5)


def test_min_score_applies_to_the_combined_score(shop: OpenSearch) -> None:
    result = _search(shop, {"min_score": 0.3, "query": _hybrid()}, search_pipeline="minmax")
    assert _ids(result) == ["1", "4"]
    assert result["hits"]["total"]["value"] == 2


def test_no_match_gives_max_score_zero(shop: OpenSearch) -> None:
    query = {"hybrid": {"queries": [{"match": {"d": "nothing"}}, {"term": {"tag": "z"}}]}}
    result = _search(shop, {"query": query}, search_pipeline="minmax")
    assert result["hits"]["hits"] == [] and result["hits"]["max_score"] == 0.0


def test_non_hybrid_queries_pass_through_a_pipeline(shop: OpenSearch) -> None:
    plain = _search(shop, {"query": {"match": {"d": "tv"}}})
    piped = _search(shop, {"query": {"match": {"d": "tv"}}}, search_pipeline="minmax")
    assert plain["hits"] == piped["hits"]


def test_rescore_applies_to_each_sub_query_before_normalisation(shop: OpenSearch) -> None:
    by_vector = {
        "script_score": {
            "query": {"match_all": {}},
            "script": {
                "lang": "knn",
                "source": "knn_score",
                "params": {"field": "e", "query_value": [0.0, 2.0], "space_type": "l2"},
            },
        }
    }
    query = {"hybrid": {"queries": [{"match": {"d": "tv"}}]}}
    rescore = {"window_size": 10, "query": {"rescore_query": by_vector, "query_weight": 0.0}}
    result = _search(shop, {"query": query, "rescore": rescore}, search_pipeline="rrf")
    # the match list re-sorted by closeness to [0, 2]: doc 2 (d=1), 3 (d=2), 1 and 4 (d=5, 8)
    assert _ids(result) == ["2", "3", "1", "4"]


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        (
            {"bool": {"must": [_hybrid()]}},
            "search_phase_execution_exception",
            "hybrid query must be a top level query",
        ),
        (
            {"hybrid": {"queries": [_hybrid()]}},
            "search_phase_execution_exception",
            "hybrid query cannot be nested in another hybrid query",
        ),
        (
            {"hybrid": {"queries": [{"match_all": {}}] * 6}},
            "parsing_exception",
            "Number of sub-queries exceeds maximum supported by [hybrid] query",
        ),
        (
            {"hybrid": {"queries": []}},
            "parsing_exception",
            "[hybrid] requires 'queries' field with at least one clause",
        ),
        (
            {"hybrid": {"queries": [{"match_all": {}}], "boost": 2}},
            "parsing_exception",
            "[hybrid] query does not support [boost]",
        ),
        (
            {"hybrid": {"queries": [{"match_all": {}}], "filter": [{"match_all": {}}]}},
            "parsing_exception",
            "[hybrid] query's [filter] field must be a query object",
        ),
        (
            {"hybrid": {"queries": [{"match_all": {}}], "size": 2}},
            "parsing_exception",
            "Field is not supported by [hybrid] query",
        ),
    ],
)
def test_hybrid_query_errors(
    shop: OpenSearch, query: dict[str, Any], error: str, message: str
) -> None:
    with pytest.raises(RequestError) as info:
        _search(shop, {"query": query}, search_pipeline="minmax")
    assert info.value.error == error
    assert message in str(info.value.info)


def test_weights_must_match_the_sub_queries_at_search_time(shop: OpenSearch) -> None:
    query = {"hybrid": {"queries": [{"match": {"d": "tv"}}]}}
    with pytest.raises(RequestError) as info:
        _search(shop, {"query": query}, search_pipeline="minmax")
    assert "number of weights [2] must match number of sub-queries [1] in hybrid query" in str(
        info.value.info
    )


def test_pipeline_selection_errors(shop: OpenSearch) -> None:
    with pytest.raises(RequestError) as info:
        _search(shop, {"query": _hybrid()}, search_pipeline="missing")
    assert "Pipeline missing is not defined" in str(info.value.info)
    with pytest.raises(RequestError) as info:
        _search(shop, {"query": _hybrid(), "search_pipeline": RRF}, search_pipeline="rrf")
    assert "Both named and inline search pipeline were specified" in str(info.value.info)
    bad_inline = {
        "phase_results_processors": [
            {"normalization-processor": {"normalization": {"technique": "x"}}}
        ]
    }
    with pytest.raises(RequestError) as info:
        _search(shop, {"query": _hybrid(), "search_pipeline": bad_inline})
    assert info.value.error == "search_pipeline_processing_exception"


def test_filter_query_request_processor_filters_every_search(shop: OpenSearch) -> None:
    _pipeline(
        shop,
        "only_b",
        {"request_processors": [{"filter_query": {"query": {"term": {"tag": "b"}}}}]},
    )
    result = _search(shop, {"query": {"match": {"d": "tv"}}}, search_pipeline="only_b")
    assert sorted(_ids(result)) == ["2", "4"]


def test_pipeline_crud(memory_client: OpenSearch) -> None:
    _pipeline(memory_client, "p1", MINMAX)
    _pipeline(memory_client, "p2", RRF)
    get = memory_client.transport.perform_request
    assert get("GET", "/_search/pipeline/p1") == {"p1": MINMAX}
    assert set(get("GET", "/_search/pipeline")) == {"p1", "p2"}
    assert set(get("GET", "/_search/pipeline/p*")) == {"p1", "p2"}
    assert get("DELETE", "/_search/pipeline/p1") == {"acknowledged": True}
    with pytest.raises(NotFoundError):
        get("GET", "/_search/pipeline/p1")
    with pytest.raises(NotFoundError) as info:
        get("DELETE", "/_search/pipeline/p1")
    assert "pipeline [p1] is missing" in str(info.value.info)


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (
            {"foo": 1},
            "parse_exception",
            "pipeline [p] doesn't support one or more provided configuration parameters [foo]",
        ),
        (
            {"request_processors": [{"nope": {}}]},
            "illegal_argument_exception",
            "Invalid processor type nope",
        ),
        (
            {"response_processors": [{"rename_field": {"field": "a", "target_field": "b"}}]},
            "illegal_argument_exception",
            "search processor [rename_field] is not supported by the embedded engine",
        ),
        (
            {"request_processors": [{"filter_query": {}}]},
            "illegal_argument_exception",
            "Did not specify the query property in processor of type filter_query",
        ),
        (
            {"phase_results_processors": [{"normalization-processor": {"extra": 1}}]},
            "parse_exception",
            "processor [normalization-processor] doesn't support one or more provided configuration parameters: [extra]",
        ),
        (
            {
                "phase_results_processors": [
                    {
                        "normalization-processor": {
                            "normalization": {"technique": "z_score"},
                            "combination": {"technique": "harmonic_mean"},
                        }
                    }
                ]
            },
            "illegal_argument_exception",
            "not supported for normalization technique z_score",
        ),
    ],
)
def test_invalid_pipelines_are_refused_when_stored(
    memory_client: OpenSearch, body: dict[str, Any], error: str, message: str
) -> None:
    with pytest.raises(RequestError) as info:
        _pipeline(memory_client, "p", body)
    assert info.value.error == error
    assert message in str(info.value.info)
