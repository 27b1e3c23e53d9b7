"""Additive decision-tree ensembles compiled into flat arrays, evaluated by a numba kernel.

Every format with trees (``model/xgboost+json``, ``model/xgboost+json+raw``, RankLib's
MART/LambdaMART/Random Forests) is parsed into :class:`Split`/:class:`Leaf` nodes and then
compiled once, at upload, into a :class:`TreeEnsemble`: one array per node attribute, the
two children of a split stored next to each other. A window is scored by one compiled loop
(:func:`_ensemble_sums`): tree by tree, every row takes exactly the tree's depth in steps,
``node = left[node] + goes_right``, where a leaf is its own left child and never goes
right, so a walk that reached its leaf early stays there. With no data-dependent branch
the CPU overlaps the walks of many rows: a 200-document window against 300 depth-6 trees
takes about half a millisecond, and needs no (trees x rows) work arrays. The kernel is
compiled once per process (and cached on disk, see :mod:`mutuo.engine.jit`): every model
calls it with the same argument types.

Semantics are the plugin's (``NaiveAdditiveDecisionTree`` and RankLib's ``Split``):

* XGBoost: go left when ``value < threshold`` (strict); a missing value (NaN) follows the
  node's default direction (``missing``/``default_left``).
* RankLib: go left when ``value <= threshold``; unknown values were already replaced by 0.
* XGBoost output is the float32 running sum of ``weight * leaf`` in tree order (as Java
  adds floats); RankLib adds each ``leaf * weight`` product in double to a float sum.

A leaf's threshold is NaN and its ``missing_right`` false: no comparison with NaN is true,
so whatever the value it reads (column 0), it goes "left" to itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...jit import compiled


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

    feature: np.ndarray  # uint32 feature a split reads (0 for leaves)
    threshold: np.ndarray  # float32 split thresholds (NaN for leaves)
    left: np.ndarray  # uint32 left child of a split (the right one follows it); a leaf: itself
    missing_right: np.ndarray  # bool: a missing (NaN) value goes right
    value: np.ndarray  # float32 leaf outputs (0 for splits)
    roots: np.ndarray  # uint32 root node of each tree
    depths: np.ndarray  # int32 steps from each root to its deepest leaf
    weights: np.ndarray  # float32 tree weights
    width: int  # columns a feature matrix needs (1 + the highest feature a split reads)
    inclusive: bool  # RankLib's "<=" instead of XGBoost's "<"
    ranklib_sum: bool = False  # accumulate like RankLib's Ensemble.eval (double products)

    @property
    def num_trees(self) -> int:
        return len(self.roots)

    def _arrays(self) -> tuple[np.ndarray, ...]:
        """The node and tree arrays, in the kernel's argument order."""
        return (
            self.feature,
            self.threshold,
            self.left,
            self.missing_right,
            self.value,
            self.roots,
            self.depths,
            self.weights,
        )

    def ram_bytes(self) -> int:
        return int(sum(a.nbytes for a in self._arrays()))

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Raw ensemble output (before any objective transform) for each row."""
        matrix = np.ascontiguousarray(features, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] < self.width:
            # the kernel does not check bounds: a narrower matrix would be read past its end
            raise ValueError(f"expected (rows, >= {self.width}) features, got {matrix.shape}")
        out = np.empty(matrix.shape[0], dtype=np.float32)
        _ensemble_sums(
            matrix,
            *self._arrays(),
            self.inclusive,
            self.ranklib_sum,
            out,
        )
        return out


@compiled
def _ensemble_sums(
    features: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    left: np.ndarray,
    missing_right: np.ndarray,
    value: np.ndarray,
    roots: np.ndarray,
    depths: np.ndarray,
    weights: np.ndarray,
    inclusive: bool,
    ranklib_sum: bool,
    out: np.ndarray,
) -> None:
    """``out[r]`` = the ensemble's sum for row ``r``, trees added in order: in float32
    (``leaf * weight`` rounded to float, as XGBoost/Java adds floats) or, for RankLib,
    each product in double added to the float total.

    A tree is walked one level at a time for all rows: the rows' steps are independent,
    so the CPU overlaps them. Indices are unsigned: numba then skips its negative-index
    wraparound, which is a third of the work of a step."""
    rows, width = features.shape
    flat = features.reshape(-1)
    nodes = np.empty(rows, dtype=np.uint32)
    out[:] = 0
    for t in range(roots.shape[0]):
        nodes[:] = roots[t]
        for _ in range(depths[t]):
            for r in range(rows):
                node = nodes[r]
                v = flat[np.uint64(r * width) + feature[node]]
                # NaN compares false, so it goes right only where that is its direction
                right = (v > threshold[node]) if inclusive else (v >= threshold[node])
                nodes[r] = left[node] + np.uint32(right | ((v != v) & missing_right[node]))
        weight = weights[t]
        for r in range(rows):
            leaf = value[nodes[r]]
            if ranklib_sum:
                out[r] = np.float32(np.float64(out[r]) + np.float64(leaf) * np.float64(weight))
            else:
                out[r] = np.float32(out[r] + leaf * weight)


def compile_trees(
    trees: list[Node],
    weights: list[float],
    num_features: int,
    *,
    inclusive: bool = False,
    ranklib_sum: bool = False,
) -> TreeEnsemble:
    """Flatten parsed trees breadth-first into a :class:`TreeEnsemble` (the parsers have
    checked that every split reads one of the set's ``num_features``)."""
    nodes = _Nodes()
    roots: list[int] = []
    depths: list[int] = []
    for tree in trees:
        roots.append(nodes.add(tree))
        level: list[tuple[Node, int]] = [(tree, roots[-1])]
        depth = -1
        while level:
            depth += 1
            following: list[tuple[Node, int]] = []
            for node, index in level:
                if isinstance(node, Split):
                    first = nodes.add(node.left)
                    nodes.add(node.right)
                    nodes.left[index] = first
                    following += [(node.left, first), (node.right, first + 1)]
            level = following
        depths.append(depth)
    # only trees with a split read features; their leaves read column 0
    width = max(nodes.feature) + 1 if any(depths) else 0
    assert width <= num_features, "a split reads a feature outside the set"
    return TreeEnsemble(
        feature=np.asarray(nodes.feature, dtype=np.uint32),
        threshold=np.asarray(nodes.threshold, dtype=np.float32),
        left=np.asarray(nodes.left, dtype=np.uint32),
        missing_right=np.asarray(nodes.missing_right, dtype=np.bool_),
        value=np.asarray(nodes.value, dtype=np.float32),
        roots=np.asarray(roots, dtype=np.uint32),
        depths=np.asarray(depths, dtype=np.int32),
        weights=np.asarray(weights, dtype=np.float32),
        width=width,
        inclusive=inclusive,
        ranklib_sum=ranklib_sum,
    )


@dataclass
class _Nodes:
    """The node arrays as they are filled in (a split's ``left`` is set once its children
    are placed)."""

    feature: list[int] = field(default_factory=list)
    threshold: list[float] = field(default_factory=list)
    left: list[int] = field(default_factory=list)
    missing_right: list[bool] = field(default_factory=list)
    value: list[float] = field(default_factory=list)

    def add(self, node: Node) -> int:
        index = len(self.feature)
        if isinstance(node, Split):
            self.feature.append(node.feature)
            self.threshold.append(node.threshold)
            self.left.append(-1)
            self.missing_right.append(not node.default_left)
            self.value.append(0.0)
        else:  # see the module docstring: a leaf stays where it is
            self.feature.append(0)
            self.threshold.append(float("nan"))
            self.left.append(index)
            self.missing_right.append(False)
            self.value.append(node.value)
        return index
