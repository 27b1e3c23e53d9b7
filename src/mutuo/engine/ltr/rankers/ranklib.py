"""``model/ranklib``: RankLib text models, read as the plugin's RankyMcRankFace fork reads them.

The first line names the ranker (``## LambdaMART``). Supported: the tree ensembles
``MART``, ``LambdaMART`` (one ``<ensemble>``) and ``Random Forests`` (several, averaged),
and the linear ``Coordinate Ascent`` (``fid:weight ...``) and ``Linear Regression``
(``0:intercept fid:weight ...``). Feature ids are 1-based ordinals of the feature set.

Reading follows RankLib: lines starting with ``#`` are comments, the rest are trimmed and
joined; a tree's ``<split>`` holds ``<feature>``, ``<threshold>`` and then its left and
right ``<split>`` children *by position*; a split goes left when ``value <= threshold``.
Ensembles add ``output * weight`` (double product) to a float sum; linear models sum in
double. Unknown feature values count as 0.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from ...errors import IllegalArgumentError
from . import FeatureSetView, register
from .trees import Leaf, Node, Split, TreeEnsemble, compile_trees

_TREE_RANKERS = {"MART": "MART", "LAMBDAMART": "LambdaMART", "RANDOM FORESTS": "Random Forests"}
_LINEAR_RANKERS = {
    "COORDINATE ASCENT": "Coordinate Ascent",
    "LINEAR REGRESSION": "Linear Regression",
}
_OTHER_RANKERS = ("RANKBOOST", "RANKNET", "ADARANK", "LAMBDARANK", "LISTNET")


class RankLibError(IllegalArgumentError):
    """RankLib could not load the model (the plugin reports ``RankLibError`` causes)."""


@register("model/ranklib")
def parse_ranklib(feature_set: FeatureSetView, definition: str) -> RankLibEnsembles | RankLibLinear:
    lines = definition.splitlines()
    header = lines[0].replace("## ", "").strip() if lines else ""
    kind = header.upper()
    if kind in _TREE_RANKERS:
        ensembles = [_ensemble(text, feature_set.size) for text in _ensemble_texts(definition)]
        if not ensembles or (kind != "RANDOM FORESTS" and len(ensembles) != 1):
            raise RankLibError(f"Error in {header}::load(): expected one <ensemble>")
        return RankLibEnsembles(_TREE_RANKERS[kind], ensembles)
    if kind in _LINEAR_RANKERS:
        return _linear(_LINEAR_RANKERS[kind], lines, feature_set.size)
    if kind in _OTHER_RANKERS:
        raise RankLibError(
            f"RankLib ranker [{header}] is not supported by the embedded engine; supported: "
            "MART, LambdaMART, Random Forests, Coordinate Ascent, Linear Regression"
        )
    raise RankLibError(f"Unknown RankLib ranker [{header}] on the first line of the model")


class RankLibEnsembles:
    """One ensemble (MART, LambdaMART) or the average of several (Random Forests)."""

    missing_value = 0.0

    def __init__(self, name: str, ensembles: list[TreeEnsemble]) -> None:
        self.name = name
        self.ensembles = ensembles

    def score(self, features: np.ndarray) -> np.ndarray:
        values = np.nan_to_num(np.asarray(features, dtype=np.float32), nan=0.0)
        if len(self.ensembles) == 1 and self.name != "Random Forests":
            return self.ensembles[0].predict(values)
        total = np.zeros(values.shape[0], dtype=np.float64)
        for ensemble in self.ensembles:
            total += ensemble.predict(values).astype(np.float64)
        return (total / len(self.ensembles)).astype(np.float32)

    def ram_bytes(self) -> int:
        return 64 + sum(e.ram_bytes() for e in self.ensembles)


class RankLibLinear:
    """Coordinate Ascent / Linear Regression: ``intercept + sum(w * value)`` in double."""

    missing_value = 0.0

    def __init__(self, name: str, ordinals: list[int], weights: list[float], intercept: float):
        self.name = name
        self.ordinals = ordinals
        self.weights = weights
        self.intercept = intercept

    def score(self, features: np.ndarray) -> np.ndarray:
        values = np.nan_to_num(np.asarray(features, dtype=np.float32), nan=0.0)
        total = np.full(values.shape[0], self.intercept, dtype=np.float64)
        for ordinal, weight in zip(self.ordinals, self.weights, strict=True):
            total += weight * values[:, ordinal].astype(np.float64)
        return total.astype(np.float32)

    def ram_bytes(self) -> int:
        return 64 + 16 * len(self.weights)


def _ensemble_texts(definition: str) -> list[str]:
    """RankLib's line reader: drop ``#`` lines, trim, join; cut after each ``</ensemble>``."""
    texts: list[str] = []
    current = ""
    for line in definition.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        current += stripped
        if current.endswith("</ensemble>"):
            texts.append(current)
            current = ""
    if current.strip():
        texts.append(current)
    return texts


