"""``model/xgboost+json``: the trees of ``Booster.dump_model(..., dump_format="json")``.

The definition is an array of trees, or ``{"objective": ..., "splits": [trees],
"missing_as_zero": bool}``. Splits name features of the set; a split goes to ``yes`` when
``value < split_condition`` and a missing value follows ``missing`` (left only when
``missing == yes``). The output is the float32 sum of the leaves: ``base_score`` is not
part of the dump and is not added; ``binary:logistic``/``reg:logistic`` apply a sigmoid.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from ...errors import IllegalArgumentError, OpenSearchError, ParsingError
from ..parsing import as_bool, as_float, as_int, as_str, check_fields, check_object, token
from . import FeatureSetView, register
from .trees import Leaf, Node, Split, TreeEnsemble, compile_trees

Transform = Callable[[np.ndarray], np.ndarray]


def sigmoid(margin: np.ndarray) -> np.ndarray:
    """``(float) (1 / (1 + Math.exp(-x)))`` of a float, computed in double like the plugin."""
    return (1.0 / (1.0 + np.exp(-margin.astype(np.float64)))).astype(np.float32)


_RAW = (
    "binary:logitraw",
    "rank:ndcg",
    "rank:map",
    "rank:pairwise",
    "reg:linear",
)
_LOGISTIC = ("binary:logistic", "reg:logistic")


def objective_transform(objective: str) -> Transform | None:
    """The output transform of an XGBoost objective (None = raw margin)."""
    if objective in _RAW:
        return None
    if objective in _LOGISTIC:
        return sigmoid
    raise IllegalArgumentError(f"Objective [{objective}] is not a valid XGBoost objective")


class XGBoostRanker:
    """The plugin's ``NaiveAdditiveDecisionTree``: trees, then the objective's transform."""

    name = "naive_additive_decision_tree"

    def __init__(
        self, ensemble: TreeEnsemble, transform: Transform | None, missing_as_zero: bool
    ) -> None:
        self.ensemble = ensemble
        self.transform = transform
        self.missing_as_zero = missing_as_zero
        self.missing_value = 0.0 if missing_as_zero else float("nan")

    def score(self, features: np.ndarray) -> np.ndarray:
        margin = self.ensemble.predict(features)
        return self.transform(margin) if self.transform is not None else margin

    def ram_bytes(self) -> int:
        return 64 + self.ensemble.ram_bytes()


@register("model/xgboost+json")
def parse_xgboost_json(feature_set: FeatureSetView, definition: str) -> XGBoostRanker:
    try:
        data = json.loads(definition)
    except json.JSONDecodeError as exc:
        raise IllegalArgumentError(f"Cannot parse model: {exc}") from None
    transform: Transform | None = None
    missing_as_zero = False
    if isinstance(data, dict):
        try:
            check_fields(data, "xgboost_definition", ("objective", "splits", "missing_as_zero"))
            if "objective" in data:
                transform = objective_transform(
                    as_str(data["objective"], "xgboost_definition", "objective")
                )
            if "missing_as_zero" in data:
                missing_as_zero = as_bool(
                    data["missing_as_zero"], "xgboost_definition", "missing_as_zero"
                )
            trees = [_parse_node(t, feature_set)[0] for t in data.get("splits") or []]
        except OpenSearchError as exc:
            raise ParsingError("Unable to parse XGBoost object", caused_by=exc) from None
        if "splits" not in data:
            raise ParsingError("XGBoost model missing required field [splits]")
    elif isinstance(data, list):
        trees = [_parse_node(t, feature_set)[0] for t in data]
    else:
        raise ParsingError(f"Expected [START_ARRAY] or [START_OBJECT] but got [{token(data)}]")
    if not trees:
        raise ParsingError("XGBoost model must define at lease one tree")
    ensemble = compile_trees(trees, [1.0] * len(trees), feature_set.size)
    return XGBoostRanker(ensemble, transform, missing_as_zero)


_NODE_FIELDS = (
    "nodeid",
    "depth",
    "split",
    "split_condition",
    "yes",
    "no",
    "missing",
    "leaf",
    "children",
)
_SPLIT_REQUIRED = ("nodeid", "split_condition", "split", "yes", "no", "depth", "children")


def _parse_node(value: Any, feature_set: FeatureSetView) -> tuple[Node, int | None]:
    """One dump node (recursively): the parsed node and its ``nodeid``."""
    obj = check_object(value, "node")
    check_fields(obj, "node", _NODE_FIELDS)
    node_id = as_int(obj["nodeid"], "node", "nodeid") if "nodeid" in obj else None
    if obj.get("leaf") is not None:
        if node_id is None:
            raise ParsingError("This leaf does not have all the required fields")
        return Leaf(float(np.float32(as_float(obj["leaf"], "node", "leaf")))), node_id
    children_raw = obj.get("children")
    children = [_parse_node(c, feature_set) for c in children_raw or []]
    if any(obj.get(k) is None for k in _SPLIT_REQUIRED) or len(children) != 2:
        raise ParsingError("This split does not have all the required fields")
    yes = as_int(obj["yes"], "node", "yes")
    no = as_int(obj["no"], "node", "no")
    missing = as_int(obj["missing"], "node", "missing") if obj.get("missing") is not None else None
    if children[0][1] != yes or children[1][1] != no or missing not in (None, yes, no):
        raise ParsingError(
            "Split structure is invalid, yes, no and/or missing branches does not point to "
            "the proper children."
        )
    feature = as_str(obj["split"], "node", "split")
    if not feature_set.has_feature(feature):
        raise ParsingError(f"Unknown feature [{feature}]")
    threshold = float(np.float32(as_float(obj["split_condition"], "node", "split_condition")))
    split = Split(
        feature_set.ordinal(feature),
        threshold,
        children[0][0],
        children[1][0],
        default_left=missing is not None and missing == yes,
    )
    return split, node_id
