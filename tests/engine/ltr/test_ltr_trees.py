"""The flattened, vectorised tree evaluator agrees with a plain node-by-node walk."""

from __future__ import annotations

import math

import numpy as np
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


@settings(max_examples=150, deadline=None)
@given(
    forest=st.lists(trees(4), min_size=1, max_size=6),
    rows=st.lists(
        st.lists(VALUES, min_size=NUM_FEATURES, max_size=NUM_FEATURES), min_size=1, max_size=8
    ),
    inclusive=st.booleans(),
)
def test_vectorised_walk_reaches_the_same_leaves_as_a_node_by_node_walk(
    forest: list[Node], rows: list[list[float]], inclusive: bool
) -> None:
    matrix = np.array(rows, dtype=np.float32)
    if inclusive:  # RankLib never sees NaN: unknown values are read as 0
        matrix = np.nan_to_num(matrix, nan=0.0)
    ensemble = compile_trees(forest, [1.0] * len(forest), NUM_FEATURES, inclusive=inclusive)
    expected = [[walk(tree, row, inclusive) for tree in forest] for row in matrix]
    assert ensemble.levels is not None  # small forests get the complete level layout
    for leaves in (ensemble.leaf_values_by_level(matrix), ensemble.leaf_values_by_node(matrix)):
        np.testing.assert_array_equal(leaves, np.array(expected, dtype=np.float32).T)


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


def test_whole_index_windows_are_evaluated_in_chunks_with_the_same_result() -> None:
    rng = np.random.default_rng(3)
    forest: list[Node] = [Split(0, 0.5, Leaf(1.0), Split(1, 0.0, Leaf(2.0), Leaf(3.0)))]
    matrix = rng.normal(size=(10_000, 2)).astype(np.float32)
    out = compile_trees(forest, [1.0], 2).predict(matrix)
    expected = np.where(matrix[:, 0] < 0.5, 1.0, np.where(matrix[:, 1] < 0.0, 2.0, 3.0))
    np.testing.assert_array_equal(out, expected.astype(np.float32))
