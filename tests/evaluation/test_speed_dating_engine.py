"""The Speed Dating engine path: feature sets, judgments from UBI events, cross-fitted
training folds, and the learned rankers end to end (sync, signals, ltr_log, XGBoost,
sltr) on a small synthetic experiment; the real data run skips when ../shared/data is
absent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch

from mutuo.evaluation.speed_dating.dataset import Meeting, SpeedDating, load
from mutuo.evaluation.speed_dating.features import (
    ONE_SIDED,
    RECIPROCAL,
    SETS,
    create_feature_sets,
    viewer_params,
)
from mutuo.evaluation.speed_dating.profiles import events_of
from mutuo.evaluation.speed_dating.rankers import select_rankers
from mutuo.evaluation.speed_dating.run import evaluate_data
from mutuo.evaluation.speed_dating.splits import make_split, training_folds
from mutuo.evaluation.speed_dating.world import apply_artifacts, evening_lists
from mutuo.events import record
from mutuo.ltr.judgments import collect_judgments

EVENING = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _unit(values: list[float]) -> list[float]:
    v = np.array(values + [0.0] * (384 - len(values)))
    return [float(x) for x in v / np.linalg.norm(v)]


def test_meetings_recorded_as_evening_lists_give_the_products_judgments(
    memory_client: OpenSearch,
) -> None:
    apply_artifacts(memory_client, ROOT)
    meetings = [
        Meeting(1, 1, 2, 1, 3, True, True),
        Meeting(1, 1, 3, 2, 1, True, False),
        Meeting(1, 1, 4, 3, 2, False, True),
    ]
    record(memory_client, evening_lists(meetings, events_of(meetings, EVENING)), refresh=True)
    graded = {
        (j.viewer_id, j.member_id): (j.label, j.position, j.query_id)
        for j in collect_judgments(memory_client)
    }
    assert graded[("sd0001", "sd0002")] == (3, 1, "sd-sd0001-evening")
    assert graded[("sd0002", "sd0001")][0] == 3, "a match counts for both sides"
    assert graded[("sd0001", "sd0003")] == (1, 2, "sd-sd0001-evening")
    assert graded[("sd0003", "sd0001")][0] == 0
    assert graded[("sd0004", "sd0001")][0] == 1 and graded[("sd0001", "sd0004")][0] == 0
    one_sided = {
        (j.viewer_id, j.member_id): j.label
        for j in collect_judgments(memory_client, reciprocal=False)
    }
    assert one_sided[("sd0001", "sd0002")] == one_sided[("sd0001", "sd0003")] == 1


def test_training_folds_cut_meetings_for_dates_and_whole_waves_for_waves(
    experiment: Callable[..., SpeedDating],
) -> None:
    data = experiment(waves=6, per_side=4)
    for name in ("dates", "waves"):
        split = make_split(data, name, 3)
        folds = training_folds(split, 3)
        assert sum(len(f) for f in folds) == len(split.train)
        assert set().union(*folds) == set(split.train)
        assert all(folds), "every fold holds meetings"
        if name == "waves":
            waves = [{m.wave for m in fold} for fold in folds]
            assert all(not (a & b) for i, a in enumerate(waves) for b in waves[i + 1 :])


def _profiles(client: OpenSearch) -> None:
    apply_artifacts(client, ROOT)
    docs: dict[str, dict[str, Any]] = {
        "v": {"profile_vector": _unit([1, 0]), "interests": ["hiking", "jazz"]},
        "a": {
            "profile_vector": _unit([1, 1]),
            "taste_vector": _unit([0, 1]),
            "interests": ["jazz"],
            "like_rate": 0.4,
            "likes_sent_7d": 3.0,
            "impressions_7d": 5.0,
        },
        "b": {"profile_vector": _unit([0, 1]), "interests": ["chess"]},
    }
    for doc_id, doc in docs.items():
        client.index(index="profiles", id=doc_id, body={"status": "active", **doc})
    client.indices.refresh(index="profiles")


def _log(client: OpenSearch, feature_set: str, params: dict[str, Any]) -> dict[str, list[Any]]:
    body = {
        "query": {
            "bool": {
                "filter": [
                    {"ids": {"values": ["a", "b"]}},
                    {"sltr": {"_name": "f", "featureset": feature_set, "params": params}},
                ]
            }
        },
        "ext": {"ltr_log": {"log_specs": [{"name": "log", "named_query": "f"}]}},
    }
    hits = client.search(index="profiles", body=body)["hits"]["hits"]
    return {h["_id"]: [e.get("value") for e in h["fields"]["_ltrlog"][0]["log"]] for h in hits}


def test_features_are_the_engines_cosines_rates_and_the_derived_ratios(
    memory_client: OpenSearch,
) -> None:
    _profiles(memory_client)
    create_feature_sets(memory_client)
    viewer = memory_client.get(index="profiles", id="v")["_source"]
    params = viewer_params(viewer)
    assert params["taste"] == params["profile"], "no taste yet: the profile stands in"
    logged = _log(memory_client, RECIPROCAL, params)
    a = dict(zip(SETS[RECIPROCAL], logged["a"], strict=True))
    cos = 1 / np.sqrt(2)  # knn_score cosinesimil scores (1 + cosine) / 2 since 2.19
    assert a["viewer_taste_fit"] == pytest.approx((1 + cos) / 2, abs=1e-5)
    assert a["profile_similarity"] == pytest.approx((1 + cos) / 2, abs=1e-5)
    assert a["candidate_taste_fit"] == pytest.approx(0.5, abs=1e-5)  # orthogonal: cos 0
    assert a["interest_overlap"] > 0
    assert a["candidate_like_rate"] == pytest.approx(0.4)
    generosity = (3 + 1) / (5 + 3)
    assert a["candidate_generosity"] == pytest.approx(generosity)
    assert a["mutual_appeal"] == pytest.approx(2 * 0.4 * generosity / (0.4 + generosity), 1e-4)
    b = dict(zip(SETS[RECIPROCAL], logged["b"], strict=True))
    assert b["candidate_taste_fit"] == 0.0, "no taste vector: knn_score scores 0"
    assert b["interest_overlap"] is None
    assert b["candidate_like_rate"] == pytest.approx(0.1), "the prior of a member never shown"
    one_sided = _log(memory_client, ONE_SIDED, params)
    assert len(one_sided["a"]) == len(SETS[ONE_SIDED])


@pytest.mark.slow
def test_learned_rankers_run_the_whole_engine_loop_on_a_small_experiment(
    experiment: Callable[..., SpeedDating], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    data = experiment(waves=3, per_side=8, seed=1)
    result = evaluate_data(data, "dates", 0, select_rankers("popularity,one_sided,reciprocal"))
    report = result.to_json()
    for name in ("one_sided", "reciprocal"):
        details = report["details"][name]
        check = details["engine_vs_xgboost"]
        assert check["rows"] == sum(len(c.candidates) for c in result.cases)
        assert check["differing"] <= 0.01 * check["rows"]
        assert details["training"]["rows"] == 2 * len(result.split.train)
        assert details["world"]["events"] > 0
        assert details["world"]["signals_applied"] == details["world"]["events"]
    # decisions follow the partner's appeal: the learned like model must see it
    assert report["rankers"]["one_sided"]["like"]["auc"]["estimate"] > 0.6
    assert "reciprocal_vs_one_sided" in report["gain"]


@pytest.mark.slow
def test_real_speed_dating_reciprocal_ranking_runs_on_both_splits(shared_dir: Path) -> None:
    folder = shared_dir / "data" / "speed_dating"
    if not folder.exists():
        pytest.skip(f"the Speed Dating data is absent ({folder}); see ../shared/data/README.md")
    data = load(folder)
    for split in ("dates", "waves"):
        report = evaluate_data(data, split, 0, select_rankers("random,reciprocal")).to_json()
        mutual = report["rankers"]["reciprocal"]["mutual"]
        assert mutual["ndcg@10"]["participants"] > 100
        check = report["details"]["reciprocal"]["engine_vs_xgboost"]
        assert check["differing"] <= 0.01 * check["rows"]
