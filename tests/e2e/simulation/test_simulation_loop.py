"""``simulate`` on the embedded engine: the real event path, fresh signals between ticks,
no forbidden result, and the same run from the same seed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

import mutuo
from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan
from mutuo.simulation import KnnPolicy, Onboarding, SimulationLog, generate_world, simulate
from mutuo.sync.embedder import Embedder

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def embedder() -> Iterator[Embedder]:
    yield Embedder()


def run(
    directory: Path, embedder: Embedder, warm_cache: Path | None = None
) -> tuple[SimulationLog, OpenSearch, Onboarding]:
    client = mutuo.connect("embedded://:memory:")
    apply_plan(client, make_plan(client, load_artifacts(ROOT)), lambda _m: None)
    world = generate_world(80, days=2, arrival_share=0.2, seed=4)
    onboarding = Onboarding(client, ROOT, directory, embedder, warm_cache=warm_cache)
    try:
        log = simulate(client, world, 2, KnnPolicy(exploration=0.5), 4, onboarding)
    finally:
        onboarding.close()
    return log, client, onboarding


@pytest.fixture(scope="module")
def first(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[tuple[SimulationLog, OpenSearch, Onboarding]]:
    log, client, onboarding = run(tmp_path_factory.mktemp("a"), embedder)
    assert onboarding.embedded == 80
    yield log, client, onboarding
    client.close()


def test_every_simulated_event_is_in_ubi_events(
    first: tuple[SimulationLog, OpenSearch, Onboarding],
) -> None:
    log, client, _ = first
    client.indices.refresh(index="ubi_events")
    assert client.count(index="ubi_events")["count"] == sum(log.actions.values()) > 0
    assert log.signals["applied"] == sum(log.actions.values())


def test_arrivals_are_onboarded_through_the_sync_when_they_join(
    first: tuple[SimulationLog, OpenSearch, Onboarding],
) -> None:
    log, client, _ = first
    assert client.count(index="profiles")["count"] == 80
    new = log.marketplace.new_members()
    assert len(new) == 16 and all(0 < log.marketplace.joined[m] <= 2 for m in new)
    involved: dict[str, float] = {}
    for h in log.marketplace.happenings:
        for member in (h.actor, h.target):
            involved[member] = min(involved.get(member, h.day), h.day)
    assert any(m in involved for m in new)
    assert all(involved[m] >= log.marketplace.joined[m] for m in new if m in involved)


def test_served_lists_hold_no_seen_blocked_or_non_mutual_member(
    first: tuple[SimulationLog, OpenSearch, Onboarding],
) -> None:
    log, _, _ = first
    assert log.marketplace.served > 0 and log.marketplace.violations == 0


def test_the_same_seed_on_a_fresh_engine_replays_the_same_run_with_no_new_embedding(
    first: tuple[SimulationLog, OpenSearch, Onboarding], tmp_path: Path, embedder: Embedder
) -> None:
    log, _, onboarding = first
    again, client, warm = run(tmp_path, embedder, warm_cache=onboarding.cache_path)
    client.close()
    assert (warm.embedded, warm.cache_hits) == (0, 80)
    assert again.marketplace.happenings == log.marketplace.happenings
    assert again.metrics() == log.metrics()
