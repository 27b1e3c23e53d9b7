"""Compiled models: a feature set, a ranker and the feature normalizers applied before it.

A model is compiled once (when stored, as a pre-check, and when first loaded into the
cache) and then scores whole windows: normalizers rewrite their columns of a copy of the
feature matrix (``(x - mean) / std`` or ``(x - min) / (max - min)`` in float32), then the
ranker scores every row. Logged feature values never pass through here, so they stay raw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import IllegalArgumentError, OpenSearchError
from .elements import Normalizer, StoredModel
from .features import CompiledFeatureSet, compile_featureset
from .rankers import LinearRanker, Ranker, parse_ranker


@dataclass
class CompiledNormalizer:
    ordinal: int
    kind: str
    first: np.float32
    second: np.float32

    def apply(self, column: np.ndarray) -> np.ndarray:
        if self.kind == "standard":
            return (column - self.first) / self.second
        return (column - self.first) / (self.second - self.first)


class CompiledModel:
    def __init__(
        self,
        name: str,
        feature_set: CompiledFeatureSet,
        ranker: Ranker,
        normalizers: list[CompiledNormalizer] | None = None,
    ) -> None:
        self.name = name
        self.feature_set = feature_set
        self.ranker = ranker
        self.normalizers = normalizers or []

    @property
    def missing_value(self) -> float:
        return self.ranker.missing_value

    def score(self, values: np.ndarray) -> np.ndarray:
        """float32 model output of each row of a (docs, features) matrix."""
        if self.normalizers:
            values = values.copy()
            with np.errstate(all="ignore"):
                for normalizer in self.normalizers:
                    column = values[:, normalizer.ordinal]
                    values[:, normalizer.ordinal] = normalizer.apply(column)
        return self.ranker.score(values)

    def ram_bytes(self) -> int:
        return (
            64 + self.feature_set.ram_bytes() + self.ranker.ram_bytes() + 8 * len(self.normalizers)
        )


def compile_model(stored: StoredModel) -> CompiledModel:
    """Compile a stored model (errors are the parsers'; callers add the model's name)."""
    feature_set = compile_featureset(stored.feature_set)
    ranker = parse_ranker(stored.model_type, feature_set, stored.definition_text)
    normalizers = [_normalizer(n, feature_set) for n in stored.normalizers]
    return CompiledModel(stored.name, feature_set, ranker, normalizers)


def check_model(stored: StoredModel) -> CompiledModel:
    """Compile for storage: any error becomes "Error while parsing model [m] with type [t]"."""
    try:
        return compile_model(stored)
    except OpenSearchError as exc:
        raise IllegalArgumentError(
            f"Error while parsing model [{stored.name}] with type [{stored.model_type}]",
            caused_by=exc,
        ) from None


def featureset_model(feature_set: CompiledFeatureSet) -> CompiledModel:
    """What ``sltr`` with only a ``featureset`` runs: every weight 1 (the sum of the features)."""
    return CompiledModel("linear", feature_set, LinearRanker(np.ones(feature_set.size)))


def _normalizer(normalizer: Normalizer, feature_set: CompiledFeatureSet) -> CompiledNormalizer:
    if not feature_set.has_feature(normalizer.feature):
        raise OpenSearchError(
            f"Feature {normalizer.feature} not found in feature set {feature_set.name}"
        )
    return CompiledNormalizer(
        feature_set.ordinal(normalizer.feature),
        normalizer.kind,
        np.float32(normalizer.first),
        np.float32(normalizer.second),
    )
