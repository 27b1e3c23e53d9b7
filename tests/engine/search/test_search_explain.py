"""``_explain`` agrees with ``_search`` for every query type: matched iff hit, same score."""

from __future__ import annotations

from typing import Any

import pytest
from opensearchpy import OpenSearch
from test_search_queries import MAPPINGS, PEOPLE

QUERIES = [
    {"range": {"age": {"gt": 25}}},
    {"prefix": {"name.keyword": "Al"}},
    {"wildcard": {"name.keyword": "*Smith"}},
    {"multi_match": {"query": "smith hiking", "fields": ["name^2", "bio"], "tie_breaker": 0.3}},
    {"multi_match": {"query": "smith hiking", "fields": ["name", "bio"], "type": "most_fields"}},
    {"match_phrase": {"bio": "hiking and"}},
    {"constant_score": {"filter": {"term": {"tags": "a"}}, "boost": 1.2}},
    {
        "dis_max": {
            "queries": [{"match": {"bio": "coffee"}}, {"match": {"name": "smith"}}],
            "tie_breaker": 0.7,
        }
    },
    {
        "boosting": {
            "positive": {"match": {"bio": "climbing"}},
            "negative": {"term": {"active": True}},
            "negative_boost": 0.5,
        }
    },
    {"geo_distance": {"distance": "20km", "loc": {"lat": 37.78, "lon": -122.40}}},
    {
        "geo_bounding_box": {
            "loc": {
                "top_left": {"lat": 38, "lon": -123},
                "bottom_right": {"lat": 37.5, "lon": -122},
            }
        }
    },
    {"terms_set": {"tags": {"terms": ["a", "b", "c"], "minimum_should_match_field": "need"}}},
    {
        "function_score": {
            "query": {"match": {"bio": "coffee"}},
            "field_value_factor": {"field": "age", "modifier": "log1p"},
        }
    },
    {
        "function_score": {
            "functions": [
                {"random_score": {"seed": 42, "field": "_seq_no"}},
                {"filter": {"term": {"tags": "a"}}, "weight": 3},
            ],
            "score_mode": "sum",
        }
    },
    {
        "bool": {
            "must": [{"match": {"bio": "climbing coffee"}}],
            "must_not": [{"term": {"tags": "b"}}],
            "should": [{"exists": {"field": "score"}}],
            "filter": [{"ids": {"values": ["1", "3"]}}],
        }
    },
    {
        "bool": {
            "should": [{"match": {"bio": "coffee"}}, {"match": {"name": "smith"}}],
            "minimum_should_match": 2,
            "boost": 1.5,
        }
    },
    {"terms": {"tags": ["a"]}},
    {"match_all": {"boost": 3}},
    {"match_none": {}},
    {"term": {"age": 30}},
    {"match": {"bio": {"query": "hiking climbing coffee", "minimum_should_match": 2}}},
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: next(iter(q)))
def test_explanation_matches_the_search(make_index: Any, query: dict[str, Any]) -> None:
    client: OpenSearch = make_index("people", PEOPLE, MAPPINGS)
    hits = client.search(index="people", body={"query": query})["hits"]["hits"]
    scores = {h["_id"]: h["_score"] for h in hits}
    for doc in ("1", "2", "3", "4"):
        result = client.explain(index="people", id=doc, body={"query": query})
        assert result["matched"] == (doc in scores), doc
        if doc in scores:
            # OpenSearch combines function_score factors in double for the score but in
            # float for the explanation (CombineFunction.explain): one ulp may differ.
            assert result["explanation"]["value"] == pytest.approx(scores[doc], rel=2e-7), doc
