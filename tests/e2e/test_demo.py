"""The demo end to end on the embedded engine: members through the change log and the
sync, behaviour through ubi_events and the signals worker, the graph job, and
recommendations for a cold and a warm member that respect every hard rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

import mutuo
from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan
from mutuo.demo.run import INDEX, DemoOptions, DemoReport, reset, run_demo
from mutuo.errors import MutuoError
from mutuo.ltr.upload import promoted_model
from mutuo.sync.embedder import Embedder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    yield Embedder()


def demo(client: OpenSearch, tmp_path: Path, embedder: Embedder, **kw: int) -> DemoReport:
    options = DemoOptions(root=ROOT, directory=tmp_path / "demo", **kw)  # type: ignore[arg-type]
    return run_demo(client, options, embedder=embedder)


@pytest.fixture(scope="module")
def demo_client() -> Iterator[OpenSearch]:
    """One engine for the module: the demo runs once and each test reads what it left."""
    client = mutuo.connect("embedded://:memory:")
    yield client
    client.close()


@pytest.fixture(scope="module")
def report(
    demo_client: OpenSearch, tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> DemoReport:
    return demo(demo_client, tmp_path_factory.mktemp("demo"), embedder, members=150, days=1, seed=3)


def test_every_member_is_synced_with_an_embedding(
    demo_client: OpenSearch, report: DemoReport
) -> None:
    assert demo_client.count(index=INDEX)["count"] == 150
    assert report.steps["members"]["synced"] + report.steps["simulate"]["arrivals"] == 150
    assert len(demo_client.get(index=INDEX, id="m000000")["_source"]["profile_vector"]) == 384


def test_behaviour_goes_through_ubi_events_and_the_signals_worker(
    demo_client: OpenSearch, report: DemoReport
) -> None:
    simulated = report.steps["simulate"]
    logged = demo_client.count(index="ubi_events")["count"]
    actions = ("impression", "like", "pass", "match", "message", "reply", "block")
    assert logged == sum(simulated.get(a, 0) for a in actions) > 0
    assert simulated["signals_events"] == logged
    shown = demo_client.count(
        index=INDEX, body={"query": {"range": {"impressions_total": {"gt": 0}}}}
    )
    assert shown["count"] > 0
    demo_client.indices.refresh(index="ubi_queries")
    assert demo_client.count(index="ubi_queries")["count"] == simulated["requests"]


def test_no_result_was_already_seen_blocked_or_not_mutual(report: DemoReport) -> None:
    assert report.metrics["served"] > 0
    assert report.metrics["served_violations"] == 0


def test_the_graph_job_wrote_vectors_for_members_with_likes(
    demo_client: OpenSearch, report: DemoReport
) -> None:
    graph = report.steps["graph"]
    assert graph["written"] > 0
    with_vector = demo_client.count(
        index=INDEX, body={"query": {"exists": {"field": "graph_vector"}}}
    )["count"]
    assert with_vector == graph["written"]


def test_a_model_trained_on_the_logged_lists_is_promoted(
    demo_client: OpenSearch, report: DemoReport
) -> None:
    ltr = report.steps["ltr"]
    assert ltr["judgments"] == report.steps["simulate"]["impression"]
    assert ltr["uploaded"] == "created" and ltr["previous"] == "mutuo-people-baseline"
    assert promoted_model(demo_client) == ltr["model"]


def test_the_showcase_has_a_cold_and_a_warm_member_with_mutual_results(
    demo_client: OpenSearch, report: DemoReport
) -> None:
    cases = {case["role"]: case for case in report.showcase}
    assert set(cases) == {"cold", "warm"}
    assert not cases["cold"]["viewer"]["has_taste_vector"]
    assert cases["warm"]["viewer"]["has_taste_vector"]
    for case in cases.values():
        viewer = demo_client.get(index=INDEX, id=case["viewer"]["id"])["_source"]
        assert case["results"]
        for row in case["results"]:
            explanation = row["explanation"]
            assert explanation["model"] == report.steps["ltr"]["model"]
            assert explanation["model_score"] is not None
            other = demo_client.get(index=INDEX, id=row["id"])["_source"]
            assert other["gender"] in viewer["seeking"] and viewer["gender"] in other["seeking"]


def test_a_second_demo_on_the_same_cluster_is_refused(
    demo_client: OpenSearch, report: DemoReport, tmp_path: Path, embedder: Embedder
) -> None:
    with pytest.raises(MutuoError, match="--reset"):
        demo(demo_client, tmp_path, embedder, members=20, days=1)


def test_reset_deletes_the_demo_but_keeps_the_engine_and_the_embedding_cache(
    memory_client: OpenSearch, tmp_path: Path
) -> None:
    apply_plan(memory_client, make_plan(memory_client, load_artifacts(ROOT)), lambda _m: None)
    memory_client.index(index="profiles", id="m1", body={"status": "active"}, refresh=True)
    for name in (
        "engine/data.sqlite",
        "sync/embeddings.sqlite",
        "sync/checkpoint.json",
        "changes.jsonl",
        "graph/basis.npz",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    reset(memory_client, tmp_path)
    assert not memory_client.indices.exists(index="profiles")
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["engine/data.sqlite", "sync/embeddings.sqlite"]


@pytest.mark.slow
def test_the_full_size_demo_keeps_every_rule(
    memory_client: OpenSearch, tmp_path: Path, embedder: Embedder
) -> None:
    report = demo(memory_client, tmp_path, embedder, members=1000, days=2, seed=11)
    assert report.metrics["served_violations"] == 0
    assert report.metrics["matches"] > 0 and report.steps["graph"]["written"] > 0
    assert {case["role"] for case in report.showcase} == {"cold", "warm"}
