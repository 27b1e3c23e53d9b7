"""``model/xgboost+json+raw``: the full ``Booster.save_model("model.json")`` document.

Trees come from ``learner.gradient_booster.model.trees`` (``left_children``,
``right_children``, ``split_indices``, ``split_conditions``, ``default_left``,
``base_weights``); ``split_indices`` index ``learner.feature_names``, which must all be
features of the set, and ``learner.feature_types`` must all be ``float``. A leaf's value is
its ``base_weights`` entry and ``base_score`` is not added, as in the plugin.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ...errors import IllegalArgumentError, OpenSearchError, ParsingError
from ..parsing import as_bool, as_str_list, token
from . import FeatureSetView, register
from .trees import Leaf, Node, Split, compile_trees
from .xgboost import Transform, XGBoostRanker, objective_transform


@register("model/xgboost+json+raw")
def parse_xgboost_raw(feature_set: FeatureSetView, definition: str) -> XGBoostRanker:
    try:
        data = json.loads(definition)
    except json.JSONDecodeError as exc:
        raise IllegalArgumentError(f"Cannot parse model: {exc}") from None
    if not isinstance(data, dict):
        raise ParsingError(f"Expected [START_OBJECT] but got [{token(data)}]")
    learner = data.get("learner")
    if not isinstance(learner, dict):
        raise ParsingError("XGBoost model missing required field [learner]")
    names = as_str_list(learner.get("feature_names") or [], "xgboost_learner", "feature_names")
    types = as_str_list(learner.get("feature_types") or [], "xgboost_learner", "feature_types")
    if not names:
        raise ParsingError(
            "XGBoost model has no [learner.feature_names]: train it with feature names that "
            "match the feature set"
        )
    unknown = [n for n in names if not feature_set.has_feature(n)]
    if unknown:
        raise ParsingError(f"Unknown features in model: [{', '.join(unknown)}]")
    if len(names) != len(types):
        raise ParsingError("Feature names list and feature types list must have the same length")
    unsupported = next((t for t in types if t != "float"), None)
    if unsupported is not None:
        raise ParsingError(
            "The LTR plugin only supports float feature types because Elasticsearch scores "
            f"are always float32. Found feature type [{unsupported}] in model"
        )
    transform = _transform(learner)
    ordinals = [feature_set.ordinal(n) for n in names]
    trees_raw = ((learner.get("gradient_booster") or {}).get("model") or {}).get("trees")
    if not isinstance(trees_raw, list):
        raise ParsingError(
            "XGBoost model missing required field [learner.gradient_booster.model.trees] "
            "(only the gbtree booster is supported)"
        )
    try:
        trees = [_tree(t, ordinals) for t in trees_raw]
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise ParsingError(f"Invalid XGBoost tree: {exc}") from None
    missing_as_zero = (
        as_bool(data["missing_as_zero"], "xgboost_definition", "missing_as_zero")
        if "missing_as_zero" in data
        else False
    )
    ensemble = compile_trees(trees, [1.0] * len(trees), feature_set.size)
    return XGBoostRanker(ensemble, transform, missing_as_zero)


def _transform(learner: dict[str, Any]) -> Transform | None:
    objective = learner.get("objective")
    if not isinstance(objective, dict) or not isinstance(objective.get("name"), str):
        raise ParsingError("XGBoost model missing required field [learner.objective.name]")
    try:
        return objective_transform(objective["name"])
    except OpenSearchError as exc:
        raise ParsingError(exc.reason, caused_by=exc) from None


def _tree(tree: dict[str, Any], ordinals: list[int]) -> Node:
    """Rebuild one tree from its parallel arrays, starting at node 0."""
    left = [int(i) for i in tree["left_children"]]
    right = [int(i) for i in tree["right_children"]]
    indices = tree.get("split_indices") or []
    conditions = tree.get("split_conditions") or []
    default_left = tree.get("default_left")
    weights = tree.get("base_weights") or []

    def build(node_id: int, depth: int) -> Node:
        if node_id >= len(left) or node_id >= len(right) or node_id < 0 or depth > len(left):
            raise ParsingError(f"Child node reference ID [{node_id}] is invalid")
        if left[node_id] == -1 or right[node_id] == -1:
            return Leaf(float(np.float32(weights[node_id])))
        feature = int(indices[node_id])
        if not 0 <= feature < len(ordinals):
            raise ParsingError(f"Split index [{feature}] refers to no entry of feature_names")
        return Split(
            ordinals[feature],
            float(np.float32(conditions[node_id])),
            build(left[node_id], depth + 1),
            build(right[node_id], depth + 1),
            default_left=default_left is not None and int(default_left[node_id]) == 1,
        )

    return build(0, 0)
