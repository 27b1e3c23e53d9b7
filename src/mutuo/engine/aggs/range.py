"""``range`` and ``date_range``: buckets of ``from`` (inclusive) to ``to`` (exclusive).

Ranges are reported sorted by (from, to) as OpenSearch sorts them; keys default to
``"from-to"`` with ``*`` for an open end, printed as Java doubles (``*-100.0``) or as
formatted dates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ParsingError
from ..explanation import java_double_str
from ..fields import DATE
from ..formats import format_date
from ..search_context import SearchContext
from . import Aggregation, ReduceContext, check_options, register
from .buckets import bucket_partial, render_bucket
from .values import field_values


@register("range")
class Range(Aggregation):
    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(name, body)
        check_options(self, {"field", "ranges", "keyed", "missing", "format", "value_type"})
        ranges = body.get("ranges")
        if not isinstance(ranges, list) or not ranges:
            raise ParsingError(f"No [ranges] specified for the [{name}] aggregation")
        for r in ranges:
            if not isinstance(r, dict) or set(r) - {"from", "to", "key"}:
                raise ParsingError(f"[{self.type_name}] ranges accept [from], [to] and [key]")
        self.ranges = ranges
        self.keyed = bool(body.get("keyed", False))
        self.mapper: Any = None

    def bounds(self, ctx: SearchContext) -> list[tuple[float, float, Any]]:
        """(from, to, key) per range in the field's units, sorted as OpenSearch sorts them."""
        mapper = ctx.mapper(self.body.get("field", ""))
        out = []
        for r in self.ranges:
            low = self._bound(ctx, mapper, r.get("from"), -math.inf)
            high = self._bound(ctx, mapper, r.get("to"), math.inf)
            out.append((low, high, r.get("key")))
        return sorted(out, key=lambda b: (b[0], b[1]))

    def _bound(self, ctx: SearchContext, mapper: Any, value: Any, default: float) -> float:
        if value is None:
            return default
        if mapper is not None and mapper.kind == DATE:
            return float(ctx.parse_numeric(mapper, value, fmt=self.body.get("format")))
        return float(value)

    def collect(self, ctx: SearchContext, mask: np.ndarray, scores: np.ndarray | None) -> Any:
        values = field_values(ctx, self.body.get("field"), mask, self.body.get("missing"))
        self.mapper = self.mapper or values.mapper
        vals = values.values.astype(np.float64)
        out = []
        for low, high, key in self.bounds(ctx):
            hit = (vals >= low) & (vals < high)
            bucket = ctx.mask_of(values.docs[hit])
            out.append(((low, high, key), bucket_partial(self, ctx, bucket, scores)))
        return out

    def empty(self) -> Any:
        return None

    def reduce(self, partials: list[Any], rctx: ReduceContext) -> dict[str, Any]:
        partials = [p for p in partials if p is not None]
        if not partials:
            return {"buckets": {} if self.keyed else []}
        buckets = []
        for i, ((low, high, key), _p) in enumerate(partials[0]):
            count = sum(p[i][1][0] for p in partials)
            subs = [p[i][1][1] for p in partials if p[i][1][1]]
            head = self._head(low, high, key)
            buckets.append(render_bucket(self, head, count, subs, rctx))
        rctx.count_buckets(len(buckets))
        if self.keyed:
            return {"buckets": {b.pop("key"): b for b in buckets}}
        return {"buckets": buckets}

    def _head(self, low: float, high: float, key: Any) -> dict[str, Any]:
        date = self.mapper is not None and self.mapper.kind == DATE
        fmt = self.body.get("format") or (self.mapper.params.get("format") if date else None)

        def text(v: float) -> str:
            return format_date(int(v), fmt) if date else java_double_str(v)

        label = (
            key
            or f"{'*' if low == -math.inf else text(low)}-{'*' if high == math.inf else text(high)}"
        )
        head: dict[str, Any] = {"key": label}
        if low != -math.inf:
            head["from"] = low
            if date:
                head["from_as_string"] = text(low)
        if high != math.inf:
            head["to"] = high
            if date:
                head["to_as_string"] = text(high)
        return head


@register("date_range")
class DateRange(Range):
    pass
