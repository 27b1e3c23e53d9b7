"""``function_score``: golden examples from OpenSearch's documentation, then each mode.

The documentation's "blogs" and "hotels" examples print their scores; the decay curves,
the geo distance (Lucene's sloppy haversine on quantised points) and the explanation
texts must reproduce them exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch, RequestError, TransportError

from mutuo.engine.explanation import java_float

BLOGS = [
    {
        "name": "Semantic search in OpenSearch",
        "views": 1200,
        "likes": 150,
        "comments": 16,
        "date_posted": "2022-04-17",
    },
    {
        "name": "Get started with OpenSearch 2.7",
        "views": 1400,
        "likes": 100,
        "comments": 20,
        "date_posted": "2022-05-02",
    },
    {
        "name": "Distributed tracing with Data Prepper",
        "views": 800,
        "likes": 50,
        "comments": 5,
        "date_posted": "2022-04-25",
    },
    {
        "name": "A very old blog",
        "views": 100,
        "likes": 20,
        "comments": 3,
        "date_posted": "2000-04-25",
    },
]


@pytest.fixture
def blogs(make_index: Any) -> OpenSearch:
    return make_index("blogs", BLOGS)


def ranked(client: OpenSearch, index: str, query: dict[str, Any]) -> list[tuple[str, float]]:
    hits = client.search(index=index, body={"query": query})["hits"]["hits"]
    return [(h["_id"], h["_score"]) for h in hits]


def test_documented_numeric_exp_decay(blogs: OpenSearch) -> None:
    query = {
        "function_score": {
            "functions": [{"exp": {"comments": {"origin": "20", "offset": "5", "scale": "10"}}}]
        }
    }
    assert ranked(blogs, "blogs", query) == [("1", 1.0), ("2", 1.0), ("3", 0.5), ("4", 0.4352753)]


def test_documented_date_gauss_decay(blogs: OpenSearch) -> None:
    gauss = {"date_posted": {"origin": "2022-04-24", "offset": "1d", "scale": "6d", "decay": 0.25}}
    query = {"function_score": {"functions": [{"gauss": gauss}]}}
    assert ranked(blogs, "blogs", query) == [("3", 1.0), ("1", 0.25), ("2", 0.15154076), ("4", 0.0)]


def test_documented_geo_exp_decay(make_index: Any) -> None:
    hotels = {
        "1": {"name": "Hotel Within 200", "location": {"lat": 40.7105, "lon": 74.00}},
        "2": {"name": "Hotel Outside 500", "location": {"lat": 40.7115, "lon": 74.00}},
    }
    client = make_index("hotels", hotels, {"properties": {"location": {"type": "geo_point"}}})
    exp = {
        "location": {"origin": "40.71,74.00", "offset": "200ft", "scale": "300ft", "decay": 0.25}
    }
    assert ranked(client, "hotels", {"function_score": {"functions": [{"exp": exp}]}}) == [
        ("1", 1.0),
        ("2", 0.20099315),
    ]


def test_documented_multi_value_mode_max(make_index: Any) -> None:
    client = make_index("testindex", [{"distances": [1, 2, 3, 4, 5]}])
    exp = {
        "exp": {
            "distances": {"origin": "6", "offset": "5", "scale": "1"},
            "multi_value_mode": "max",
        }
    }
    assert ranked(client, "testindex", {"function_score": {"functions": [exp]}}) == [("1", 1.0)]


def test_documented_explanation_texts(blogs: OpenSearch) -> None:
    body = {
        "explain": True,
        "size": 1,
        "query": {
            "function_score": {
                "functions": [
                    {
                        "_name": "views_function",
                        "field_value_factor": {
                            "field": "views",
                            "factor": 1.5,
                            "modifier": "log1p",
                            "missing": 1,
                        },
                        "weight": 0.3,
                    },
                    {
                        "_name": "comments_function",
                        "gauss": {"comments": {"origin": 1000, "scale": 800}},
                        "weight": 0.1,
                    },
                ]
            }
        },
    }
    hit = blogs.search(index="blogs", body=body)["hits"]["hits"][0]
    assert hit["_shard"] == "[blogs][0]" and "_node" in hit
    top = hit["_explanation"]
    assert top["value"] == hit["_score"]
    assert top["description"] == "function score, product of:"
    assert top["details"][0] == {"value": 1.0, "description": "*:*", "details": []}
    mode = top["details"][1]["details"][0]
    assert mode["description"] == "function score, score mode [multiply]"
    views, comments = mode["details"]
    assert views["details"][0]["description"] == (
        "field value function(_name: views_function): log1p(doc['views'].value?:1.0 * factor=1.5)"
    )
    assert views["details"][1] == {"value": 0.3, "description": "weight", "details": []}
    assert comments["details"][0]["description"] == "Function for field comments:"
    doc_comments = BLOGS[int(hit["_id"]) - 1]["comments"]
    assert comments["details"][0]["details"][0]["description"] == (
        f"exp(-0.5*pow(MIN[Math.max(Math.abs({float(doc_comments)}(=doc value) - 1000.0(=origin))) - "
        "0.0(=offset), 0)],2.0)/461662.4130844683, _name: comments_function)"
    )
    assert top["details"][1]["details"][1] == {
        "value": 3.4028235e38,
        "description": "maxBoost",
        "details": [],
    }


def test_field_value_factor_modifiers_and_missing(blogs: OpenSearch) -> None:
    for modifier, fn in {
        "log1p": lambda v: math.log10(v + 1),
        "sqrt": math.sqrt,
        "reciprocal": lambda v: 1 / v,
        "ln2p": lambda v: math.log1p(v + 1),
    }.items():
        query = {
            "function_score": {
                "field_value_factor": {"field": "likes", "factor": 2, "modifier": modifier}
            }
        }
        got = dict(ranked(blogs, "blogs", query))
        for i, blog in enumerate(BLOGS, 1):
            assert got[str(i)] == java_float(fn(blog["likes"] * 2.0))
    missing = {
        "function_score": {
            "field_value_factor": {"field": "nope", "missing": 4, "modifier": "square"}
        }
    }
    assert {s for _i, s in ranked(blogs, "blogs", missing)} == {16.0}


def test_field_value_factor_without_value_or_missing_fails(blogs: OpenSearch) -> None:
    blogs.index(index="blogs", id="5", body={"name": "no likes"}, refresh=True)
    with pytest.raises(TransportError) as info:
        blogs.search(
            index="blogs",
            body={"query": {"function_score": {"field_value_factor": {"field": "likes"}}}},
        )
    assert "Missing value for field [likes]" in str(info.value.info)
    with pytest.raises(RequestError) as negative:
        blogs.search(
            index="blogs",
            body={
                "query": {
                    "function_score": {
                        "field_value_factor": {
                            "field": "likes",
                            "modifier": "ln",
                            "factor": 0.001,
                            "missing": 1,
                        }
                    }
                }
            },
        )
    assert "consider using ln1p or ln2p" in str(negative.value.info)


@pytest.mark.parametrize(
    ("score_mode", "expected"),
    [
        ("multiply", 6.0),
        ("sum", 5.0),
        ("avg", 1.0),  # (1*2 + 1*3) / (2 + 3): avg divides by the weights
        ("first", 2.0),
        ("max", 3.0),
        ("min", 2.0),
    ],
)
def test_score_modes_combine_applicable_functions(
    blogs: OpenSearch, score_mode: str, expected: float
) -> None:
    functions = [
        {"filter": {"range": {"likes": {"gte": 50}}}, "weight": 2},
        {"filter": {"range": {"likes": {"gte": 100}}}, "weight": 3},
        {"filter": {"range": {"likes": {"gte": 1000}}}, "weight": 7},
    ]
    query = {
        "function_score": {
            "functions": functions,
            "score_mode": score_mode,
            "boost_mode": "replace",
        }
    }
    got = dict(ranked(blogs, "blogs", query))
    assert got["1"] == java_float(expected)
    assert got["4"] == 1.0  # no function applies: the factor is 1


@pytest.mark.parametrize(
    ("boost_mode", "combine"),
    [
        ("multiply", lambda q, f: q * f),
        ("replace", lambda q, f: f),
        ("sum", lambda q, f: q + f),
        ("avg", lambda q, f: (q + f) / 2),
        ("max", max),
        ("min", min),
    ],
)
def test_boost_modes_and_max_boost(blogs: OpenSearch, boost_mode: str, combine: Any) -> None:
    match = {"match": {"name": "opensearch"}}
    base = dict(ranked(blogs, "blogs", match))
    query = {
        "function_score": {"query": match, "weight": 3, "boost_mode": boost_mode, "max_boost": 2.5}
    }
    got = dict(ranked(blogs, "blogs", query))
    for doc, q in base.items():
        assert got[doc] == java_float(combine(np.float64(np.float32(q)), 2.5))


def test_avg_is_weighted_by_function_weights(blogs: OpenSearch) -> None:
    functions = [
        {"field_value_factor": {"field": "likes"}, "weight": 1},
        {"field_value_factor": {"field": "comments"}, "weight": 4},
    ]
    query = {
        "function_score": {"functions": functions, "score_mode": "avg", "boost_mode": "replace"}
    }
    got = dict(ranked(blogs, "blogs", query))
    assert got["1"] == java_float((150 * 1 + 16 * 4) / 5)


def test_function_score_boost_reaches_only_the_query(blogs: OpenSearch) -> None:
    match = {"match": {"name": "opensearch"}}
    base = dict(ranked(blogs, "blogs", {"match": {"name": {"query": "opensearch", "boost": 4}}}))
    replace = dict(
        ranked(
            blogs,
            "blogs",
            {"function_score": {"query": match, "weight": 2, "boost": 4, "boost_mode": "replace"}},
        )
    )
    assert set(replace.values()) == {2.0}
    multiply = dict(
        ranked(blogs, "blogs", {"function_score": {"query": match, "weight": 2, "boost": 4}})
    )
    assert multiply == {k: java_float(np.float64(np.float32(v)) * 2) for k, v in base.items()}


def test_min_score_drops_low_final_scores(blogs: OpenSearch) -> None:
    query = {"function_score": {"field_value_factor": {"field": "likes"}, "min_score": 100}}
    assert [i for i, _s in ranked(blogs, "blogs", query)] == ["1", "2"]


def test_random_score_is_reproducible_and_in_range(blogs: OpenSearch) -> None:
    query = {"function_score": {"random_score": {"seed": 42, "field": "_seq_no"}}}
    first = ranked(blogs, "blogs", query)
    assert first == ranked(blogs, "blogs", query)
    assert all(0 <= s < 1 for _i, s in first)
    other = ranked(
        blogs, "blogs", {"function_score": {"random_score": {"seed": 43, "field": "_seq_no"}}}
    )
    assert other != first
    by_id = ranked(blogs, "blogs", {"function_score": {"random_score": {"seed": "abc"}}})
    assert len({s for _i, s in by_id}) == 4


def test_unknown_function_and_scripts_are_refused(blogs: OpenSearch) -> None:
    for function in ({"script_score": {"script": "1"}}, {"magic": {}}):
        with pytest.raises(RequestError):
            blogs.search(
                index="blogs", body={"query": {"function_score": {"functions": [function]}}}
            )
