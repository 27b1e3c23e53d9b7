"""The signal definitions of docs/signals.md, formula by formula."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mutuo.signals.model import (
    DAY_MS,
    ProfileSignals,
    SignalsConfig,
    explore_bonus,
    exposure_balance,
    exposure_factor,
    smoothed_rate,
)

CONFIG = SignalsConfig()
counts = st.floats(min_value=0, max_value=1e4, allow_nan=False)


def empty(as_of_ms: float | None = None, created_ms: float | None = 0.0) -> ProfileSignals:
    return ProfileSignals.from_source({}, as_of_ms=as_of_ms, created_ms=created_ms, config=CONFIG)


def test_a_steady_rate_reads_what_its_window_would_count() -> None:
    signals = empty()
    per_day = 24  # one impression an hour for 60 days
    for hour in range(60 * per_day):
        signals.count("impressions_7d", hour * DAY_MS / per_day)
        signals.count("impressions_1d", hour * DAY_MS / per_day)
    assert signals.counters["impressions_7d"] == pytest.approx(per_day * 7, rel=0.05)
    assert signals.counters["impressions_1d"] == pytest.approx(per_day * 1, rel=0.05)


def test_counters_do_not_depend_on_the_order_events_arrive_in() -> None:
    times = [random.Random(3).uniform(0, 20 * DAY_MS) for _ in range(200)]
    forward, shuffled = empty(), empty()
    for t in sorted(times):
        forward.count("likes_received_7d", t)
    for t in random.Random(4).sample(times, len(times)):
        shuffled.count("likes_received_7d", t)
    assert shuffled.as_of_ms == forward.as_of_ms == max(times)
    assert shuffled.counters["likes_received_7d"] == pytest.approx(
        forward.counters["likes_received_7d"], rel=1e-9
    )


def test_a_late_event_counts_as_much_as_its_age_allows() -> None:
    signals = empty()
    signals.count("matches_7d", 7 * DAY_MS)
    signals.count("matches_7d", 0.0)  # a week late
    assert signals.counters["matches_7d"] == pytest.approx(1 + math.exp(-1))


def test_fields_are_decayed_to_now_and_a_week_of_silence_divides_by_e() -> None:
    signals = empty()
    signals.count("likes_sent_7d", 0.0)
    assert signals.fields(7 * DAY_MS, 0.0)["likes_sent_7d"] == pytest.approx(math.exp(-1), 1e-5)


def test_smoothed_rates_start_at_the_prior_mean_and_follow_the_evidence() -> None:
    assert smoothed_rate(0, 0, CONFIG.like_prior) == pytest.approx(0.1)
    assert smoothed_rate(1, 3, CONFIG.like_prior) == pytest.approx(2 / 13)
    assert smoothed_rate(500, 1000, CONFIG.like_prior) == pytest.approx(0.5, abs=0.01)


@given(counts, counts, counts, counts)
def test_exposure_factor_is_bounded(received: float, answered: float, shown: float, target: float):
    value = exposure_factor(received, answered, shown, target, CONFIG)
    assert CONFIG.exposure_min <= value <= CONFIG.exposure_max


@given(counts, counts, counts, counts, st.floats(min_value=0, max_value=100))
def test_more_unanswered_attention_never_raises_exposure(
    received: float, answered: float, shown: float, target: float, more: float
) -> None:
    base = exposure_factor(received, answered, shown, target, CONFIG)
    assert exposure_factor(received + more, answered, shown, target, CONFIG) <= base + 1e-12
    assert exposure_factor(received, answered + more, shown, target, CONFIG) >= base - 1e-12
    assert exposure_factor(received, answered, shown + more, target, CONFIG) <= base + 1e-12


def test_exposure_factor_damps_the_flooded_and_over_shown_and_lifts_the_unseen() -> None:
    assert exposure_factor(10, 10, 50, 50, CONFIG) == 1.0  # answers all, shown as much as most
    flooded = exposure_factor(200, 5, 400, 50, CONFIG)
    assert flooded == pytest.approx(math.sqrt(10 / 205)) or flooded == CONFIG.exposure_min
    assert flooded == CONFIG.exposure_min == 0.5
    unseen = exposure_factor(0, 0, 0, 50, CONFIG)
    assert unseen == pytest.approx(min(CONFIG.exposure_max, math.sqrt(51 / 1)))
    assert unseen > 1.5
    # shown four times the mean while answering everything: damped by the exposure alone
    assert exposure_factor(10, 10, 200, 50, CONFIG) == pytest.approx(math.sqrt(51 / 201))


@given(st.floats(min_value=0.01, max_value=100), st.floats(min_value=0.01, max_value=100))
def test_exposure_balance_maps_the_factor_onto_0_1_symmetrically_in_ratio(
    factor: float, other: float
) -> None:
    balance = exposure_balance(factor, CONFIG)
    assert 0.0 <= balance <= 1.0
    assert exposure_balance(1.0, CONFIG) == pytest.approx(0.5)
    if CONFIG.exposure_min <= factor <= CONFIG.exposure_max:
        # a damping by a ratio and a lift by the same ratio sit equally far from neutral
        assert exposure_balance(1.0 / factor, CONFIG) == pytest.approx(1.0 - balance)
    if factor <= other:
        assert balance <= exposure_balance(other, CONFIG) + 1e-12


@given(st.floats(min_value=0, max_value=1e4), st.floats(min_value=0, max_value=365))
def test_explore_bonus_is_bounded(shown: float, age: float) -> None:
    assert 0.0 <= explore_bonus(shown, age, CONFIG) <= 1.0


@given(
    st.floats(min_value=0, max_value=200),
    st.floats(min_value=0, max_value=60),
    st.floats(min_value=0, max_value=50),
)
def test_explore_bonus_falls_with_impressions_and_with_age(
    shown: float, age: float, more: float
) -> None:
    base = explore_bonus(shown, age, CONFIG)
    assert explore_bonus(shown + more, age, CONFIG) <= base
    assert explore_bonus(shown, age + more, CONFIG) <= base


def test_explore_bonus_starts_full_halves_with_its_half_life_and_ends_with_the_budget() -> None:
    assert explore_bonus(0, 0, CONFIG) == 1.0
    assert explore_bonus(0, CONFIG.explore_half_life_days, CONFIG) == pytest.approx(0.5)
    assert explore_bonus(CONFIG.explore_budget / 2, 0, CONFIG) == pytest.approx(0.5)
    assert explore_bonus(CONFIG.explore_budget, 0, CONFIG) == 0.0
    assert explore_bonus(0, None, CONFIG) == 0.0  # join time unknown: no budget


def test_taste_is_the_decayed_weighted_mean_of_liked_vectors() -> None:
    rng = np.random.default_rng(5)
    vectors = [v / np.linalg.norm(v) for v in rng.normal(size=(6, 16))]
    times = [i * DAY_MS for i in range(6)]
    signals = empty()
    for v, t in zip(vectors, times, strict=True):
        signals.like(v, t)
    weights = [math.exp(-(times[-1] - t) / (CONFIG.taste_tau_days * DAY_MS)) for t in times]
    expected = sum(w * v for w, v in zip(weights, vectors, strict=True)) / sum(weights)
    fields = signals.fields(times[-1], 0.0)
    assert np.allclose(np.asarray(fields["taste_vector"]) * fields["taste_norm"], expected, 1e-5)
    assert np.linalg.norm(fields["taste_vector"]) == pytest.approx(1.0, 1e-6)


def test_taste_survives_a_round_trip_through_the_document() -> None:
    rng = np.random.default_rng(6)
    a, b, c = (v / np.linalg.norm(v) for v in rng.normal(size=(3, 8)))
    whole = empty()
    for v, t in ((a, 0.0), (b, DAY_MS), (c, 2 * DAY_MS)):
        whole.like(v, t)
    first = empty()
    first.like(a, 0.0)
    first.like(b, DAY_MS)
    doc = first.fields(DAY_MS, 0.0)
    resumed = ProfileSignals.from_source(
        doc, as_of_ms=doc["signals_updated_at"], created_ms=0.0, config=CONFIG
    )
    resumed.like(c, 2 * DAY_MS)
    assert np.allclose(
        resumed.fields(2 * DAY_MS, 0)["taste_vector"],
        whole.fields(2 * DAY_MS, 0)["taste_vector"],
        atol=1e-6,
    )


def test_an_unchanged_taste_is_not_rewritten() -> None:
    signals = empty()
    signals.count("impressions_7d", 0.0)
    assert "taste_vector" not in signals.fields(0.0, 0.0)
