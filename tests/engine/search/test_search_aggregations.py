"""Aggregations: each type's response shape and numbers, sub-aggregations, ``size: 0``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch, RequestError

MAPPINGS = {
    "properties": {
        "city": {"type": "keyword"},
        "age": {"type": "integer"},
        "price": {"type": "double"},
        "joined": {"type": "date"},
        "member": {"type": "boolean"},
        "bio": {"type": "text"},
    }
}
ROWS = [
    ("paris", 20, 10.0, "2024-01-15T10:00:00Z", True),
    ("paris", 31, 20.0, "2024-01-20T23:59:59Z", False),
    ("berlin", 35, 30.0, "2024-02-01T00:00:00Z", True),
    ("berlin", 45, 40.0, "2024-03-31T12:00:00Z", True),
    ("rome", 52, 50.0, "2024-05-05T05:05:05Z", False),
    ("paris", 28, None, "2023-12-31T23:00:00Z", True),
]


@pytest.fixture
def shop(make_index: Any) -> OpenSearch:
    docs = []
    for city, age, price, joined, member in ROWS:
        doc: dict[str, Any] = {
            "city": city,
            "age": age,
            "joined": joined,
            "member": member,
            "bio": city,
        }
        if price is not None:
            doc["price"] = price
        docs.append(doc)
    return make_index("shop", docs, MAPPINGS)


def aggs(
    client: OpenSearch, spec: dict[str, Any], query: dict[str, Any] | None = None, **params: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"size": 0, "aggs": spec}
    if query is not None:
        body["query"] = query
    result = client.search(index="shop", body=body, params=params or None)
    assert result["hits"]["hits"] == []
    return result["aggregations"]


def test_metrics(shop: OpenSearch) -> None:
    out = aggs(
        shop,
        {
            "avg": {"avg": {"field": "price"}},
            "sum": {"sum": {"field": "price"}},
            "min": {"min": {"field": "age"}},
            "max": {"max": {"field": "age"}},
            "count": {"value_count": {"field": "price"}},
            "distinct": {"cardinality": {"field": "city"}},
            "stats": {"stats": {"field": "age"}},
        },
    )
    assert out["avg"] == {"value": 30.0}
    assert out["sum"] == {"value": 150.0}
    assert out["min"] == {"value": 20.0} and out["max"] == {"value": 52.0}
    assert out["count"] == {"value": 5}
    assert out["distinct"] == {"value": 3}
    assert out["stats"] == {"count": 6, "min": 20.0, "max": 52.0, "avg": 211 / 6, "sum": 211.0}


def test_metrics_on_no_documents_and_dates(shop: OpenSearch) -> None:
    empty = aggs(
        shop,
        {
            "avg": {"avg": {"field": "price"}},
            "min": {"min": {"field": "price"}},
            "sum": {"sum": {"field": "price"}},
        },
        {"term": {"city": "nowhere"}},
    )
    assert empty == {"avg": {"value": None}, "min": {"value": None}, "sum": {"value": 0.0}}
    newest = aggs(shop, {"last": {"max": {"field": "joined"}}})["last"]
    assert newest == {"value": 1714885505000.0, "value_as_string": "2024-05-05T05:05:05.000Z"}


def test_percentiles_follow_the_digest_rule(shop: OpenSearch) -> None:
    out = aggs(shop, {"p": {"percentiles": {"field": "age", "percents": [0, 25, 50, 99, 100]}}})[
        "p"
    ]["values"]
    ages = sorted(r[1] for r in ROWS)  # 20 28 31 35 45 52
    assert out == {
        "0.0": 20.0,
        "25.0": float(ages[1]),
        "50.0": float(ages[3]),
        "99.0": 52.0,
        "100.0": 52.0,
    }


def test_terms_with_sub_aggregations_and_orders(shop: OpenSearch) -> None:
    out = aggs(
        shop,
        {"cities": {"terms": {"field": "city"}, "aggs": {"avg_age": {"avg": {"field": "age"}}}}},
    )["cities"]
    assert out["doc_count_error_upper_bound"] == 0 and out["sum_other_doc_count"] == 0
    assert [(b["key"], b["doc_count"], b["avg_age"]["value"]) for b in out["buckets"]] == [
        ("paris", 3, 79 / 3),
        ("berlin", 2, 40.0),
        ("rome", 1, 52.0),
    ]
    by_key = aggs(shop, {"c": {"terms": {"field": "city", "order": {"_key": "desc"}, "size": 2}}})[
        "c"
    ]
    assert [b["key"] for b in by_key["buckets"]] == ["rome", "paris"] and by_key[
        "sum_other_doc_count"
    ] == 2
    by_metric = aggs(
        shop,
        {
            "c": {
                "terms": {"field": "city", "order": {"avg_age": "desc"}},
                "aggs": {"avg_age": {"avg": {"field": "age"}}},
            }
        },
    )
    assert [b["key"] for b in by_metric["c"]["buckets"]] == ["rome", "berlin", "paris"]


def test_terms_on_numbers_booleans_and_missing(shop: OpenSearch) -> None:
    members = aggs(shop, {"m": {"terms": {"field": "member"}}})["m"]["buckets"]
    assert members == [
        {"key": 1, "key_as_string": "true", "doc_count": 4},
        {"key": 0, "key_as_string": "false", "doc_count": 2},
    ]
    prices = aggs(
        shop,
        {"p": {"terms": {"field": "price", "missing": -1, "order": {"_key": "asc"}, "size": 2}}},
    )["p"]["buckets"]
    assert prices == [{"key": -1.0, "doc_count": 1}, {"key": 10.0, "doc_count": 1}]
    filtered = aggs(
        shop, {"c": {"terms": {"field": "city", "include": "p.*|r.*", "exclude": ["rome"]}}}
    )["c"]["buckets"]
    assert [b["key"] for b in filtered] == ["paris"]


def test_filter_filters_and_missing_buckets(shop: OpenSearch) -> None:
    out = aggs(
        shop,
        {
            "young": {
                "filter": {"range": {"age": {"lt": 30}}},
                "aggs": {"p": {"max": {"field": "price"}}},
            },
            "split": {
                "filters": {
                    "filters": {
                        "members": {"term": {"member": True}},
                        "rome": {"term": {"city": "rome"}},
                    },
                    "other_bucket": True,
                }
            },
            "list": {"filters": {"filters": [{"term": {"city": "rome"}}]}},
            "no_price": {"missing": {"field": "price"}},
            "everyone": {"global": {}, "aggs": {"n": {"value_count": {"field": "age"}}}},
        },
        {"term": {"city": "paris"}},
    )
    assert out["young"] == {"doc_count": 2, "p": {"value": 10.0}}
    assert out["split"]["buckets"] == {
        "members": {"doc_count": 2},
        "rome": {"doc_count": 0},
        "_other_": {"doc_count": 1},
    }
    assert out["list"]["buckets"] == [{"doc_count": 0}]
    assert out["no_price"] == {"doc_count": 1}
    assert out["everyone"] == {"doc_count": 6, "n": {"value": 6}}


def test_range_buckets(shop: OpenSearch) -> None:
    out = aggs(
        shop,
        {
            "r": {
                "range": {
                    "field": "age",
                    "ranges": [{"from": 30, "to": 50}, {"to": 30}, {"from": 50, "key": "old"}],
                }
            }
        },
    )
    assert out["r"]["buckets"] == [
        {"key": "*-30.0", "to": 30.0, "doc_count": 2},
        {"key": "30.0-50.0", "from": 30.0, "to": 50.0, "doc_count": 3},
        {"key": "old", "from": 50.0, "doc_count": 1},
    ]
    keyed = aggs(shop, {"r": {"range": {"field": "age", "keyed": True, "ranges": [{"to": 30}]}}})
    assert keyed["r"]["buckets"] == {"*-30.0": {"to": 30.0, "doc_count": 2}}


def test_histogram_fills_gaps(shop: OpenSearch) -> None:
    out = aggs(shop, {"h": {"histogram": {"field": "age", "interval": 10}}})["h"]["buckets"]
    assert [(b["key"], b["doc_count"]) for b in out] == [(20.0, 2), (30.0, 2), (40.0, 1), (50.0, 1)]
    extended = aggs(
        shop,
        {
            "h": {
                "histogram": {
                    "field": "price",
                    "interval": 25,
                    "extended_bounds": {"min": 0, "max": 100},
                }
            }
        },
    )["h"]
    assert [(b["key"], b["doc_count"]) for b in extended["buckets"]] == [
        (0.0, 2),
        (25.0, 2),
        (50.0, 1),
        (75.0, 0),
        (100.0, 0),
    ]
    dense = aggs(shop, {"h": {"histogram": {"field": "age", "interval": 5, "min_doc_count": 1}}})[
        "h"
    ]["buckets"]
    assert [b["key"] for b in dense] == [20.0, 25.0, 30.0, 35.0, 45.0, 50.0]


def test_date_histogram_calendar_and_fixed(shop: OpenSearch) -> None:
    monthly = aggs(
        shop, {"m": {"date_histogram": {"field": "joined", "calendar_interval": "month"}}}
    )["m"]["buckets"]
    assert [(b["key_as_string"], b["doc_count"]) for b in monthly] == [
        ("2023-12-01T00:00:00.000Z", 1),
        ("2024-01-01T00:00:00.000Z", 2),
        ("2024-02-01T00:00:00.000Z", 1),
        ("2024-03-01T00:00:00.000Z", 1),
        ("2024-04-01T00:00:00.000Z", 0),
        ("2024-05-01T00:00:00.000Z", 1),
    ]
    assert monthly[0]["key"] == 1701388800000
    quarterly = aggs(
        shop,
        {
            "q": {
                "date_histogram": {
                    "field": "joined",
                    "calendar_interval": "quarter",
                    "format": "yyyy-MM",
                }
            }
        },
    )["q"]["buckets"]
    assert [(b["key_as_string"], b["doc_count"]) for b in quarterly] == [
        ("2023-10", 1),
        ("2024-01", 4),
        ("2024-04", 1),
    ]
    weekly = aggs(
        shop,
        {
            "w": {
                "date_histogram": {
                    "field": "joined",
                    "calendar_interval": "week",
                    "min_doc_count": 1,
                }
            }
        },
    )["w"]["buckets"]
    assert weekly[0]["key_as_string"] == "2023-12-25T00:00:00.000Z"  # weeks start on Monday
    shifted = aggs(
        shop,
        {
            "d": {
                "date_histogram": {
                    "field": "joined",
                    "fixed_interval": "1d",
                    "time_zone": "+02:00",
                    "min_doc_count": 1,
                }
            }
        },
    )["d"]["buckets"]
    assert shifted[0]["key_as_string"] == "2024-01-01T00:00:00.000+02:00"
    assert shifted[1]["key_as_string"] == "2024-01-15T00:00:00.000+02:00"
    assert shifted[2]["key_as_string"] == "2024-01-21T00:00:00.000+02:00"


def test_top_hits_inside_terms(shop: OpenSearch) -> None:
    out = aggs(
        shop,
        {
            "c": {
                "terms": {"field": "city", "size": 1},
                "aggs": {
                    "oldest": {
                        "top_hits": {"size": 1, "sort": [{"age": "desc"}], "_source": ["age"]}
                    }
                },
            }
        },
    )
    bucket = out["c"]["buckets"][0]
    assert bucket["key"] == "paris"
    top = bucket["oldest"]["hits"]
    assert top["total"] == {"value": 3, "relation": "eq"}
    assert top["hits"][0]["_source"] == {"age": 31} and top["hits"][0]["sort"] == [31]


def test_typed_keys_and_meta(shop: OpenSearch) -> None:
    out = aggs(shop, {"a": {"avg": {"field": "age"}, "meta": {"owner": "me"}}}, typed_keys="true")
    assert out == {"avg#a": {"meta": {"owner": "me"}, "value": 211 / 6}}


def test_aggregation_errors(shop: OpenSearch) -> None:
    cases = [
        ({"x": {"nope": {}}}, "Unknown aggregation type [nope]"),
        (
            {"x": {"avg": {"field": "age"}, "terms": {"field": "city"}}},
            "Found two aggregation type definitions",
        ),
        (
            {"x": {"avg": {"field": "age"}, "aggs": {"y": {"avg": {"field": "age"}}}}},
            "cannot accept sub-aggregations",
        ),
        ({"x": {"terms": {"field": "bio"}}}, "Text fields are not optimised"),
        ({"x": {"avg": {"script": "1"}}}, "script"),
    ]
    for spec, text in cases:
        with pytest.raises(RequestError) as info:
            shop.search(index="shop", body={"size": 0, "aggs": spec})
        assert text in str(info.value.info), spec


def test_sum_is_exactly_rounded(make_index: Any) -> None:
    values = [0.1] * 10 + [1e16, -1e16]
    client = make_index(
        "sums", [{"v": v} for v in values], {"properties": {"v": {"type": "double"}}}
    )
    out = client.search(index="sums", body={"size": 0, "aggs": {"s": {"sum": {"field": "v"}}}})
    assert out["aggregations"]["s"]["value"] == pytest.approx(
        float(np.sum(np.array([0.1] * 10))), abs=1e-12
    )
