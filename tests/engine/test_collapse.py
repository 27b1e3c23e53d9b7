"""``collapse`` on keyword and numeric fields, inner_hits, and collapse with rescore."""

from __future__ import annotations

from typing import Any

import pytest
from closeness import closeness
from opensearchpy import OpenSearch, RequestError, TransportError

# id, product (group), first-pass x (score 1/(1+x^2)), popularity y (rescore 1/(1+y^2)), tags
PRODUCTS = [
    ("1", "p0", 2.0, 0.5, ["tv"]),
    ("2", "p10", 1.0, 0.1, ["tv"]),
    ("3", "p10", 0.5, 3.0, ["tv"]),
    ("4", "p0", 3.0, 0.2, ["tv"]),
    ("5", "p20", 0.1, 2.0, ["tv"]),
    ("6", "p30", 4.0, 0.0, ["tv", "sale"]),
    ("7", None, 1.5, 1.0, ["tv"]),
]


def _score(x: float) -> float:
    return 1 / (1 + x * x)


@pytest.fixture
def shop(memory_client: OpenSearch) -> OpenSearch:
    memory_client.indices.create(
        index="shop",
        body={
            "mappings": {
                "properties": {
                    "product": {"type": "keyword"},
                    "rank": {"type": "integer"},
                    "x": {"type": "knn_vector", "dimension": 1},
                    "y": {"type": "knn_vector", "dimension": 1},
                    "tags": {"type": "keyword"},
                    "title": {"type": "text"},
                }
            }
        },
    )
    for doc_id, product, x, y, tags in PRODUCTS:
        doc = {"x": [x], "y": [y], "rank": int(doc_id) % 3, "tags": tags, "title": "tv"}
        if product is not None:
            doc["product"] = product
        memory_client.index(index="shop", id=doc_id, body=doc)
    memory_client.indices.refresh(index="shop")
    return memory_client


def _search(client: OpenSearch, **body: Any) -> dict[str, Any]:
    result: dict[str, Any] = client.search(index="shop", body={"query": closeness("x"), **body})
    return result


def test_one_hit_per_group_the_best_scoring_one(shop: OpenSearch) -> None:
    result = _search(shop, collapse={"field": "product"})
    hits = result["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["5", "3", "7", "1", "6"]
    assert [h["fields"]["product"] for h in hits] == [["p20"], ["p10"], [None], ["p0"], ["p30"]]
    assert result["hits"]["total"]["value"] == 7  # documents, not groups
    assert result["hits"]["max_score"] == pytest.approx(_score(0.1))


def test_from_and_size_count_groups(shop: OpenSearch) -> None:
    hits = _search(shop, collapse={"field": "product"}, **{"from": 1, "size": 2})["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["3", "7"]


def test_numeric_fields_collapse_to_numbers(shop: OpenSearch) -> None:
    hits = _search(shop, collapse={"field": "rank"})["hits"]["hits"]  # rank = id % 3
    assert [(h["_id"], h["fields"]["rank"]) for h in hits] == [("5", [2]), ("3", [0]), ("7", [1])]


def test_inner_hits_list_each_groups_docs(shop: OpenSearch) -> None:
    collapse = {
        "field": "product",
        "inner_hits": [{"name": "best", "size": 1}, {"name": "all", "size": 5, "_source": False}],
    }
    hits = _search(shop, collapse=collapse)["hits"]["hits"]
    p10 = next(h for h in hits if h["_id"] == "3")
    assert p10["inner_hits"]["best"]["hits"]["total"]["value"] == 2
    assert [h["_id"] for h in p10["inner_hits"]["best"]["hits"]["hits"]] == ["3"]
    assert [h["_id"] for h in p10["inner_hits"]["all"]["hits"]["hits"]] == ["3", "2"]
    assert "_source" not in p10["inner_hits"]["all"]["hits"]["hits"][0]
    missing = next(h for h in hits if h["_id"] == "7")
    assert [h["_id"] for h in missing["inner_hits"]["all"]["hits"]["hits"]] == ["7"]


def test_rescore_rescores_the_group_heads(shop: OpenSearch) -> None:
    rescore = {
        "query": {"rescore_query": closeness("y"), "query_weight": 0, "rescore_query_weight": 1}
    }
    hits = _search(shop, collapse={"field": "product"}, rescore=rescore)["hits"]["hits"]
    # heads by first pass: 5 (p20), 3 (p10), 7 (null), 1 (p0), 6 (p30); then by popularity
    assert [h["_id"] for h in hits] == ["6", "1", "7", "5", "3"]
    assert hits[0]["_score"] == pytest.approx(_score(0.0))
    windowed = _search(
        shop,
        collapse={"field": "product"},
        rescore={"window_size": 2, **rescore},
        size=1,
    )["hits"]["hits"]
    assert [h["_id"] for h in windowed] == ["5"]  # only heads 5 and 3 were rescored


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            "title",
            "unknown type for collapse field `title`, only keywords and numbers are accepted",
        ),
        ("nope", "no mapping found for `nope` in order to collapse on"),
    ],
)
def test_collapse_field_must_be_a_keyword_or_number(
    shop: OpenSearch, field: str, message: str
) -> None:
    with pytest.raises(RequestError) as info:
        _search(shop, collapse={"field": field})
    assert info.value.error == "search_phase_execution_exception"
    assert message in str(info.value.info)


def test_multi_valued_collapse_field_fails(shop: OpenSearch) -> None:
    with pytest.raises(TransportError) as info:
        _search(shop, collapse={"field": "tags"})
    assert info.value.status_code == 500
    assert "the collapse field must be single valued" in str(info.value.info)


def test_groups_follow_the_sort_and_pages_continue_after_a_group(shop: OpenSearch) -> None:
    hits = _search(shop, collapse={"field": "rank"}, sort=[{"rank": "desc"}])["hits"]["hits"]
    assert [(h["fields"]["rank"], h["sort"]) for h in hits] == [([2], [2]), ([1], [1]), ([0], [0])]
    after = _search(shop, collapse={"field": "rank"}, sort=[{"rank": "desc"}], search_after=[2])
    assert [h["fields"]["rank"] for h in after["hits"]["hits"]] == [[1], [0]]
    with pytest.raises(RequestError) as info:
        _search(shop, collapse={"field": "rank"}, sort=[{"product": "asc"}], search_after=["p0"])
    assert "collapse field and sort field must be the same" in str(info.value.info)
