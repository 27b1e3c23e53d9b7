"""``mutuo eval replay`` on the engine: logged lists read back from ubi_events, a stored
model re-ranking them through sltr, checked against the estimators on numpy scores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from opensearchpy import OpenSearch

from mutuo.cli.app import cli
from mutuo.evaluation.replay import estimate
from mutuo.evaluation.replay_engine import judged_since, logged_lists, replay
from mutuo.evaluation.speed_dating.features import ONE_SIDED, create_feature_sets
from mutuo.evaluation.speed_dating.world import apply_artifacts
from mutuo.events import Event, record
from mutuo.signals.worker import SignalsWorker

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
VECTORS = {"v": [1, 0], "w": [0, 1], "a": [1, 1], "b": [1, 0.2], "c": [0, 1]}


def _unit(values: list[float]) -> np.ndarray:
    v = np.array(values + [0.0] * (384 - len(values)))
    return v / np.linalg.norm(v)


def _shown(viewer: str, query: str, members: list[str], at: datetime) -> list[Event]:
    return [
        Event(viewer, "impression", m, at, query_id=query, position=p)
        for p, m in enumerate(members, start=1)
    ]


@pytest.fixture
def logged(memory_client: OpenSearch) -> OpenSearch:
    apply_artifacts(memory_client, ROOT)
    for doc_id, vector in VECTORS.items():
        body = {"status": "active", "profile_vector": [float(x) for x in _unit(vector)]}
        memory_client.index(index="profiles", id=doc_id, body=body)
    memory_client.indices.refresh(index="profiles")
    later = T0 + timedelta(minutes=1)
    events = [
        *_shown("v", "old", ["c", "a"], T0 - timedelta(days=3)),
        *_shown("v", "q1", ["a", "b", "c"], T0),
        *_shown("w", "q2", ["c", "a"], T0),
        Event("v", "impression", "w", T0),  # no query id: not a list
        Event("v", "like", "c", later),
        Event("v", "like", "b", later),
        Event("b", "like", "v", later),
        Event("b", "match", "v", later + timedelta(seconds=1)),
        Event("w", "like", "a", later),
    ]
    record(memory_client, events, refresh=True)
    SignalsWorker(memory_client).catch_up()
    create_feature_sets(memory_client)
    model = {"type": "model/linear", "definition": {"profile_similarity": 1.0}}
    memory_client.plugins.ltr.create_model_from_set(
        name=ONE_SIDED, body={"model": {"name": "similar", "model": model}}
    )
    return memory_client


def test_logged_lists_keep_positions_and_grade_matches_for_both_sides(
    logged: OpenSearch,
) -> None:
    lists = {x.query_id: x for x in logged_lists(judged_since(logged, T0))}
    assert sorted(lists) == ["q1", "q2"], "the old list is before --since"
    assert lists["q1"].members == ["a", "b", "c"]
    assert lists["q1"].outcomes.tolist() == [0, 3, 1]
    assert lists["q1"].positions.tolist() == [1, 2, 3]
    assert lists["q2"].outcomes.tolist() == [0, 1]


def test_replay_scores_the_models_ranking_as_the_estimators_do_on_its_scores(
    logged: OpenSearch,
) -> None:
    report = replay(logged, "similar", T0, k=2)
    lists = logged_lists(judged_since(logged, T0))
    expected = [
        np.array([(1 + _unit(VECTORS[x.viewer]) @ _unit(VECTORS[m])) / 2 for m in x.members])
        for x in lists
    ]
    assert report["candidate"] == estimate(lists, expected, 2)
    # v's list: similarity ranks b (matched) first, the logged order showed it second
    assert report["candidate"]["ndcg@2"] > report["logged_policy"]["ndcg@2"]


def test_replay_command_prints_json_and_refuses_an_unknown_model(
    logged: OpenSearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mutuo.client.connect", lambda *_a, **_k: logged)
    runner = CliRunner()
    result = runner.invoke(cli, ["eval", "replay", "--model", "similar", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["candidate"]["lists"] == 3
    missing = runner.invoke(cli, ["eval", "replay", "--model", "nope"])
    assert missing.exit_code != 0
    assert "no LTR model 'nope'" in missing.output + str(missing.exception)
