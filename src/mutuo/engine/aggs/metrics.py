"""Single-pass numeric metrics: ``avg``, ``sum``, ``min``, ``max``, ``value_count``, ``stats``.

Each collects (count, sum, min, max) per index; sums are exactly rounded (``math.fsum``),
which is what OpenSearch's compensated (Kahan) summation approximates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import IllegalArgumentError
from ..search_context import SearchContext
from . import Aggregation, ReduceContext, check_options, register
from .values import field_values, value_as_string

_OPTIONS = {"field", "missing", "format", "value_type"}


class NumericMetric(Aggregation):
    accepts_subs = False

    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(name, body)
        check_options(self, _OPTIONS)
        self.field = body.get("field")
        self.format = body.get("format")
        self.mapper: Any = None

    def collect(self, ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None) -> Any:
        values = field_values(ctx, self.field, mask, self.body.get("missing"))
        self.mapper = self.mapper or values.mapper
        if values.kind == "keyword" and self.type_name != "value_count":
            raise IllegalArgumentError(
                f"Field [{self.field}] of type [keyword] is not supported for aggregation [{self.type_name}]"
            )
        vals = values.values.astype(np.float64) if values.kind == "numeric" else values.values
        if not len(vals):
            return (0, [], math.inf, -math.inf)
        if values.kind != "numeric":
            return (len(vals), [], math.inf, -math.inf)
        return (len(vals), [math.fsum(vals.tolist())], float(vals.min()), float(vals.max()))

    def empty(self) -> Any:
        return (0, [], math.inf, -math.inf)

    @staticmethod
    def merged(partials: list[Any]) -> tuple[int, float, float, float]:
        count = sum(p[0] for p in partials)
        total = math.fsum(s for p in partials for s in p[1])
        low = min((p[2] for p in partials), default=math.inf)
        high = max((p[3] for p in partials), default=-math.inf)
        return count, total, low, high

    def value(self, count: int, total: float, low: float, high: float) -> float | int | None:
        raise NotImplementedError

    def reduce(self, partials: list[Any], rctx: ReduceContext) -> dict[str, Any]:
        value = self.value(*self.merged(partials))
        out: dict[str, Any] = {"value": value}
        if value is not None and not isinstance(value, int):
            text = value_as_string(self.mapper, value, self.format)
            if text is not None:
                out["value_as_string"] = text
        return out


@register("avg")
class Avg(NumericMetric):
    def value(self, count: int, total: float, low: float, high: float) -> float | None:
        return total / count if count else None


@register("sum")
class Sum(NumericMetric):
    def value(self, count: int, total: float, low: float, high: float) -> float:
        return total


@register("min")
class Min(NumericMetric):
    def value(self, count: int, total: float, low: float, high: float) -> float | None:
        return low if count else None


@register("max")
class Max(NumericMetric):
    def value(self, count: int, total: float, low: float, high: float) -> float | None:
        return high if count else None


@register("value_count")
class ValueCount(NumericMetric):
    def value(self, count: int, total: float, low: float, high: float) -> int:
        return count


@register("stats")
class Stats(NumericMetric):
    def reduce(self, partials: list[Any], rctx: ReduceContext) -> dict[str, Any]:
        count, total, low, high = self.merged(partials)
        out: dict[str, Any] = {
            "count": count,
            "min": low if count else None,
            "max": high if count else None,
            "avg": total / count if count else None,
            "sum": total,
        }
        if count:
            for key in ("min", "max", "avg", "sum"):
                text = value_as_string(self.mapper, out[key], self.format)
                if text is not None:
                    out[f"{key}_as_string"] = text
        return out
