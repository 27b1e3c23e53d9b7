"""LTR model formats, found by their ``type`` string in a registry.

A ranker scores a whole matrix of feature vectors at once: one row per document of the
window, one float32 column per feature of the set (ordinal order). Each format is one
module that registers a parser ``(feature_set, definition_text) -> Ranker``:

=========================  ==========================================================
``model/linear``           :mod:`.linear`
``model/ranklib``          :mod:`.ranklib` (LambdaMART, MART, Random Forests,
                           Coordinate Ascent, Linear Regression)
``model/xgboost+json``     :mod:`.xgboost` (``dump_model(dump_format="json")``)
``model/xgboost+json+raw`` :mod:`.xgboost_raw` (``save_model`` JSON)
=========================  ==========================================================

``Ranker.missing_value`` is what a feature whose query did not match holds in the vector
the model sees: 0.0 for the plugin's dense vectors (linear, RankLib), NaN for its sparse
ones (XGBoost trees since LTR 3.2, unless the model sets ``missing_as_zero``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from ...errors import IllegalArgumentError


class FeatureSetView(Protocol):
    """What a model parser may ask of the feature set it is compiled against."""

    @property
    def name(self) -> str: ...

    @property
    def size(self) -> int: ...

    def has_feature(self, name: str) -> bool: ...

    def ordinal(self, name: str) -> int: ...


class Ranker(Protocol):
    name: str
    missing_value: float

    def score(self, features: np.ndarray) -> np.ndarray:
        """float32 (rows, features) -> float32 (rows,) model outputs."""
        ...

    def ram_bytes(self) -> int: ...


RankerParser = Callable[[FeatureSetView, str], Ranker]

PARSERS: dict[str, RankerParser] = {}


def register(model_type: str) -> Callable[[RankerParser], RankerParser]:
    def wrap(parser: RankerParser) -> RankerParser:
        PARSERS[model_type] = parser
        return parser

    return wrap


def parse_ranker(model_type: str, feature_set: FeatureSetView, definition: str) -> Ranker:
    """Compile ``definition`` (the model text) for ``feature_set``; errors are the parser's."""
    _load_all()
    parser = PARSERS.get(model_type)
    if parser is None:
        raise IllegalArgumentError(f"Unsupported LtrRanker format/type [{model_type}]")
    return parser(feature_set, definition)


class LinearRanker:
    """``sum(weight_i * value_i)`` accumulated in float32 in ordinal order, as Java does."""

    name = "linear"
    missing_value = 0.0

    def __init__(self, weights: np.ndarray) -> None:
        self.weights = np.asarray(weights, dtype=np.float32)

    def score(self, features: np.ndarray) -> np.ndarray:
        if features.shape[1] == 0:
            return np.zeros(features.shape[0], dtype=np.float32)
        products = np.asarray(features, dtype=np.float32) * self.weights
        return np.cumsum(products, axis=1, dtype=np.float32)[:, -1]

    def ram_bytes(self) -> int:
        return 16 + int(self.weights.nbytes)


_loaded = False


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    from . import linear, ranklib, xgboost, xgboost_raw  # noqa: F401  (they register)

    _loaded = True
