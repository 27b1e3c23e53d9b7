"""Every hard filter of mutuo-recommend (and mutuo-search), one rule at a time.

Each test indexes an eligible member and one that breaks exactly one rule: the eligible
one must come back (so the test is not vacuous) and the other must not (so removing the
rule from the template fails the test).
"""

from __future__ import annotations

import pytest

from .market import Market, member, text_vector, viewer


def test_an_eligible_member_is_recommended_and_the_viewer_never_is(market: Market) -> None:
    market.add({"v": viewer(), "ok": member()})
    assert market.recommended("v") == ["ok"]


@pytest.mark.parametrize("status", ["hidden", "paused", "deleted"])
def test_only_active_members_are_recommended(market: Market, status: str) -> None:
    market.add({"v": viewer(), "ok": member(), "gone": member(status=status)})
    assert market.recommended("v") == ["ok"]


def test_the_viewers_sought_genders_filter_candidates(market: Market) -> None:
    market.add({"v": viewer(seeking=["woman"]), "ok": member(), "man": member(gender="man")})
    assert market.recommended("v") == ["ok"]


def test_a_candidate_must_seek_the_viewers_gender(market: Market) -> None:
    market.add({"v": viewer(), "ok": member(), "seeks_women": member(seeking=["woman"])})
    assert market.recommended("v") == ["ok"]


def test_several_sought_genders_and_unstated_preferences(market: Market) -> None:
    market.add(
        {
            "v": viewer(seeking=["woman", "man"]),
            "w": member(),
            "m": member(gender="man", seeking=["man", "woman"]),
            "no_preference": member(seeking=[]),
            "nb": member(gender="nonbinary"),
        }
    )
    assert sorted(market.recommended("v")) == ["m", "no_preference", "w"]


@pytest.mark.parametrize("age", [24, 41])
def test_candidates_age_within_the_viewers_range(market: Market, age: int) -> None:
    market.add({"v": viewer(age_range=(25, 40)), "ok": member(age=25), "out": member(age=age)})
    assert market.recommended("v") == ["ok"]


@pytest.mark.parametrize("candidate_range", [(33, 45), (20, 31)])
def test_the_viewers_age_within_the_candidates_range(
    market: Market, candidate_range: tuple[int, int]
) -> None:
    market.add(
        {
            "v": viewer(age=32),
            "ok": member(age_range=(32, 32)),
            "out": member(age_range=candidate_range),
        }
    )
    assert market.recommended("v") == ["ok"]


def test_beyond_the_viewers_distance_limit(market: Market) -> None:
    market.add(
        {
            "v": viewer(limit_km=25),
            "ok": member(km=24.5, limit_km=100),
            "far": member(km=25.5, limit_km=100),
        }
    )
    assert market.recommended("v") == ["ok"]


def test_beyond_the_candidates_distance_limit(market: Market) -> None:
    market.add(
        {
            "v": viewer(limit_km=100),
            "ok": member(km=9.5, limit_km=10),
            "far": member(km=10.5, limit_km=10),
        }
    )
    assert market.recommended("v") == ["ok"]


def test_a_limit_between_steps_counts_as_the_step_below(market: Market) -> None:
    # 30 km is snapped down to 25 km: never shown to someone beyond their limit
    market.add(
        {
            "v": viewer(limit_km=100),
            "ok": member(km=24.5, limit_km=30),
            "far": member(km=27, limit_km=30),
        }
    )
    assert market.recommended("v") == ["ok"]


def test_no_limit_means_any_distance(market: Market) -> None:
    market.add({"v": viewer(limit_km=None), "far": member(km=3000, limit_km=None)})
    assert market.recommended("v") == ["far"]


@pytest.mark.parametrize("seen_list", ["seen_ids", "liked_ids", "passed_ids"])
def test_members_already_seen_liked_or_passed(market: Market, seen_list: str) -> None:
    market.add({"v": viewer(), "ok": member(), "seen": member()})
    market.state("v", **{seen_list: ["seen"]})
    assert market.recommended("v") == ["ok"]


@pytest.mark.parametrize("block_list", ["blocked_ids", "blocked_by_ids"])
def test_blocks_in_the_viewer_state_either_way(market: Market, block_list: str) -> None:
    market.add({"v": viewer(), "ok": member(), "blocked": member()})
    market.state("v", **{block_list: ["blocked"]})
    assert market.recommended("v") == ["ok"]
    assert market.searched("hiking", "v") == ["ok"]


def test_a_candidate_who_blocked_the_viewer_in_their_profile(market: Market) -> None:
    market.add({"v": viewer(), "ok": member(), "blocker": member(blocked_ids=["v"])})
    assert market.recommended("v") == ["ok"]
    assert market.searched("hiking", "v") == ["ok"]


def test_search_applies_the_viewers_hard_filters(market: Market) -> None:
    market.add(
        {
            "v": viewer(),
            "ok": member(),
            "man": member(gender="man"),
            "hidden": member(status="hidden"),
            "far": member(km=80),
        }
    )
    assert market.searched("hiking", "v") == ["ok"]


def test_search_shows_seen_members_unless_asked_not_to(market: Market) -> None:
    market.add({"v": viewer(), "seen": member()})
    market.state("v", seen_ids=["seen"])
    assert market.searched("hiking", "v") == ["seen"]
    request = market.recommender.search("hiking", "v")
    assert request.ids() == ["seen"]
    from mutuo.recommend.requests import search_request

    body = search_request("hiking", None, "v", market.recommender.viewer("v"), exclude_seen=True)
    hits = market.client.search_template(index="profiles", body=body)["hits"]["hits"]
    assert hits == []


def test_anonymous_search_shows_active_members_only(market: Market) -> None:
    market.add({"a": member(), "b": member(gender="man"), "c": member(status="paused")})
    assert sorted(market.searched("hiking")) == ["a", "b"]


def test_a_block_applies_to_the_very_next_request(market: Market) -> None:
    # the profiles index does not change in between: no cached filter may outlive the block
    market.add({"v": viewer(), "a": member(), "b": member()})
    assert sorted(market.recommended("v")) == ["a", "b"]
    market.state("v", blocked_ids=["a"])
    assert market.recommended("v") == ["b"]
    market.state("v", blocked_ids=["a"], seen_ids=["b"])
    assert market.recommended("v") == []


def test_the_hybrid_search_design_applies_the_same_hard_filters(market: Market) -> None:
    market.add(
        {
            "v": viewer(),
            "ok": member(),
            "man": member(gender="man"),
            "hidden": member(status="hidden"),
            "far": member(km=80),
            "blocker": member(blocked_ids=["v"]),
        }
    )
    market.state("v", blocked_ids=["man"])
    params = {
        "query_text": "hiking",
        "query_vector": text_vector("hiking"),
        "viewer_id": "v",
        "viewer": market.recommender.viewer("v"),
    }
    body = {"id": "mutuo-search-hybrid", "params": params}
    hits = market.client.search_template(index="profiles", body=body)["hits"]["hits"]
    assert [h["_id"] for h in hits] == ["ok"]
