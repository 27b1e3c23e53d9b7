"""``distance_split``: the recommend template renders a distance clause only for the steps
below the viewer's limit, and keeps exactly the members the full list of steps keeps."""

from __future__ import annotations

from typing import Any

import pytest

from mutuo.recommend.requests import distance_split, recommend_request
from mutuo.sync.derive import DISTANCE_STEPS_KM

from .market import HOME, Market, member, point_at, viewer
from .test_templates import render

# just inside and just outside every step, so each step's own clause decides somewhere
DISTANCES_KM = [d for s in DISTANCE_STEPS_KM[:-1] for d in (0.9 * s, 1.1 * s)] + [0.3]
MEMBER_LIMITS_KM: list[float | None] = [*DISTANCE_STEPS_KM, None]
VIEWER_LIMITS_KM: list[float | None] = [*DISTANCE_STEPS_KM, 30, None]


def _without_split(request: dict[str, Any]) -> dict[str, Any]:
    params = {k: v for k, v in request["params"].items() if k != "distance_split"}
    return {**request, "params": params}


def _eligible(market: Market, request: dict[str, Any]) -> list[str]:
    """The members the rendered hard filter keeps (the lexical source's filter, alone)."""
    body = render(market, request)
    hard_filter = body["query"]["bool"]["should"][-1]["bool"]["filter"][0]
    response = market.client.search(
        index="profiles", body={"query": hard_filter, "size": 1000, "_source": False}
    )
    return sorted(hit["_id"] for hit in response["hits"]["hits"])


def _hits(market: Market, request: dict[str, Any]) -> list[tuple[str, float]]:
    response = market.client.search_template(index="profiles", body=request)
    return [(hit["_id"], hit["_score"]) for hit in response["hits"]["hits"]]


@pytest.fixture
def spread_market(market: Market) -> Market:
    members = {
        f"m{i}-{j}": member(km=km, limit_km=limit, age=30 + i % 5)
        for i, km in enumerate(DISTANCES_KM)
        for j, limit in enumerate(MEMBER_LIMITS_KM)
    }
    market.add(members)
    return market


def test_the_split_renders_distance_clauses_for_the_steps_below_the_limit_only() -> None:
    home = {"lat": HOME[0], "lon": HOME[1]}
    assert distance_split({"max_distance_step_km": 25, "location": home}) == {
        "near_km": [1, 2, 5, 10],
        "far_km": [25, 50, 100, 200, 500, 1000, 2500, 20040],
    }
    # a limit between steps: the steps at or above it need no clause of their own
    assert distance_split({"max_distance_step_km": 30, "location": home}) == {
        "near_km": [1, 2, 5, 10, 25],
        "far_km": [50, 100, 200, 500, 1000, 2500, 20040],
    }
    # without a numeric limit or a location the viewer's clause bounds nothing
    assert distance_split({"location": home}) is None
    assert distance_split({"max_distance_step_km": 25}) is None
    assert distance_split({"max_distance_step_km": True, "location": home}) is None


def test_the_split_template_renders_fewer_geo_clauses(market: Market) -> None:
    request = recommend_request("v", viewer(limit_km=25))
    assert "distance_split" in request["params"]
    split = str(render(market, request)).count("geo_distance")
    full = str(render(market, _without_split(request))).count("geo_distance")
    # four copies of the hard filter: the viewer's clause and one per step below 25 km
    assert (split, full) == (4 * (1 + 4), 4 * (1 + len(DISTANCE_STEPS_KM)))


@pytest.mark.parametrize("limit_km", VIEWER_LIMITS_KM)
def test_the_split_keeps_the_members_every_step_keeps(
    spread_market: Market, limit_km: float | None
) -> None:
    request = recommend_request("v", viewer(limit_km=limit_km, age_range=(20, 50)))
    if limit_km is not None:  # the step the sync derives (30 km -> 25 km) drives the split
        assert "distance_split" in request["params"]
    eligible = _eligible(spread_market, request)
    assert eligible == _eligible(spread_market, _without_split(request))
    # the filter decides: some members within reach, some not (except with no limit at all)
    assert 0 < len(eligible) < len(DISTANCES_KM) * len(MEMBER_LIMITS_KM)


@pytest.mark.parametrize("limit_km", [5, 100, 2500])
def test_recommendations_are_the_same_with_and_without_the_split(
    spread_market: Market, limit_km: float
) -> None:
    request = recommend_request("v", viewer(limit_km=limit_km, age_range=(20, 50)), size=100)
    hits = _hits(spread_market, request)
    assert hits and hits == _hits(spread_market, _without_split(request))


def test_a_viewer_away_from_home_is_split_around_their_own_location(market: Market) -> None:
    away = point_at(300, bearing_deg=0)
    market.add(
        {
            f"n{km}": member(km=0, location=point_at(km, 0, (away["lat"], away["lon"])))
            for km in (1, 20, 60)
        }
    )
    request = recommend_request("v", viewer(limit_km=50, location=away))
    assert _eligible(market, request) == _eligible(market, _without_split(request)) == ["n1", "n20"]
