"""Additive decision-tree ensembles compiled into flat arrays, evaluated a window at a time.

Every format with trees (``model/xgboost+json``, ``model/xgboost+json+raw``, RankLib's
MART/LambdaMART/Random Forests) is parsed into :class:`Split`/:class:`Leaf` nodes and then
compiled once, at upload, into a :class:`TreeEnsemble`: one array per node attribute, the
two children of a split stored next to each other. Evaluation walks *all trees for all
documents at once*, one depth level per numpy step, so a 200-document window against 300
depth-6 trees is six rounds of array indexing rather than 60,000 Python tree walks.

Semantics are the plugin's (``NaiveAdditiveDecisionTree`` and RankLib's ``Split``):

* XGBoost: go left when ``value < threshold`` (strict); a missing value (NaN) follows the
  node's default direction (``missing``/``default_left``).
* RankLib: go left when ``value <= threshold``; unknown values were already replaced by 0.
* XGBoost output is the float32 running sum of ``weight * leaf`` in tree order (as Java
  adds floats); RankLib adds each ``leaf * weight`` product in double to a float sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Rows evaluated together: bounds the (rows x trees) work arrays for whole-index queries.
_CHUNK_ROWS = 4096


@dataclass
class Leaf:
    value: float


@dataclass
class Split:
    feature: int
    threshold: float
    left: Leaf | Split
    right: Leaf | Split
    default_left: bool = False


Node = Leaf | Split


@dataclass
class TreeEnsemble:
    """Trees flattened into per-node arrays (children of a split are adjacent)."""

    # int64 per node: the table column it reads in the low 32 bits (2*feature, +1 when a
    # missing value goes right; leaves read an all-zero column) and, in the high 32 bits,
    # its left child (right = left + 1) or, for a leaf, itself. One gather gives both.
    packed: np.ndarray
    threshold: np.ndarray  # float32; +inf for leaves, so a leaf always "goes left" to itself
    value: np.ndarray  # float32 leaf outputs (0 for splits)
    roots: np.ndarray  # int64 root node of each tree
    weights: np.ndarray  # float32 tree weights
    depth: int
    num_features: int
    inclusive: bool  # RankLib's "<=" instead of XGBoost's "<"
    ranklib_sum: bool = False  # accumulate like RankLib's Ensemble.eval (double products)

    @property
    def num_trees(self) -> int:
        return len(self.roots)

    def ram_bytes(self) -> int:
        arrays = (self.packed, self.threshold, self.value, self.roots, self.weights)
        return int(sum(a.nbytes for a in arrays))

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Raw ensemble output (before any objective transform) for each row."""
        n = features.shape[0]
        out = np.empty(n, dtype=np.float32)
        for start in range(0, n, _CHUNK_ROWS):
            block = features[start : start + _CHUNK_ROWS]
            out[start : start + len(block)] = self._sum(self.leaf_values(block))
        return out

    def leaf_values(self, features: np.ndarray) -> np.ndarray:
        """The (rows, trees) float32 matrix of the leaf each row reaches in each tree."""
        rows = features.shape[0]
        # Two copies of each feature column: NaN becomes -inf in the first (so "v < t"
        # sends it left) and +inf in the second (right); a node picks the copy matching
        # its default direction, which turns missing-value routing into plain comparison.
        # A last all-zero column is what leaves read.
        width = 2 * (self.num_features + 1)
        table = np.zeros((rows, width), dtype=np.float32)
        values = np.asarray(features, dtype=np.float32)
        table[:, 0 : 2 * self.num_features : 2] = np.nan_to_num(
            values, nan=-np.inf, posinf=np.inf, neginf=-np.inf
        )
        table[:, 1 : 2 * self.num_features : 2] = np.nan_to_num(
            values, nan=np.inf, posinf=np.inf, neginf=-np.inf
        )
        flat = table.reshape(-1)
        offsets = (np.arange(rows, dtype=np.int64) * width)[:, None]
        node = np.broadcast_to(self.roots, (rows, self.num_trees))
        for _ in range(self.depth):
            packed = self.packed[node]
            v = flat[offsets + (packed & 0xFFFFFFFF)]
            t = self.threshold[node]
            # the table holds no NaN, so "not v < t" is "v >= t"
            go_right = (v > t) if self.inclusive else (v >= t)
            node = (packed >> 32) + go_right
        return self.value[node]

    def _sum(self, leaves: np.ndarray) -> np.ndarray:
        if self.ranklib_sum:
            products = leaves.astype(np.float64) * self.weights.astype(np.float64)
            total = np.zeros(leaves.shape[0], dtype=np.float32)
            for t in range(products.shape[1]):
                total = (total.astype(np.float64) + products[:, t]).astype(np.float32)
            return total
        if not np.all(self.weights == 1.0):
            leaves = leaves * self.weights
        if leaves.shape[1] == 0:
            return np.zeros(leaves.shape[0], dtype=np.float32)
        # cumsum accumulates left to right in float32: the same rounding as Java's float sum
        return np.cumsum(leaves, axis=1, dtype=np.float32)[:, -1]


def compile_trees(
    trees: list[Node],
    weights: list[float],
    num_features: int,
    *,
    inclusive: bool = False,
    ranklib_sum: bool = False,
) -> TreeEnsemble:
    """Flatten parsed trees breadth-first into a :class:`TreeEnsemble`."""
    column: list[int] = []
    threshold: list[float] = []
    base: list[int] = []
    value: list[float] = []
    roots: list[int] = []
    depth = 0
    for tree in trees:
        roots.append(len(column))
        _append(tree, column, threshold, base, value, num_features)
        level: list[tuple[Node, int]] = [(tree, roots[-1])]
        tree_depth = 0
        while level:
            following: list[tuple[Node, int]] = []
            for node, index in level:
                if isinstance(node, Split):
                    first = len(column)
                    base[index] = first
                    _append(node.left, column, threshold, base, value, num_features)
                    _append(node.right, column, threshold, base, value, num_features)
                    following += [(node.left, first), (node.right, first + 1)]
            if following:
                tree_depth += 1
            level = following
        depth = max(depth, tree_depth)
    return TreeEnsemble(
        packed=np.asarray(column, dtype=np.int64) | (np.asarray(base, dtype=np.int64) << 32),
        threshold=np.asarray(threshold, dtype=np.float32),
        value=np.asarray(value, dtype=np.float32),
        roots=np.asarray(roots, dtype=np.int64),
        weights=np.asarray(weights, dtype=np.float32),
        depth=depth,
        num_features=num_features,
        inclusive=inclusive,
        ranklib_sum=ranklib_sum,
    )


def _append(
    node: Node,
    column: list[int],
    threshold: list[float],
    base: list[int],
    value: list[float],
    num_features: int,
) -> None:
    index = len(column)
    if isinstance(node, Leaf):
        column.append(2 * num_features)
        threshold.append(np.inf)
        base.append(index)
        value.append(node.value)
    else:
        column.append(2 * node.feature + (0 if node.default_left else 1))
        threshold.append(node.threshold)
        base.append(-1)  # set once the children are placed
        value.append(0.0)
