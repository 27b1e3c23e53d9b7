"""The compiled tree evaluator agrees with a plain node-by-node walk."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mutuo.engine.ltr.rankers.trees import Leaf, Node, Split, compile_trees

NUM_FEATURES = 4
THRESHOLDS = st.sampled_from([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0])


def trees(depth: int) -> st.SearchStrategy[Node]:
    leaf = st.builds(Leaf, st.floats(-2, 2, width=32))
    if depth == 0:
        return leaf
    split = st.builds(
        Split,
        st.integers(0, NUM_FEATURES - 1),
        THRESHOLDS,
        trees(depth - 1),
        trees(depth - 1),
        st.booleans(),
    )
    return st.one_of(leaf, split)


def walk(node: Node, row: np.ndarray, inclusive: bool) -> float:
    """The plugin's Split.eval / RankLib's Split.eval for one document."""
    while isinstance(node, Split):
        value = row[node.feature]
        if math.isnan(value):
            node = node.left if node.default_left else node.right
        elif (value <= node.threshold) if inclusive else (value < node.threshold):
            node = node.left
        else:
            node = node.right
    return node.value


VALUES = st.sampled_from([-1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 0.75, float("nan")])
WEIGHTS = st.sampled_from([1.0, 0.1, 0.5, -2.0, 3.3])


def expected_sum(
    forest: list[Node], weights: list[float], row: np.ndarray, inclusive: bool, ranklib: bool
) -> np.float32:
    """XGBoost's float32 running sum of ``leaf * weight``, or RankLib's double products
    added to a float, tree by tree."""
    total = np.float32(0)
    for tree, weight in zip(forest, weights, strict=True):
        leaf, w = np.float32(walk(tree, row, inclusive)), np.float32(weight)
        if ranklib:
            total = np.float32(float(total) + float(leaf) * float(w))
        else:
            total = np.float32(total + np.float32(leaf * w))
    return total


@settings(max_examples=150, deadline=None)
@given(
    forest=st.lists(trees(4), min_size=1, max_size=6),
    weights=st.lists(WEIGHTS, min_size=6, max_size=6),
    rows=st.lists(
        st.lists(VALUES, min_size=NUM_FEATURES, max_size=NUM_FEATURES), min_size=1, max_size=8
    ),
    inclusive=st.booleans(),
    ranklib=st.booleans(),
)
def test_compiled_walk_sums_the_same_leaves_as_a_node_by_node_walk(
    forest: list[Node],
    weights: list[float],
    rows: list[list[float]],
    inclusive: bool,
    ranklib: bool,
) -> None:
    matrix = np.array(rows, dtype=np.float32)
    if inclusive:  # RankLib never sees NaN: unknown values are read as 0
        matrix = np.nan_to_num(matrix, nan=0.0)
    weights = weights[: len(forest)]
    ensemble = compile_trees(
        forest, weights, NUM_FEATURES, inclusive=inclusive, ranklib_sum=ranklib
    )
    expected = [expected_sum(forest, weights, row, inclusive, ranklib) for row in matrix]
    np.testing.assert_array_equal(ensemble.predict(matrix), np.array(expected, np.float32))


def test_a_matrix_narrower_than_the_features_the_splits_read_is_refused() -> None:
    forest: list[Node] = [Split(2, 0.5, Leaf(1.0), Leaf(2.0))]
    ensemble = compile_trees(forest, [1.0], 3)
    with pytest.raises(ValueError, match="expected"):
        ensemble.predict(np.zeros((4, 2), np.float32))


def test_xgboost_sum_is_the_float32_running_sum_in_tree_order() -> None:
    forest: list[Node] = [Leaf(1e8), Leaf(1.0), Leaf(-1e8), Leaf(1.0)]
    ensemble = compile_trees(forest, [1.0] * 4, 1)
    total = np.float32(0)
    for tree in forest:
        assert isinstance(tree, Leaf)
        total = np.float32(total + np.float32(tree.value))
    assert ensemble.predict(np.zeros((1, 1), np.float32))[0] == total == np.float32(1.0)


def test_ranklib_sum_adds_double_products_to_a_float() -> None:
    forest: list[Node] = [Leaf(0.1), Leaf(0.2), Leaf(0.3)]
    weights = [0.1, 0.1, 0.1]
    ensemble = compile_trees(forest, weights, 1, inclusive=True, ranklib_sum=True)
    total = np.float32(0)
    for tree, weight in zip(forest, weights, strict=True):
        assert isinstance(tree, Leaf)
        product = float(np.float32(tree.value)) * float(np.float32(weight))
        total = np.float32(float(total) + product)
    assert ensemble.predict(np.zeros((1, 1), np.float32))[0] == total


def test_whole_index_matrices_are_evaluated_row_by_row_with_the_same_result() -> None:
    rng = np.random.default_rng(3)
    forest: list[Node] = [Split(0, 0.5, Leaf(1.0), Split(1, 0.0, Leaf(2.0), Leaf(3.0)))]
    matrix = rng.normal(size=(10_000, 2)).astype(np.float32)
    out = compile_trees(forest, [1.0], 2).predict(matrix)
    expected = np.where(matrix[:, 0] < 0.5, 1.0, np.where(matrix[:, 1] < 0.0, 2.0, 3.0))
    np.testing.assert_array_equal(out, expected.astype(np.float32))
