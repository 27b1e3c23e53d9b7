"""Export trained tree models into the LTR plugin's model formats.

* XGBoost boosters go to ``model/xgboost+json`` (their own JSON dump) or
  ``model/xgboost+json+raw`` (their saved model), unchanged.
* LightGBM boosters are translated tree by tree. LightGBM splits go left when
  ``value <= threshold`` (a double) while the plugin's XGBoost trees go left when
  ``value < threshold`` (a float): since feature values are float32, ``v <= t`` is exactly
  ``v < next_float32_after(largest_float32_not_above(t))``. Missing values follow
  LightGBM: with ``missing_type`` NaN they go to the default child; with ``None`` LightGBM
  reads NaN as 0.0, so the plugin's missing direction is the side 0.0 goes to. RankLib
  thresholds are ``<=`` already and take ``largest_float32_not_above(t)``.

Anything that cannot be expressed exactly (categorical splits, ``zero_as_missing``,
linear trees, multi-class models) raises :class:`ExportError` instead of exporting an
approximation.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

# The plugin only knows these objectives; reg:squarederror is reg:linear's newer name.
_XGBOOST_OBJECTIVES = {"reg:squarederror": "reg:linear"}
_LIGHTGBM_OBJECTIVES = {
    "lambdarank": "rank:ndcg",
    "rank_xendcg": "rank:ndcg",
    "binary": "binary:logistic",
    "regression": "reg:linear",
}


class ExportError(ValueError):
    """The model cannot be represented exactly in the requested format."""


# -- XGBoost --------------------------------------------------------------------------------


def xgboost_objective(booster: Any) -> str:
    name = json.loads(booster.save_config())["learner"]["objective"]["name"]
    return str(_XGBOOST_OBJECTIVES.get(name, name))


def xgboost_json_definition(booster: Any) -> dict[str, Any]:
    """``{"objective", "splits"}`` for ``model/xgboost+json`` (features by name)."""
    if not booster.feature_names:
        raise ExportError("train the booster with feature_names matching the feature set")
    trees = [json.loads(tree) for tree in booster.get_dump(dump_format="json")]
    return {"objective": xgboost_objective(booster), "splits": trees}


def xgboost_raw_definition(booster: Any) -> dict[str, Any]:
    """The saved-model JSON for ``model/xgboost+json+raw``.

    XGBoost leaves ``feature_types`` empty unless they were given; numeric features are
    ``float``, which the plugin requires to be spelled out.
    """
    model: dict[str, Any] = json.loads(bytes(booster.save_raw("json")))
    learner = model["learner"]
    if not learner.get("feature_names"):
        raise ExportError("train the booster with feature_names matching the feature set")
    if not learner.get("feature_types"):
        learner["feature_types"] = ["float"] * len(learner["feature_names"])
    objective = learner["objective"]
    objective["name"] = _XGBOOST_OBJECTIVES.get(objective["name"], objective["name"])
    return model


# -- LightGBM -------------------------------------------------------------------------------


def _floor32(threshold: float) -> np.float32:
    """The largest float32 that is <= ``threshold``. LightGBM writes thresholds beyond
    float32's range (up to 1e300): they round to an infinity, stepped back below."""
    with np.errstate(over="ignore"):
        value = np.float32(threshold)
    if float(value) > threshold:
        value = np.nextafter(value, np.float32(-np.inf))
    return value


def _strict32(threshold: float) -> float:
    """A float32 ``s`` with ``v <= threshold`` <=> ``v < s`` for every float32 ``v``
    (above the largest float32, ``s`` is +inf)."""
    with np.errstate(over="ignore"):
        return float(np.nextafter(_floor32(threshold), np.float32(np.inf)))


def _lightgbm_model(booster: Any) -> dict[str, Any]:
    model: dict[str, Any] = booster.dump_model()
    if model.get("num_class", 1) != 1 or model.get("num_tree_per_iteration", 1) != 1:
        raise ExportError("multi-class LightGBM models have no plugin equivalent")
    return model


def lightgbm_objective(model: dict[str, Any]) -> str:
    words = str(model.get("objective", "")).split()
    name = words[0] if words else ""
    if name == "binary" and any(w.startswith("sigmoid:") and w != "sigmoid:1" for w in words):
        raise ExportError("only binary models with sigmoid:1 match binary:logistic")
    if name not in _LIGHTGBM_OBJECTIVES:
        raise ExportError(f"LightGBM objective [{name}] has no plugin equivalent")
    return _LIGHTGBM_OBJECTIVES[name]


def _check_split(node: dict[str, Any]) -> None:
    if node.get("decision_type") != "<=":
        raise ExportError("categorical LightGBM splits cannot be exported")
    if node.get("missing_type") == "Zero":
        raise ExportError("zero_as_missing LightGBM splits cannot be exported")


