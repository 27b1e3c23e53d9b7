"""The marketplace stage of ``mutuo-recommend``: a bounded adjustment in the model's units,
and a reserved candidate source for the members it lifts."""

from __future__ import annotations

import numpy as np
import pytest

from mutuo.ltr.slot import DEFAULT_SCORE_SPREAD, slot_spread, with_slot_spread
from mutuo.recommend import RankingOptions, Recommender

from .market import ROOT, Market, cluster_vector, member, viewer

SPREAD = 0.2


def signalled_market(market: Market, size: int = 30) -> None:
    """A viewer and ``size`` admissible candidates with random marketplace signals."""
    rng = np.random.default_rng(11)
    members = {
        f"c{i:02d}": member(
            age=26 + i % 12,
            vector=cluster_vector(0, rng, noise=1.0),
            exposure_balance=float(rng.uniform(0, 1)),
            explore_bonus=float(rng.uniform(0, 1)) if i % 3 == 0 else 0.0,
        )
        for i in range(size)
    }
    members["v"] = viewer()
    market.add(members)


def scores(market: Market, options: RankingOptions, k: int = 30) -> dict[str, float]:
    """Final scores by member (with both strengths 0 every candidate gets the same one
    spread: OpenSearch's function_score returns 1 when its weights sum to 0)."""
    result = Recommender(market.client, options=options, log_queries=False).recommend("v", k=k)
    return {r.member_id: r.score for r in result}


@pytest.mark.parametrize("strength", [0.5, 3.0])
def test_the_marketplace_stage_moves_a_score_by_at_most_its_strengths_in_spreads(
    market: Market, strength: float
) -> None:
    signalled_market(market)
    on = RankingOptions(exposure_strength=strength, explore_weight=strength, score_spread=SPREAD)
    result = Recommender(market.client, options=on, log_queries=False).recommend(
        "v", k=30, explain=True
    )
    assert len(result) == 30
    bound = 2 * strength * SPREAD
    model: dict[str, float] = {}
    for r in result:
        assert r.explanation is not None and r.explanation.model_score is not None
        model[r.member_id] = r.explanation.model_score
        moved = r.score - r.explanation.model_score
        src = r.profile
        expected = SPREAD * strength * (src["exposure_balance"] + src["explore_bonus"])
        assert moved == pytest.approx(expected, abs=1e-4)
        assert -1e-4 <= moved <= bound + 1e-4
    order = result.ids()
    for i, above in enumerate(order):
        for below in order[i + 1 :]:
            assert model[below] - model[above] <= bound + 1e-4, (
                "the stage overrode a model preference wider than its bound"
            )


def test_a_lifted_near_tie_overtakes_but_a_clear_preference_stands(market: Market) -> None:
    signalled_market(market, size=12)
    model = scores(market, RankingOptions(exposure_strength=0, explore_weight=0), k=12)
    ranked = sorted(model, key=lambda m: -model[m])
    top, runner_up = ranked[0], ranked[1]
    gap = model[top] - model[runner_up]
    market.update(runner_up, exposure_balance=1.0, explore_bonus=0.0)
    market.update(top, exposure_balance=0.0, explore_bonus=0.0)
    spread = 1.01 * gap  # one spread just wider than the gap: the lifted one overtakes
    lifted = scores(
        market, RankingOptions(exposure_strength=1, explore_weight=0, score_spread=spread), k=12
    )
    assert lifted[runner_up] > lifted[top]
    spread = 0.99 * gap  # narrower: the model's preference stands
    kept = scores(
        market, RankingOptions(exposure_strength=1, explore_weight=0, score_spread=spread), k=12
    )
    assert kept[top] > kept[runner_up]


def test_the_reserved_source_retrieves_lifted_members_the_main_source_leaves_out(
    market: Market,
) -> None:
    rng = np.random.default_rng(3)
    near = {f"n{i}": member(vector=cluster_vector(0, rng, noise=0.1)) for i in range(6)}
    far = {
        "fresh": member(vector=cluster_vector(5, rng, noise=0.1), explore_bonus=0.9),
        "unseen": member(vector=cluster_vector(6, rng, noise=0.1), exposure_balance=1.0),
        "plain": member(vector=cluster_vector(7, rng, noise=0.1), exposure_balance=0.5),
    }
    market.add({**near, **far, "v": viewer(vector=cluster_vector(0, rng, noise=0.1))})
    common = {"candidates": 6, "graph_candidates": 1, "window": 20}
    with_reserve = market.recommended("v", k=20, **common, balance_candidates=2)
    without = market.recommended("v", k=20, **common, balance_candidates=0)
    # lexical overlap retrieves everyone here (same interests) in a lower tier; the reserved
    # source lifts the new and the under-exposed into the vector tier, never the others
    assert set(with_reserve) == set(without)
    tier = with_reserve[:8]
    assert {"fresh", "unseen"} <= set(tier) and "plain" not in tier
    assert not {"fresh", "unseen"} & set(without[:6])


def test_the_templates_default_spread_is_the_baselines_and_promotion_moves_it() -> None:
    for name in ("mutuo-recommend", "mutuo-search"):
        source = (ROOT / "scripts" / f"{name}.mustache").read_text()
        assert slot_spread(source) == DEFAULT_SCORE_SPREAD
        moved = with_slot_spread(source, 0.0731)
        assert slot_spread(moved) == 0.0731 and moved.count("0.0731") == source.count(
            "{{^score_spread}}"
        )
    with pytest.raises(ValueError, match="positive"):
        with_slot_spread("{{^score_spread}}1{{/score_spread}}", 0.0)
