"""``percentiles``: values at the requested percents, as OpenSearch's t-digest reports them.

With every value its own centroid (t-digest keeps them so for small inputs) the digest's
quantile is a step function of the sorted values: below rank 1 the minimum, above rank
``n - 1`` the maximum, else the value at rank ``floor(q * n)`` (half-way points round to
the upper value). The embedded engine applies that rule to the exact values at every
size; OpenSearch merges centroids beyond a few hundred values, so its large-sample
answers are estimates of the same quantity (a documented difference).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import IllegalArgumentError
from ..search_context import SearchContext
from . import Aggregation, ReduceContext, check_options, register
from .values import field_values, value_as_string

DEFAULT_PERCENTS = [1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0]


@register("percentiles")
class Percentiles(Aggregation):
    accepts_subs = False

    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(name, body)
        check_options(self, {"field", "missing", "percents", "keyed", "tdigest", "hdr", "format"})
        if "hdr" in body:
            raise IllegalArgumentError("[hdr] percentiles are not supported by the embedded engine")
        self.percents = [float(p) for p in body.get("percents", DEFAULT_PERCENTS)]
        for p in self.percents:
            if not 0 <= p <= 100:
                raise IllegalArgumentError(f"percent must be in [0,100], got [{p}]")
        self.keyed = bool(body.get("keyed", True))
        self.mapper: Any = None

    def collect(self, ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None) -> Any:
        values = field_values(ctx, self.body.get("field"), mask, self.body.get("missing"))
        if values.kind == "keyword":
            raise IllegalArgumentError(
                f"Field [{self.body.get('field')}] of type [keyword] is not supported for aggregation [percentiles]"
            )
        self.mapper = self.mapper or values.mapper
        return values.values.astype(np.float64)

    def empty(self) -> Any:
        return np.empty(0)

    def reduce(self, partials: list[Any], rctx: ReduceContext) -> dict[str, Any]:
        values = np.sort(np.concatenate(partials)) if partials else np.empty(0)
        rows = []
        for p in self.percents:
            value = digest_quantile(values, p / 100) if len(values) else None
            rows.append((p, value))
        if self.keyed:
            out: dict[str, Any] = {}
            for p, value in rows:
                out[str(p)] = value
                text = (
                    value_as_string(self.mapper, value, self.body.get("format"))
                    if value is not None
                    else None
                )
                if text is not None:
                    out[f"{p}_as_string"] = text
            return {"values": out}
        return {"values": [{"key": p, "value": v} for p, v in rows]}


def digest_quantile(values: np.ndarray, q: float) -> float:
    """The t-digest quantile of sorted unit-weight values."""
    n = len(values)
    index = q * n
    if index < 1:
        return float(values[0])
    if index > n - 1:
        return float(values[-1])
    return float(values[int(np.floor(index))])
