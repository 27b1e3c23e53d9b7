"""``mutuo eval simulate``: the four arms on one seeded world, the targets and the report."""

from __future__ import annotations

from pathlib import Path

import pytest

from mutuo.evaluation.simulate import ARMS, SimulateOptions, evaluate, make_policy, targets
from mutuo.simulation import RecommenderPolicy

ROOT = Path(__file__).resolve().parents[2]


def _arm(gini: float, liquidity: float, to_match: float | None) -> dict[str, float | None]:
    return {
        "gini_impressions": gini,
        "matches_per_1000_impressions": liquidity,
        "new_member_median_days_to_first_match": to_match,
    }


def test_targets_compare_both_against_none_and_say_which_are_met() -> None:
    met = targets({"none": _arm(0.5, 20.0, 2.0), "both": _arm(0.34, 19.5, 0.9)})
    assert met["gini_impressions_both_over_none"] == 0.68 and met["gini_cut_met"]
    assert met["liquidity_both_over_none"] == 0.975 and met["liquidity_met"]
    assert met["time_to_first_match_both_over_none"] == 0.45 and met["time_to_first_match_met"]
    missed = targets({"none": _arm(0.5, 20.0, None), "both": _arm(0.4, 19.0, 1.0)})
    assert not missed["gini_cut_met"] and not missed["liquidity_met"]
    assert missed["time_to_first_match_both_over_none"] is None
    assert not missed["time_to_first_match_met"], "an undefined median meets nothing"


@pytest.mark.slow
def test_four_arms_run_the_same_world_and_the_report_has_its_plots(tmp_path: Path) -> None:
    from mutuo.evaluation.report.simulate import write_simulate_report

    options = SimulateOptions(members=40, days=1, seed=3, root=ROOT, policy="recommend")
    report, logs = evaluate(options)
    assert list(report["arms"]) == list(ARMS) and report["policy"] == "recommend"
    for metrics in report["arms"].values():
        assert metrics["members"] == report["arms"]["none"]["members"]
        assert metrics["impressions"] > 0
        assert metrics["served_violations"] == 0
    page = write_simulate_report(report, logs, tmp_path, "mutuo eval simulate --members 40")
    for image in ("arms.png", "lorenz_impressions.png", "time_to_first_match.png"):
        assert (tmp_path / image).stat().st_size > 1000
    assert "lorenz_impressions.png" in page.read_text()


@pytest.mark.slow
def test_the_four_arms_are_reproducible_from_the_seed() -> None:
    options = SimulateOptions(members=40, days=1, seed=5, root=ROOT, policy="recommend")
    first, _logs = evaluate(options)
    second, _logs = evaluate(options)
    assert first["arms"] == second["arms"]
    assert first["arms"]["none"]["impressions"] > 0


def test_the_arms_differ_only_in_the_marketplace_stage() -> None:
    none = make_policy("recommend", "none", (4.0, 2.0))
    both = make_policy("recommend", "both", (4.0, 2.0))
    assert isinstance(none, RecommenderPolicy) and isinstance(both, RecommenderPolicy)
    assert none.options.params() == {
        "exposure_strength": 0.0,
        "explore_weight": 0.0,
        "no_balance_candidates": True,
    }
    assert both.options.params() == {"exposure_strength": 4.0, "explore_weight": 2.0}


def test_newcomers_join_during_the_arrival_window_of_a_one_city_world() -> None:
    world = SimulateOptions(members=60, days=4, seed=2).world()
    arrivals = [m for m in world.members.values() if m.joined_day > 0]
    assert len(arrivals) == 12 and all(m.joined_day <= 2.0 for m in arrivals)
    assert {m.profile["city"] for m in world.members.values()} == {"San Francisco"}
