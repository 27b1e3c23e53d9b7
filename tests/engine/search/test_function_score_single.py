"""One unfiltered function reads its value directly: the scores are those of the general
combination, which an equivalent two-function query still takes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch

FUNCTIONS: list[dict[str, Any]] = [
    {"field_value_factor": {"field": "n", "modifier": "sqrt", "missing": 2}, "weight": 1.5},
    {"field_value_factor": {"field": "n", "modifier": "none", "factor": 0.3, "missing": 0}},
    {"gauss": {"n": {"origin": 10, "scale": 4}}, "weight": 3},
    {"exp": {"n": {"origin": 0, "scale": 7, "offset": 1}}},
]
# (score mode, the extra function that leaves the factor unchanged in that mode)
MODES = [("multiply", {"weight": 1}), ("first", None), ("max", None), ("min", None)]


@pytest.fixture(scope="module")
def search() -> Any:
    from mutuo.client import connect

    client = connect("embedded://:memory:")
    client.indices.create(index="docs", body={"mappings": {"properties": {"n": {"type": "float"}}}})
    rng = np.random.default_rng(3)
    body: list[dict[str, Any]] = []
    for i in range(80):
        doc = {"n": round(float(rng.gamma(2.0, 6.0)), 3)} if rng.random() < 0.8 else {}
        body += [{"index": {"_index": "docs", "_id": str(i)}}, doc]
    client.bulk(body=body, refresh=True)
    yield client
    client.close()


def scores(client: OpenSearch, function_score: dict[str, Any], rescore: bool) -> dict[str, float]:
    query = {"function_score": function_score}
    request: dict[str, Any] = {"query": query, "size": 100}
    if rescore:  # a window: each query runs over the rescored documents only
        request = {
            "query": {"match_all": {}},
            "size": 100,
            "rescore": {
                "window_size": 50,
                "query": {"rescore_query": query, "query_weight": 0, "rescore_query_weight": 1},
            },
        }
    hits = client.search(index="docs", body=request)["hits"]["hits"]
    return {hit["_id"]: hit["_score"] for hit in hits}


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize(("mode", "neutral"), MODES)
@pytest.mark.parametrize("boost_mode", ["replace", "multiply", "sum"])
@pytest.mark.parametrize("rescore", [False, True])
def test_a_single_function_scores_as_the_general_combination_does(
    search: OpenSearch,
    function: dict[str, Any],
    mode: str,
    neutral: dict[str, Any] | None,
    boost_mode: str,
    rescore: bool,
) -> None:
    common = {"query": {"match_all": {"boost": 1.3}}, "score_mode": mode, "boost_mode": boost_mode}
    single = {**common, "functions": [function]}
    general = {**common, "functions": [function, neutral if neutral is not None else function]}
    got = scores(search, single, rescore)
    assert got and got == scores(search, general, rescore)
