"""AUC, precision@k, Gini, Lorenz, bootstrap and Kaplan-Meier against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from mutuo.evaluation.bootstrap import mean_interval, relative_gain_interval
from mutuo.evaluation.inequality import gini, lorenz_curve
from mutuo.evaluation.metrics import auc, precision_at_k
from mutuo.evaluation.survival import kaplan_meier, median_time


def test_auc_is_the_share_of_positive_negative_pairs_ordered_right() -> None:
    labels = np.array([1, 0, 1, 0, 0])
    scores = np.array([0.9, 0.8, 0.3, 0.5, 0.1])
    # pairs (pos, neg): 0.9 beats all three; 0.3 beats only 0.1 -> (3 + 1) / 6
    assert auc(labels, scores) == pytest.approx(4 / 6)


def test_auc_counts_ties_as_one_half() -> None:
    assert auc(np.array([1, 0]), np.array([0.5, 0.5])) == 0.5
    assert auc(np.array([1, 0, 0]), np.array([0.5, 0.5, 0.1])) == pytest.approx(0.75)


def test_auc_is_undefined_without_both_classes() -> None:
    assert auc(np.array([1, 1]), np.array([0.1, 0.2])) is None
    assert auc(np.array([0, 0]), np.array([0.1, 0.2])) is None


def test_precision_at_k_divides_by_k_even_for_short_lists() -> None:
    labels = np.array([0, 1, 1, 0])
    scores = np.array([4.0, 3.0, 2.0, 1.0])
    assert precision_at_k(labels, scores, 3) == pytest.approx(2 / 3)
    assert precision_at_k(np.array([1, 0]), np.array([1.0, 0.0]), 3) == pytest.approx(1 / 3)
    assert precision_at_k(np.array([0, 0]), np.array([1.0, 0.0]), 3) is None


def test_gini_of_equal_counts_is_zero_and_of_one_winner_is_n_minus_one_over_n() -> None:
    assert gini(np.array([3, 3, 3, 3])) == 0.0
    assert gini(np.array([0, 0, 0, 0])) == 0.0
    assert gini(np.array([0, 0, 0, 8])) == pytest.approx(3 / 4)
    # sum |xi - xj| over ordered pairs = 2 * (1 + 2 + 1) = 8; 2 n^2 mean = 2 * 9 * 2 = 36
    assert gini(np.array([1, 2, 3])) == pytest.approx(8 / 36)


def test_lorenz_curve_accumulates_the_poorest_first() -> None:
    population, share = lorenz_curve(np.array([3, 0, 1]))
    assert list(population) == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert list(share) == pytest.approx([0, 0, 0.25, 1])


def test_bootstrap_is_deterministic_for_a_seed_and_brackets_the_mean() -> None:
    values = np.random.default_rng(3).random(200)
    first, again = mean_interval(values, seed=11), mean_interval(values, seed=11)
    other = mean_interval(values, seed=12)
    assert first == again
    assert first != other
    assert first.estimate == pytest.approx(values.mean())
    assert first.low < first.estimate < first.high


def test_relative_gain_is_paired_over_units() -> None:
    control = np.random.default_rng(0).random(300) + 0.5
    treatment = control * 1.10  # every unit exactly 10% better
    interval = relative_gain_interval(treatment, control, seed=0)
    # pairing makes every resample's ratio exactly 1.10: the interval has no width
    assert interval.estimate == pytest.approx(0.10)
    assert interval.low == pytest.approx(0.10) and interval.high == pytest.approx(0.10)
    assert interval.excludes_zero()
    noise = relative_gain_interval(control[::-1], control, seed=0)
    assert not noise.excludes_zero()


def test_kaplan_meier_uses_censored_members_while_they_are_observed() -> None:
    # times 1 (event), 2 (censored), 3 (event), 4 (event)
    durations = np.array([1.0, 2.0, 3.0, 4.0])
    observed = np.array([True, False, True, True])
    times, survival = kaplan_meier(durations, observed)
    assert list(times) == [1.0, 3.0, 4.0]
    # S(1) = 3/4; S(3) = 3/4 * (1 - 1/2) = 3/8; S(4) = 0
    assert list(survival) == pytest.approx([0.75, 0.375, 0.0])
    assert median_time(durations, observed) == 3.0


def test_median_time_is_none_when_fewer_than_half_have_the_event() -> None:
    assert median_time(np.array([1.0, 5.0, 5.0]), np.array([True, False, False])) is None
