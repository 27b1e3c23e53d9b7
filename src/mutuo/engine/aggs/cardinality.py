"""``cardinality``: the number of distinct values, counted exactly.

OpenSearch estimates with HyperLogLog++ and is exact below ``precision_threshold``
(default 3000); the embedded engine always counts exactly (a documented difference for
larger cardinalities, where OpenSearch's answer is an estimate).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..search_context import SearchContext
from . import Aggregation, ReduceContext, check_options, register
from .values import field_values


@register("cardinality")
class Cardinality(Aggregation):
    accepts_subs = False

    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(name, body)
        check_options(self, {"field", "missing", "precision_threshold", "format", "execution_hint"})

    def collect(self, ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None) -> Any:
        values = field_values(ctx, self.body.get("field"), mask, self.body.get("missing"))
        unique = np.unique(values.values)
        if values.kind == "keyword":
            return {values.terms[i] for i in unique.tolist()}
        return set(unique.tolist())

    def empty(self) -> Any:
        return set()

    def reduce(self, partials: list[Any], rctx: ReduceContext) -> dict[str, Any]:
        merged: set[Any] = set().union(*partials) if partials else set()
        return {"value": len(merged)}