def _ensemble(text: str, num_features: int) -> TreeEnsemble:
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise RankLibError("Error in Ensemble(xmlRepresentation): DTDs are not allowed")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise RankLibError(f"Error in Ensemble(xmlRepresentation): {exc}") from None
    trees: list[Node] = []
    weights: list[float] = []
    for tree in root.iter("tree"):
        children = list(tree)
        weight = tree.get("weight")
        if not children or weight is None:
            raise RankLibError(
                "Error in Ensemble(xmlRepresentation): a <tree> needs a weight and a <split>"
            )
        trees.append(_node(children[0], num_features))
        weights.append(_float(weight))
    return compile_trees(trees, weights, num_features, inclusive=True, ranklib_sum=True)


def _node(element: ET.Element, num_features: int) -> Node:
    children = list(element)
    if not children:
        raise RankLibError("Error in Ensemble(xmlRepresentation): an empty <split>")
    if children[0].tag.lower() != "feature":
        return Leaf(_float(children[0].text))
    if len(children) < 4:
        raise RankLibError(
            "Error in Ensemble(xmlRepresentation): a <split> needs <feature>, <threshold> and "
            "two <split> children"
        )
    fid = _fid(children[0].text, num_features)
    return Split(
        fid - 1,
        _float(children[1].text),
        _node(children[2], num_features),
        _node(children[3], num_features),
    )


def _linear(name: str, lines: list[str], num_features: int) -> RankLibLinear:
    pairs = next(
        (line.strip() for line in lines if line.strip() and not line.strip().startswith("##")),
        None,
    )
    if pairs is None:
        raise RankLibError(f"Error in {name}::load(): no weights line")
    if "#" in pairs:
        pairs = pairs[: pairs.rindex("#")].strip()
    ordinals: list[int] = []
    weights: list[float] = []
    intercept = 0.0
    for item in pairs.split(" "):
        if not item.strip():
            continue
        key = item.strip().partition(":")[0]
        try:
            fid, weight = int(key), float(item.strip().rpartition(":")[2])
        except ValueError:
            raise RankLibError(f"Error in {name}::load(): cannot read [{item}]") from None
        if name == "Linear Regression" and fid <= 0:
            intercept = weight
            continue
        ordinals.append(_fid(key, num_features) - 1)
        weights.append(weight)
    return RankLibLinear(name, ordinals, weights, intercept)


def _fid(text: str | None, num_features: int) -> int:
    try:
        fid = int((text or "").strip())
    except ValueError:
        raise RankLibError(f"Error in RankLib model: invalid feature id [{text}]") from None
    if not 0 < fid <= num_features:
        # RankLib would only fail when scoring ("requesting unspecified feature"); the
        # embedded engine refuses the model when it is stored instead.
        raise RankLibError(
            f"RankLib feature id [{fid}] is outside the feature set (1..{num_features})"
        )
    return fid


def _float(text: str | None) -> float:
    try:
        return float(np.float32(float((text or "").strip())))
    except ValueError:
        raise RankLibError(f"Error in RankLib model: invalid number [{text}]") from None
