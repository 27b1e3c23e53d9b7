"""The stored templates as artifacts: what they render, and that the rules are where they
must be (inside every knn's own filter, one geo clause per distance step)."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from mutuo.ltr.slot import DEFAULT_SCORE_SPREAD, slot_model, with_slot_model
from mutuo.recommend.requests import RankingOptions, recommend_request, search_request
from mutuo.sync.derive import DISTANCE_STEPS_KM

from .market import GRAPH_DIM, ROOT, Market, cluster_vector, member, text_vector, viewer


def render(market: Market, body: dict[str, Any]) -> dict[str, Any]:
    response = market.client.transport.perform_request("POST", "/_render/template", body=body)
    output: dict[str, Any] = response["template_output"]
    return output


def knn_clauses(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node["knn"]] if "knn" in node else []
        return found + [c for v in node.values() for c in knn_clauses(v)]
    if isinstance(node, list):
        return [c for v in node for c in knn_clauses(v)]
    return []


def warm_viewer() -> dict[str, Any]:
    rng = np.random.default_rng(0)
    return viewer(
        taste_vector=cluster_vector(2, rng), graph_vector=cluster_vector(1, rng, dim=GRAPH_DIM)
    )


def test_every_knn_of_recommend_is_prefiltered_by_the_same_hard_filter(market: Market) -> None:
    body = render(market, recommend_request("v", warm_viewer()))
    should = body["query"]["bool"]["should"]
    lexical_filter = should[-1]["bool"]["filter"][0]
    knns = knn_clauses(body["query"])
    # the main source, the reserved source (members the marketplace lifts), the graph
    assert [next(iter(k)) for k in knns] == ["profile_vector", "profile_vector", "graph_vector"]
    main, reserved, graph = (next(iter(k.values()))["filter"] for k in knns)
    assert main == graph == lexical_filter
    # the reserved source: the hard filter itself (one mask serves every source) and only
    # members the marketplace lifts
    lifted = {
        "bool": {
            "should": [
                {"range": {"explore_bonus": {"gt": 0}}},
                {"range": {"exposure_balance": {"gt": 0.5}}},
            ]
        }
    }
    assert reserved == {"bool": {"filter": [lifted, main]}}
    off = render(
        market, recommend_request("v", warm_viewer(), options=RankingOptions(balance_candidates=0))
    )
    assert len(knn_clauses(off["query"])) == 2


def test_every_knn_of_search_is_prefiltered_by_the_search_filter(market: Market) -> None:
    body = render(market, search_request("hiking", text_vector("hiking"), "v", warm_viewer()))
    bool_query = body["query"]["bool"]
    (knn,) = knn_clauses(body["query"])
    assert knn["profile_vector"]["filter"] == bool_query["filter"][0]


def test_a_warm_viewer_is_matched_by_taste_and_a_cold_one_by_profile(market: Market) -> None:
    warm = warm_viewer()
    cold = viewer()
    for profile, expected in ((warm, warm["taste_vector"]), (cold, cold["profile_vector"])):
        (taste, reserved, *_rest) = knn_clauses(
            render(market, recommend_request("v", profile))["query"]
        )
        assert np.allclose(taste["profile_vector"]["vector"], expected)
        assert np.allclose(reserved["profile_vector"]["vector"], expected)
    no_graph = render(market, recommend_request("v", {**cold, "graph_vector": None}))
    assert [next(iter(k)) for k in knn_clauses(no_graph["query"])] == ["profile_vector"] * 2


def test_one_geo_clause_per_distance_step() -> None:
    source = (ROOT / "scripts" / "mutuo-recommend.mustache").read_text()
    steps = [int(s) for s in re.findall(r'"max_distance_step_km": (\d+)\}', source)]
    # four copies of the hard filter (three knn filters and the lexical clause)
    assert steps == list(DISTANCE_STEPS_KM) * 4


def test_the_rescore_chain_is_the_model_then_the_marketplace(market: Market) -> None:
    body = render(market, recommend_request("v", viewer()))
    ltr, marketplace = body["rescore"]
    assert ltr["window_size"] == 200 and ltr["query"]["query_weight"] == 0
    assert ltr["query"]["rescore_query"]["sltr"]["model"] == "mutuo-people-baseline"
    functions = marketplace["query"]["rescore_query"]["function_score"]["functions"]
    assert [f["field_value_factor"]["field"] for f in functions] == [
        "exposure_balance",
        "explore_bonus",
    ]
    assert marketplace["query"]["score_mode"] == "total"
    # sized in the model's units: the promoted model's score spread, the template's default
    assert marketplace["query"]["rescore_query_weight"] == DEFAULT_SCORE_SPREAD


def test_template_parameters_are_data(market: Market) -> None:
    hostile = 'x"}}, {"match_all": {}}, {"term": {"a": "'
    body = render(market, recommend_request(hostile, viewer(gender=hostile)))
    text = json.dumps(body)
    assert text.count('"match_all"') == 0
    assert body["query"]["bool"]["should"][0]["knn"]["profile_vector"]["filter"]["bool"][
        "must_not"
    ][0] == {"ids": {"values": [hostile]}}


def test_the_model_slot_names_the_default_model() -> None:
    source = (ROOT / "scripts" / "mutuo-recommend.mustache").read_text()
    assert slot_model(source) == "mutuo-people-baseline"
    assert slot_model(with_slot_model(source, "m-2")) == "m-2"


def test_vector_candidates_are_prefiltered_not_post_filtered(market: Market) -> None:
    # the nearest members to the viewer's taste are all ineligible: a knn with k=3 that
    # post-filtered would leave nothing; pre-filtering finds the eligible ones
    rng = np.random.default_rng(5)
    near = {f"man{i}": member(gender="man", vector=cluster_vector(3, rng, 0.01)) for i in range(5)}
    far = {f"w{i}": member(vector=cluster_vector(4, rng), interests=["chess"]) for i in range(3)}
    market.add(
        {"v": viewer(taste_vector=cluster_vector(3, rng, 0.01), interests=["polo"]), **near, **far}
    )
    assert sorted(market.recommended("v", candidates=3, graph_candidates=1)) == ["w0", "w1", "w2"]


def test_the_four_copies_of_the_hard_filter_are_the_same_text() -> None:
    # the same text renders once per request (the mustache section memo) and one edit
    # cannot reach some copies and miss others
    source = (ROOT / "scripts" / "mutuo-recommend.mustache").read_text()
    copies = re.findall(
        r'\n( +"filter": \[\n +\{"term": \{"status": "active"\}\}.*?passed_ids.*?\n +\])',
        source,
        re.S,
    )
    assert len(copies) == 4 and len(set(copies)) == 1
