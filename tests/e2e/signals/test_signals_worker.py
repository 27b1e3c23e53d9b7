"""The signals worker on a real embedded engine: freshness, blocks, no loss, no double count."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from opensearchpy import OpenSearch
from signals_market import T0, add_members, ms, unit_vector

from mutuo.events import Event, record
from mutuo.signals import ConcurrentWorkerError, SignalsOptions, SignalsWorker
from mutuo.signals.feed import EventFeed

NOW = ms(T0 + timedelta(hours=1))


def worker(client: OpenSearch, now: float = NOW, **options: Any) -> SignalsWorker:
    return SignalsWorker(client, options=SignalsOptions(**options), clock=lambda: now)


def profile(client: OpenSearch, member_id: str) -> dict[str, Any]:
    return client.get(index="profiles", id=member_id)["_source"]


def viewer(client: OpenSearch, member_id: str) -> dict[str, Any]:
    return client.get(index="viewer_state", id=member_id)["_source"]


def visible_to(client: OpenSearch, viewer_id: str) -> set[str]:
    """Who a recommendation's hard filters let ``viewer_id`` see: not themselves, not seen,
    not blocked in either direction (terms lookup on viewer_state, blocked_ids on profiles)."""
    lookup = {"index": "viewer_state", "id": viewer_id, "path": "blocked_ids"}
    body = {
        "query": {
            "bool": {
                "must_not": [
                    {"ids": {"values": [viewer_id]}},
                    {"terms": {"_id": lookup}},
                    {"term": {"blocked_ids": viewer_id}},
                ]
            }
        },
        "size": 100,
    }
    return {h["_id"] for h in client.search(index="profiles", body=body)["hits"]["hits"]}


def test_one_pass_reflects_an_event_in_counters_rates_taste_and_viewer_state(
    market: OpenSearch, emit: Callable[..., None]
) -> None:
    emit(("a", "impression", "b"), ("a", "like", "b"))
    summary = worker(market).catch_up()
    assert summary.totals["applied"] == 2
    market.indices.refresh(index="profiles")
    b = profile(market, "b")
    shown = math.exp(-1 / (7 * 24))  # one impression an hour ago, 7-day time constant
    assert b["impressions_7d"] == pytest.approx(shown, 1e-5)
    assert b["impressions_1d"] == pytest.approx(math.exp(-1 / 24), 1e-5)
    assert b["likes_received_7d"] == pytest.approx(shown, 1e-5)
    assert b["like_rate"] == pytest.approx((shown + 1) / (shown + 10), 1e-5)
    assert b["impressions_total"] == 1
    assert b["signals_seq"] == 2
    a = profile(market, "a")
    assert a["likes_sent_7d"] == pytest.approx(shown, 1e-5)
    assert np.allclose(a["taste_vector"], unit_vector(1), atol=1e-5)  # b's profile_vector
    assert viewer(market, "a")["liked_ids"] == ["b"]
    assert viewer(market, "a")["seen_ids"] == ["b"]
    assert viewer(market, "b")["inbox_ids"] == ["a"]
    hits = market.search(
        index="profiles", body={"query": {"range": {"likes_received_7d": {"gt": 0}}}}
    )
    assert [h["_id"] for h in hits["hits"]["hits"]] == ["b"]


def test_the_sync_fields_survive_every_signals_update(
    market: OpenSearch, emit: Callable[..., None]
) -> None:
    before = profile(market, "b")
    emit(("a", "like", "b"), ("c", "impression", "b"))
    worker(market).catch_up()
    after = profile(market, "b")
    for name in ("status", "gender", "bio", "created_at", "source_version", "profile_vector"):
        assert after[name] == before[name]


def test_a_block_hides_both_members_from_each_other_at_once(
    market: OpenSearch, emit: Callable[..., None]
) -> None:
    assert {"b", "c"} <= visible_to(market, "a")
    emit(("a", "block", "b"))
    worker(market).run_pass()  # no explicit refresh: the block's bulk refreshes
    assert "b" not in visible_to(market, "a")
    assert "a" not in visible_to(market, "b")
    assert "c" in visible_to(market, "a")
    assert profile(market, "a")["blocked_ids"] == ["b"]
    assert profile(market, "b")["blocked_ids"] == ["a"]
    assert viewer(market, "b")["blocked_by_ids"] == ["a"]


def test_an_event_written_late_with_an_earlier_timestamp_is_still_applied(
    market: OpenSearch, emit: Callable[..., None]
) -> None:
    signals = worker(market)
    emit(("a", "impression", "b"), minutes=30)
    signals.catch_up()
    emit(("c", "impression", "b"), minutes=10)  # committed after the pass, stamped 20 min earlier
    signals.catch_up()
    market.indices.refresh(index="profiles")
    assert profile(market, "b")["impressions_total"] == 2
    expected = math.exp(-30 / (7 * 24 * 60)) + math.exp(-50 / (7 * 24 * 60))
    assert profile(market, "b")["impressions_7d"] == pytest.approx(expected, 1e-5)


def test_events_stamped_before_a_crash_are_applied_after_the_restart(
    market: OpenSearch, emit: Callable[..., None]
) -> None:
    emit(("a", "like", "b"), ("c", "like", "b"))
    feed = EventFeed(market)
    feed.refresh()
    assert feed.take_new(1, 10).taken == 2  # stamped, then the worker died before applying
    summary = worker(market).catch_up()
    assert summary.totals["applied"] == 2
    assert profile(market, "b")["likes_received_7d"] > 1.9
    assert sorted(viewer(market, "b")["inbox_ids"]) == ["a", "c"]


def test_replaying_every_event_after_losing_the_checkpoint_counts_nothing_twice(
    market: OpenSearch, emit: Callable[..., None]
) -> None:
    emit(("a", "impression", "b"), ("a", "like", "b"), ("b", "reply", "a"), ("d", "block", "c"))
    worker(market).catch_up()
    market.indices.refresh(index="profiles")
    first = {m: profile(market, m) for m in "abcd"}
    summary = worker(market).catch_up()  # a fresh state: replays from sequence 1
    assert summary.totals["taken"] == 4
    assert summary.totals.get("profiles_written", 0) == 0
    assert {m: profile(market, m) for m in "abcd"} == first


def test_a_profile_the_sync_changes_in_between_is_read_again_and_both_updates_survive(
    market: OpenSearch, emit: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    emit(("a", "like", "b"))
    real_mget = market.mget
    interfered: list[str] = []

    def mget_then_sync_writes(*args: Any, **kwargs: Any) -> Any:
        response = real_mget(*args, **kwargs)
        if not interfered:  # the sync's conditional partial update lands in between
            current = market.get(index="profiles", id="b")
            market.update(
                index="profiles",
                id="b",
                body={"doc": {"bio": "edited in MongoDB", "source_version": 2}},
                if_seq_no=current["_seq_no"],
                if_primary_term=current["_primary_term"],
            )
            interfered.append("b")
        return response

    monkeypatch.setattr(market, "mget", mget_then_sync_writes)
    summary = worker(market).catch_up()
    assert summary.totals["conflicts"] == 1
    b = profile(market, "b")
    assert b["bio"] == "edited in MongoDB" and b["source_version"] == 2
    assert b["likes_received_7d"] > 0.99


def test_new_members_get_their_exploration_budget_without_any_event(market: OpenSearch) -> None:
    add_members(market, ["new"], created=T0 + timedelta(minutes=59))
    worker(market).catch_up()
    market.indices.refresh(index="profiles")
    fresh, old = profile(market, "new"), profile(market, "a")
    assert fresh["explore_bonus"] == pytest.approx(0.5 ** (1 / 60 / 24 / 3), 1e-4)
    assert old["explore_bonus"] < fresh["explore_bonus"]
    assert fresh["exposure_factor"] == 1.0 and fresh["impressions_total"] == 0


def test_a_member_never_shown_is_lifted_and_the_over_shown_damped(
    market: OpenSearch, emit: Callable[..., None]
) -> None:
    worker(market).catch_up()  # everyone's first signals, while nobody was shown: neutral
    market.indices.refresh(index="profiles")
    assert profile(market, "d")["exposure_balance"] == pytest.approx(0.5)
    emit(*[("a", "impression", "b")] * 6, *[("a", "impression", "c")] * 6)
    later = NOW + 7 * 3_600_000  # past the sweep age: d, whom no event touched, is recomputed
    worker(market, now=later).catch_up()
    market.indices.refresh(index="profiles")
    d, b = profile(market, "d"), profile(market, "b")
    # the mean is about 3 impressions a week: sqrt((3 + 1) / (0 + 1)), near the cap of 2
    assert d["exposure_factor"] > 1.9 and d["exposure_balance"] > 0.95
    # shown twice as much as the mean: damped (below neutral), however much they answer
    assert b["exposure_factor"] < 1.0 and b["exposure_balance"] < 0.5


def test_quiet_members_keep_decaying(market: OpenSearch, emit: Callable[..., None]) -> None:
    emit(("a", "impression", "b"))
    worker(market).catch_up()
    later = NOW + 7 * 86_400_000
    worker(market, now=later, sweep_max_age_s=3600).catch_up()
    market.indices.refresh(index="profiles")
    b = profile(market, "b")
    assert b["impressions_7d"] == pytest.approx(math.exp(-1 / (7 * 24)) * math.exp(-1), 1e-4)
    assert b["explore_bonus"] < 0.2
    assert b["signals_updated_at"] == int(later)


def test_events_about_members_without_a_profile_never_create_one(
    market: OpenSearch, emit: Callable[..., None]
) -> None:
    emit(("a", "like", "ghost"))
    summary = worker(market).catch_up()
    assert summary.totals["missing_profiles"] == 1
    assert not market.exists(index="profiles", id="ghost")
    assert viewer(market, "a")["liked_ids"] == ["ghost"]


def test_malformed_events_are_skipped_once(market: OpenSearch) -> None:
    market.index(index="ubi_events", body={"action_name": "like", "client_id": "a"})
    market.index(
        index="ubi_events",
        body={
            "action_name": "teleport",
            "client_id": "a",
            "timestamp": "2026-11-22T10:00:00.000Z",
            "event_attributes": {"object": {"object_id": "b"}},
        },
    )
    signals = worker(market)
    assert signals.catch_up().totals["malformed"] == 2
    assert signals.catch_up().totals["malformed"] == 2  # not read again


def test_a_second_worker_stamping_the_same_events_stops(
    market: OpenSearch, emit: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    emit(("a", "like", "b"))
    mine, theirs = EventFeed(market), EventFeed(market)
    mine.refresh()
    real_search = market.search

    def search_then_the_other_worker_stamps(*args: Any, **kwargs: Any) -> Any:
        response = real_search(*args, **kwargs)
        monkeypatch.setattr(market, "search", real_search)
        theirs.take_new(1, 10)
        return response

    monkeypatch.setattr(market, "search", search_then_the_other_worker_stamps)
    with pytest.raises(ConcurrentWorkerError, match="one `mutuo signals run` per cluster"):
        mine.take_new(1, 10)


def test_many_events_are_applied_in_batches_of_one_mget_and_one_bulk(market: OpenSearch) -> None:
    members = [f"m{i}" for i in range(40)]
    add_members(market, members)
    at = T0 + timedelta(minutes=1)
    record(market, [Event(v, "impression", c, at) for v in members[:20] for c in members[20:]])
    summary = worker(market, batch_size=100).catch_up()
    assert summary.totals["taken"] == 400
    assert summary.totals["applied"] == 400
    market.indices.refresh(index="profiles")
    assert profile(market, "m25")["impressions_total"] == 20
    assert len(viewer(market, "m3")["seen_ids"]) == 20
