"""neural-search normalisation and combination techniques against hand-computed values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mutuo.engine.errors import IllegalArgumentError
from mutuo.engine.hybrid_math import (
    check_compatible,
    make_combination,
    make_normalization,
)


def _arr(*values: float) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def _normalize(
    name: str, lists: list[list[np.ndarray]], params: dict[str, Any] | None = None
) -> list[list[np.ndarray]]:
    ords = [[np.arange(len(scores)) for scores in shard] for shard in lists]
    return make_normalization(name, params).normalize(lists, ords)


def test_min_max_maps_the_minimum_to_0_001_and_uses_all_shards() -> None:
    # sub-query 0: shard A retrieved [4, 2], shard B [1]; sub-query 1: A [0.9], B [0.5]
    out = _normalize("min_max", [[_arr(4, 2), _arr(0.9)], [_arr(1), _arr(0.5)]])
    assert out[0][0] == pytest.approx([1.0, 1 / 3])
    assert out[1][0] == pytest.approx([0.001])
    assert out[0][1] == pytest.approx([1.0]) and out[1][1] == pytest.approx([0.001])


def test_min_max_of_a_single_result_is_one() -> None:
    assert _normalize("min_max", [[_arr(7.5)]])[0][0] == pytest.approx([1.0])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"lower_bounds": [{"mode": "apply", "min_score": 2}]}, [1.0, 1 / 3, 0.001]),
        ({"lower_bounds": [{"mode": "clip", "min_score": 2}]}, [1.0, 0.001, 0.001]),
        ({"lower_bounds": [{"mode": "ignore", "min_score": 2}]}, [1.0, 1 / 3, 0.001]),
        ({"upper_bounds": [{"mode": "clip", "max_score": 3}]}, [1.0, 0.5, 0.001]),
        ({"upper_bounds": [{"mode": "apply", "max_score": 3}]}, [1.0, 0.5, 0.001]),
    ],
)
def test_min_max_bounds(params: dict[str, Any], expected: list[float]) -> None:
    assert _normalize("min_max", [[_arr(4, 2, 1)]], params)[0][0] == pytest.approx(expected)


def test_l2_divides_by_the_norm_of_the_retrieved_scores() -> None:
    out = _normalize("l2", [[_arr(3)], [_arr(4)]])
    assert out[0][0] == pytest.approx([0.6]) and out[1][0] == pytest.approx([0.8])
    assert _normalize("l2", [[_arr(0, 0)]])[0][0].tolist() == [0.0, 0.0]


def test_z_score_uses_the_sample_deviation_and_floors_at_0_001() -> None:
    std = np.std([1, 2, 3, 4], ddof=1)
    out = _normalize("z_score", [[_arr(1, 2, 3, 4)]])[0][0]
    assert out == pytest.approx([0.001, 0.001, 0.5 / std, 1.5 / std], rel=1e-6)
    # a score equal to the mean takes the sub-query's maximum
    assert _normalize("z_score", [[_arr(1, 2, 3)]])[0][0] == pytest.approx([0.001, 3.0, 1.0])


def test_rrf_ranks_globally_across_shards() -> None:
    out = _normalize("rrf", [[_arr(0.9, 0.1)], [_arr(0.5)]], {"rank_constant": 10})
    assert out[0][0] == pytest.approx([1 / 11, 1 / 13])
    assert out[1][0] == pytest.approx([1 / 12])


@pytest.mark.parametrize(
    ("technique", "weights", "row", "expected"),
    [
        ("arithmetic_mean", [0.3, 0.7], [0.5, 0.0], 0.15),  # a missing slot still counts
        ("arithmetic_mean", [], [0.5, 1.0], 0.75),
        ("geometric_mean", [0.3, 0.7], [0.5, 0.0], 0.5),  # only positive slots
        ("geometric_mean", [0.5, 0.5], [0.25, 1.0], 0.5),
        ("harmonic_mean", [0.5, 0.5], [0.5, 0.25], 1 / 3),
        ("rrf", [0.5, 0.5], [1 / 61, 1 / 62], 0.5 / 61 + 0.5 / 62),  # not divided by weights
        ("rrf", [], [1 / 61, 1 / 62], 1 / 61 + 1 / 62),
    ],
)
def test_combination_techniques(
    technique: str, weights: list[float], row: list[float], expected: float
) -> None:
    params = {"weights": weights} if weights else None
    combined = make_combination(technique, params).combine(np.asarray([row], dtype=np.float32))
    assert combined[0] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: make_combination("arithmetic_mean", {"weights": [0.3, 1.5]}),
            "all weights must be in range [0.0 ... 1.0], submitted weights: [0.3, 1.5]",
        ),
        (
            lambda: make_combination("arithmetic_mean", {"weights": [0.3, 0.3]}),
            "sum of weights for combination must be equal to 1.0, submitted weights: [0.3, 0.3]",
        ),
        (
            lambda: make_combination("arithmetic_mean", {"foo": 1}),
            "provided parameter for combination technique is not supported. supported parameters are [weights]",
        ),
        (
            lambda: make_combination("median", None),
            "provided combination technique is not supported",
        ),
        (
            lambda: make_normalization("softmax", None),
            "provided normalization technique is not supported",
        ),
        (
            lambda: make_normalization("min_max", {"foo": 1}),
            "unrecognized parameters in normalization technique",
        ),
        (
            lambda: make_normalization("min_max", {"lower_bounds": [{"mode": "x"}]}),
            "invalid mode: x, valid values are: apply, clip, ignore",
        ),
        (
            lambda: make_normalization("min_max", {"lower_bounds": [{"min_score": 20000}]}),
            "min_score must be a valid finite number between -10000.000000 and 10000.000000",
        ),
        (
            lambda: make_normalization("rrf", {"rank_constant": 0}),
            "rank constant must be in the interval between 1 and 10000, submitted rank constant: 0",
        ),
        (
            lambda: check_compatible("z_score", "geometric_mean"),
            "provided combination technique geometric_mean is not supported for normalization technique z_score. Supported techniques are: arithmetic_mean",
        ),
    ],
)
def test_invalid_techniques_are_refused_with_neural_search_messages(
    build: Any, message: str
) -> None:
    with pytest.raises(IllegalArgumentError) as info:
        build()
    assert info.value.reason == message


def test_weights_must_match_the_number_of_sub_queries() -> None:
    combination = make_combination("arithmetic_mean", {"weights": [0.5, 0.5]})
    with pytest.raises(IllegalArgumentError) as info:
        combination.combine(np.zeros((1, 3), dtype=np.float32))
    assert (
        info.value.reason
        == "number of weights [2] must match number of sub-queries [3] in hybrid query"
    )


def test_bounds_must_match_the_number_of_sub_queries() -> None:
    with pytest.raises(IllegalArgumentError) as info:
        _normalize("min_max", [[_arr(1), _arr(2)]], {"lower_bounds": [{"min_score": 0}]})
    assert "expected bounds array to contain 2 elements" in info.value.reason
