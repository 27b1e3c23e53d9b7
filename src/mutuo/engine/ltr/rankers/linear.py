"""``model/linear``: ``{"feature_name": weight, ...}``; features left out weigh 0."""

from __future__ import annotations

import json

import numpy as np

from ...errors import IllegalArgumentError, ParsingError
from ..parsing import token
from . import FeatureSetView, LinearRanker, register


@register("model/linear")
def parse_linear(feature_set: FeatureSetView, definition: str) -> LinearRanker:
    try:
        weights_by_name = json.loads(definition)
    except json.JSONDecodeError as exc:
        raise IllegalArgumentError(f"Cannot parse model: {exc}") from None
    if not isinstance(weights_by_name, dict):
        raise ParsingError(
            f"Expected start object but found [{token(weights_by_name)}]", line=1, col=1
        )
    weights = np.zeros(feature_set.size, dtype=np.float32)
    for name, weight in weights_by_name.items():
        if not feature_set.has_feature(name):
            raise ParsingError(f"Feature [{name}] is unknown.")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ParsingError(f"Expected a float but found [{token(weight)}]")
        weights[feature_set.ordinal(name)] = np.float32(weight)
    return LinearRanker(weights)
