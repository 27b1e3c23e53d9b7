"""Additive decision-tree ensembles compiled into flat arrays, evaluated a window at a time.

Every format with trees (``model/xgboost+json``, ``model/xgboost+json+raw``, RankLib's
MART/LambdaMART/Random Forests) is parsed into :class:`Split`/:class:`Leaf` nodes and then
compiled once, at upload, into a :class:`TreeEnsemble`: one array per node attribute, the
two children of a split stored next to each other. Evaluation walks *all trees for all
documents at once*, one depth level per numpy step, so a 200-document window against 300
depth-6 trees is six rounds of array indexing rather than 60,000 Python tree walks.

When the padded size allows (``_LEVEL_BUDGET``), the trees are also laid out level by
level as complete binary trees (a leaf above the last level is carried down unchanged):
node ``i`` of a level has its children at ``2i`` and ``2i + 1`` of the next, so a step
needs no child lookup, only the node's column and threshold, and the first level, the
same node for every document, is one column gather of the feature table. Nodes are kept
(trees, rows), the feature table (columns, rows): a step's gathers write into buffers
allocated once per window, and the per-tree sum adds whole rows of leaves in tree order.

Semantics are the plugin's (``NaiveAdditiveDecisionTree`` and RankLib's ``Split``):

* XGBoost: go left when ``value < threshold`` (strict); a missing value (NaN) follows the
  node's default direction (``missing``/``default_left``).
* RankLib: go left when ``value <= threshold``; unknown values were already replaced by 0.
* XGBoost output is the float32 running sum of ``weight * leaf`` in tree order (as Java
  adds floats); RankLib adds each ``leaf * weight`` product in double to a float sum.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Rows evaluated together: bounds the (rows x trees) work arrays for whole-index queries.
_CHUNK_ROWS = 4096
# Most nodes of the last level of the complete (padded) layout; deeper, sparser ensembles
# are walked through their linked nodes.
_LEVEL_BUDGET = 1 << 21
# Window sizes whose strided level columns a layout keeps.
_STRIDED_SIZES = 4


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
class LevelLayout:
    """The trees as complete binary trees, one array per level (tree-major: node ``i`` of
    tree ``t`` at level ``d`` is entry ``t * 2**d + i``)."""

    columns: list[np.ndarray]  # int64 per level: the feature table column a node reads
    thresholds: list[np.ndarray]  # float32 per level (+inf: a carried-down leaf)
    leaves: np.ndarray  # float32 leaf values of the last level
    # per row count: the columns of levels 1+ times the rows (offsets in the flat table)
    strided: dict[int, list[np.ndarray]] = field(default_factory=dict)

    def ram_bytes(self) -> int:
        arrays = [*self.columns, *self.thresholds, self.leaves]
        return int(sum(a.nbytes for a in arrays))

    def row_strided(self, rows: int) -> list[np.ndarray]:
        """``column * rows`` of levels 1 and deeper: where a node's row-0 cell is in a
        (columns, rows) table. Kept for the last few window sizes."""
        found = self.strided.get(rows)
        if found is None:
            if len(self.strided) >= _STRIDED_SIZES:
                self.strided.pop(next(iter(self.strided)))
            found = [(c * rows).astype(np.intp) for c in self.columns[1:]]
            self.strided[rows] = found
        return found


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
    levels: LevelLayout | None = None

    @property
    def num_trees(self) -> int:
        return len(self.roots)

    def ram_bytes(self) -> int:
        arrays = (self.packed, self.threshold, self.value, self.roots, self.weights)
        levels = self.levels.ram_bytes() if self.levels is not None else 0
        return int(sum(a.nbytes for a in arrays)) + levels

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Raw ensemble output (before any objective transform) for each row."""
        n = features.shape[0]
        out = np.empty(n, dtype=np.float32)
        for start in range(0, n, _CHUNK_ROWS):
            block = features[start : start + _CHUNK_ROWS]
            out[start : start + len(block)] = self._sum(self.leaf_values(block))
        return out

    def leaf_values(self, features: np.ndarray) -> np.ndarray:
        """The (trees, rows) float32 matrix of the leaf each row reaches in each tree."""
        if self.levels is not None:
            return self.leaf_values_by_level(features)
        return self.leaf_values_by_node(features)

    def feature_table(self, features: np.ndarray) -> np.ndarray:
        """The (columns, rows) table the nodes read: two copies of each feature, where NaN
        becomes -inf in the first (so "v < t" sends it left) and +inf in the second
        (right); a node picks the copy matching its default direction, which turns
        missing-value routing into plain comparison. A last all-zero pair of columns is
        what leaves read. A window without NaN is copied as it is."""
        rows = features.shape[0]
        table = np.empty((2 * (self.num_features + 1), rows), dtype=np.float32)
        values = np.asarray(features, dtype=np.float32).T
        left, right = table[0:-2:2], table[1:-2:2]
        if np.isnan(values).any():
            np.copyto(left, np.nan_to_num(values, nan=-np.inf, posinf=np.inf, neginf=-np.inf))
            np.copyto(right, np.nan_to_num(values, nan=np.inf, posinf=np.inf, neginf=-np.inf))
        else:
            np.copyto(left, values)
            np.copyto(right, values)
        table[-2:] = 0
        return table

    def _right(self, v: np.ndarray, t: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        # the table holds no NaN, so "not v < t" is "v >= t"
        if self.inclusive:
            return np.greater(v, t, out=out)
        return np.greater_equal(v, t, out=out)

    def leaf_values_by_node(self, features: np.ndarray) -> np.ndarray:
        """:meth:`leaf_values` through the linked nodes (any shape of tree)."""
        table = self.feature_table(features)
        rows = table.shape[1]
        flat = table.reshape(-1)
        offsets = np.arange(rows, dtype=np.int64)[None, :]
        node = np.broadcast_to(self.roots[:, None], (self.num_trees, rows))
        for _ in range(self.depth):
            packed = self.packed[node]
            v = flat[(packed & 0xFFFFFFFF) * rows + offsets]
            node = (packed >> 32) + self._right(v, self.threshold[node])
        return self.value[node]

    def leaf_values_by_level(self, features: np.ndarray) -> np.ndarray:
        """:meth:`leaf_values` through the complete level layout (fewer gathers a step).

        Nodes are (trees, rows): a step gathers each node's table cell (``column * rows +
        row`` of the flat table) and threshold into buffers allocated once per call."""
        levels = self.levels
        assert levels is not None
        table = self.feature_table(features)
        rows = table.shape[1]
        trees = np.arange(self.num_trees, dtype=np.intp)[:, None]
        if not levels.columns:  # every tree is a single leaf
            return np.take(levels.leaves, np.broadcast_to(trees, (self.num_trees, rows)))
        # level 0: every row is at its trees' roots, whose columns are gathered at once
        node = trees * 2 + self._right(table[levels.columns[0]], levels.thresholds[0][:, None])
        flat = table.reshape(-1)
        offsets = np.arange(rows, dtype=np.intp)[None, :]
        shape = node.shape
        cells = np.empty(shape, dtype=np.intp)
        values = np.empty(shape, dtype=np.float32)
        thresholds = np.empty(shape, dtype=np.float32)
        right = np.empty(shape, dtype=bool)
        for columns, level_thresholds in zip(
            levels.row_strided(rows), levels.thresholds[1:], strict=True
        ):
            np.take(columns, node, out=cells)
            np.add(cells, offsets, out=cells)
            np.take(flat, cells, out=values)
            np.take(level_thresholds, node, out=thresholds)
            self._right(values, thresholds, out=right)
            np.left_shift(node, 1, out=node)
            np.add(node, right, out=node)
        return np.take(levels.leaves, node)

    def _sum(self, leaves: np.ndarray) -> np.ndarray:
        """Each column's sum over the trees, in tree order (``leaves`` is (trees, rows))."""
        if self.ranklib_sum:
            products = leaves.astype(np.float64) * self.weights.astype(np.float64)[:, None]
            total = np.zeros(leaves.shape[1], dtype=np.float32)
            for product in products:
                total = (total.astype(np.float64) + product).astype(np.float32)
            return total
        if not np.all(self.weights == 1.0):
            leaves = leaves * self.weights[:, None]
        if leaves.shape[0] == 0:
            return np.zeros(leaves.shape[1], dtype=np.float32)
        # cumsum accumulates tree by tree in float32: the same rounding as Java's float sum
        running: np.ndarray = np.cumsum(leaves, axis=0, dtype=np.float32)
        return running[-1]


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
    ensemble = TreeEnsemble(
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
    if len(trees) << depth <= _LEVEL_BUDGET:
        ensemble.levels = level_layout(ensemble)
    return ensemble


def level_layout(ensemble: TreeEnsemble) -> LevelLayout:
    """The linked nodes as complete trees: a leaf above the last level becomes a node
    that reads the all-zero column against +inf (so it goes left) and is copied into
    both children, down to the last level."""
    column = ensemble.packed & 0xFFFFFFFF
    left = ensemble.packed >> 32
    nodes = ensemble.roots[:, None]  # (trees, 2**d) linked node of each level position
    columns, thresholds = [], []
    for _ in range(ensemble.depth):
        columns.append(column[nodes].reshape(-1))
        thresholds.append(ensemble.threshold[nodes].reshape(-1))
        first = left[nodes]
        children = np.empty((len(nodes), 2 * nodes.shape[1]), dtype=np.int64)
        children[:, 0::2] = first
        children[:, 1::2] = np.where(first == nodes, first, first + 1)  # a leaf: itself
        nodes = children
    return LevelLayout(columns, thresholds, ensemble.value[nodes].reshape(-1))


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
