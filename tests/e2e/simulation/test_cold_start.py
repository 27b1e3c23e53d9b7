"""Cold start on the real loop: a member who just joined, whose profile resembles the
viewers' taste less than every other candidate's does (cosine about 0.8 against 0.96), is
shown within a bounded number of recommendation requests because the signals worker gives
them an exploration bonus and the template's marketplace stage adds it; with the
exploration weight at 0 the same member stays out of sight.

The marketplace stage is bounded (at most ``exposure_strength + explore_weight`` model
score spreads), so it surfaces a newcomer the model scores within that bound of the list,
not one who resembles no one's taste: that one is left to the viewers who would like them."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from opensearchpy import OpenSearch

from mutuo.artifacts.apply import apply_plan, load_artifacts, make_plan
from mutuo.events import Event, record
from mutuo.recommend import RankingOptions
from mutuo.signals import SignalsOptions, SignalsWorker
from mutuo.simulation import RecommenderPolicy

ROOT = Path(__file__).resolve().parents[3]
T = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
VIEWERS = [f"v{i:02d}" for i in range(12)]
BOUND = 3  # requests by eligible viewers before the newcomer is shown


def vector(cluster: int, seed: int) -> list[float]:
    v = np.zeros(384)
    v[cluster] = 1.0
    v += 0.3 * np.random.default_rng(seed).normal(size=384) / math.sqrt(384)
    return (v / np.linalg.norm(v)).tolist()


def near(cosine: float, seed: int) -> list[float]:
    """A vector about ``cosine`` from cluster 0's members, the rest towards cluster 7."""
    v = cosine * np.array(vector(0, seed)) + math.sqrt(1 - cosine**2) * np.array(vector(7, seed))
    return (v / np.linalg.norm(v)).tolist()


def person(gender: str, seed: int, cluster: int, created: datetime) -> dict[str, Any]:
    return {
        "status": "active",
        "gender": gender,
        "seeking": ["woman" if gender == "man" else "man"],
        "age": 30 + seed % 5,
        "age_min": 25,
        "age_max": 40,
        "age_pref_mid": 32.5,
        "age_pref_radius": 7.5,
        "location": {"lat": 37.7749, "lon": -122.4194 + 0.001 * (seed % 7)},
        "max_distance_km": 50,
        "max_distance_step_km": 50,
        "interests": ["hiking", "jazz"],
        "headline": "Hiking and jazz",
        "profile_vector": vector(cluster, seed),
        "profile_completeness": 0.75,
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def market(client: OpenSearch) -> SignalsWorker:
    """12 men, 30 women who resemble the men's taste (joined two months ago), and one
    newcomer woman who resembles it less (joined now); signals computed as of T."""
    apply_plan(client, make_plan(client, load_artifacts(ROOT)), lambda _m: None)
    old = T - timedelta(days=60)
    docs = {v: person("man", i, 0, old) for i, v in enumerate(VIEWERS)}
    docs |= {f"w{i:02d}": person("woman", 100 + i, 0, old) for i in range(30)}
    docs["new"] = {**person("woman", 999, 0, T), "profile_vector": near(0.8, 999)}
    body: list[dict[str, Any]] = []
    for member_id, doc in docs.items():
        body += [{"index": {"_index": "profiles", "_id": member_id}}, doc]
    assert not client.bulk(body=body, refresh=True)["errors"]
    clock = {"now": T}
    worker = SignalsWorker(
        client,
        options=SignalsOptions(once=True),
        clock=lambda: clock["now"].timestamp() * 1000.0,
    )
    worker.catch_up()
    return worker


def requests_until_shown(client: OpenSearch, options: RankingOptions) -> int | None:
    """Each viewer in turn gets 10 results and sees them (impressions through the event
    path, signals applied); the number of requests until the newcomer is among them."""
    worker = market(client)
    policy = RecommenderPolicy(options=options)
    for n, viewer in enumerate(VIEWERS, 1):
        served = policy.serve(client, viewer, 10)
        assert len(served.ids) == 10
        if "new" in served.ids:
            return n
        moment = T + timedelta(minutes=n)
        record(client, [Event(viewer, "impression", m, moment) for m in served.ids])
        worker.catch_up()
    return None


def test_the_newcomer_gets_the_full_exploration_bonus(memory_client: OpenSearch) -> None:
    market(memory_client)
    new = memory_client.get(index="profiles", id="new")["_source"]
    old = memory_client.get(index="profiles", id="w00")["_source"]
    assert new["explore_bonus"] == 1.0 and old["explore_bonus"] < 0.01


def test_a_cold_member_is_shown_within_a_bounded_number_of_requests(
    memory_client: OpenSearch,
) -> None:
    shown_after = requests_until_shown(memory_client, RankingOptions())
    assert shown_after is not None and shown_after <= BOUND


def test_without_exploration_the_cold_member_stays_unseen(memory_client: OpenSearch) -> None:
    assert requests_until_shown(memory_client, RankingOptions(explore_weight=0.0)) is None