def _missing_left(node: dict[str, Any]) -> bool:
    if node.get("missing_type") == "NaN":
        return bool(node["default_left"])
    return float(node["threshold"]) >= 0.0  # LightGBM reads NaN as 0.0


def _xgb_node(node: dict[str, Any], names: list[str], ids: list[int], depth: int) -> dict[str, Any]:
    node_id = ids[0]
    ids[0] += 1
    if "leaf_value" in node:
        return {"nodeid": node_id, "leaf": float(np.float32(node["leaf_value"]))}
    _check_split(node)
    left = _xgb_node(node["left_child"], names, ids, depth + 1)
    right = _xgb_node(node["right_child"], names, ids, depth + 1)
    return {
        "nodeid": node_id,
        "depth": depth,
        "split": names[node["split_feature"]],
        "split_condition": _strict32(float(node["threshold"])),
        "yes": left["nodeid"],
        "no": right["nodeid"],
        "missing": left["nodeid"] if _missing_left(node) else right["nodeid"],
        "children": [left, right],
    }


def lightgbm_xgboost_json_definition(booster: Any) -> dict[str, Any]:
    """A LightGBM booster as ``model/xgboost+json`` (trees in XGBoost's dump format)."""
    model = _lightgbm_model(booster)
    names = list(model["feature_names"])
    splits = [_xgb_node(t["tree_structure"], names, [0], 0) for t in model["tree_info"]]
    return {"objective": lightgbm_objective(model), "splits": splits}


def _raw_tree(root: dict[str, Any]) -> dict[str, Any]:
    arrays: dict[str, list[Any]] = {
        k: []
        for k in (
            "left_children",
            "right_children",
            "split_indices",
            "split_conditions",
            "default_left",
            "base_weights",
        )
    }
    pending = [root]
    while pending:  # breadth-first; children ids are assigned when their parent is written
        node = pending.pop(0)
        if "leaf_value" in node:
            for key, value in zip(
                arrays, (-1, -1, 0, 0.0, 0, float(node["leaf_value"])), strict=True
            ):
                arrays[key].append(value)
            continue
        _check_split(node)
        first = len(arrays["left_children"]) + len(pending) + 1
        values = (
            first,
            first + 1,
            int(node["split_feature"]),
            _strict32(float(node["threshold"])),
            int(_missing_left(node)),
            0.0,
        )
        for key, value in zip(arrays, values, strict=True):
            arrays[key].append(value)
        pending += [node["left_child"], node["right_child"]]
    return arrays


def lightgbm_xgboost_raw_definition(booster: Any) -> dict[str, Any]:
    """A LightGBM booster as ``model/xgboost+json+raw`` (XGBoost's saved-model layout)."""
    model = _lightgbm_model(booster)
    names = list(model["feature_names"])
    trees = [_raw_tree(t["tree_structure"]) for t in model["tree_info"]]
    return {
        "learner": {
            "feature_names": names,
            "feature_types": ["float"] * len(names),
            "objective": {"name": lightgbm_objective(model)},
            "gradient_booster": {"model": {"trees": trees}},
        }
    }


def _ranklib_split(node: dict[str, Any], indent: str) -> str:
    if "leaf_value" in node:
        return f"{indent}<output> {float(node['leaf_value'])!r} </output>\n"
    _check_split(node)
    if node.get("missing_type") == "NaN":
        raise ExportError("RankLib has no missing-value routing; train without NaN features")
    threshold = float(_floor32(float(node["threshold"])))
    if not math.isfinite(threshold):
        raise ExportError("infinite LightGBM threshold")
    inner = indent + "\t"
    return (
        f"{indent}<feature> {node['split_feature'] + 1} </feature>\n"
        f"{indent}<threshold> {np.format_float_positional(np.float32(threshold), unique=True)} </threshold>\n"
        f'{indent}<split pos="left">\n{_ranklib_split(node["left_child"], inner)}{indent}</split>\n'
        f'{indent}<split pos="right">\n{_ranklib_split(node["right_child"], inner)}{indent}</split>\n'
    )


def lightgbm_ranklib_definition(booster: Any) -> str:
    """A LightGBM booster as a RankLib ``## LambdaMART`` model (feature ids = column + 1).

    Leaf values are LightGBM's (learning rate already applied), so every tree weighs 1.
    """
    model = _lightgbm_model(booster)
    trees = []
    for number, tree in enumerate(model["tree_info"], start=1):
        trees.append(
            f'\t<tree id="{number}" weight="1.0">\n\t\t<split>\n'
            f"{_ranklib_split(tree['tree_structure'], chr(9) * 3)}\t\t</split>\n\t</tree>\n"
        )
    return (
        "## LambdaMART\n## exported from LightGBM\n<ensemble>\n" + "".join(trees) + "</ensemble>\n"
    )
