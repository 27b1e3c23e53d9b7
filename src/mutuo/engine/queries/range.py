"""``range``: numbers, dates (with date math and ``format``) and terms between bounds.

Bounds follow the field type as OpenSearch's mappers do: integer fields round a
fractional bound inwards (``gt: 1.5`` matches 2), date bounds use date math where
``lte``/``gt`` round up (``lte: now/d`` is the end of today), keyword and text fields
compare terms in byte order. The query scores a constant (its boost).
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np

from .. import dates
from ..columns import KeywordColumn, NumericColumn, TextColumn
from ..errors import ParsingError, QueryShardError
from ..explanation import Explanation
from ..fields import BOOLEAN, DATE, GEO_POINT, KEYWORD, NUMBER, TEXT, FieldMapper
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register, single_field, windowed
from .term import constant_explanation

_OPTIONS = {
    "gt",
    "gte",
    "lt",
    "lte",
    "from",
    "to",
    "include_lower",
    "include_upper",
    "format",
    "time_zone",
    "relation",
}


@register("range")
class Range(Query):
    frozen = True
    domain_free = True

    def __init__(self, field: str) -> None:
        self.field = field
        self.lower: Any = None
        self.upper: Any = None
        self.include_lower = True
        self.include_upper = True
        self.format: str | None = None
        self.time_zone: str | None = None

    @classmethod
    def parse(cls, body: Any) -> Query:
        field, spec, extra = single_field(body, "range")
        if not isinstance(spec, dict):
            raise ParsingError("[range] query malformed, no start_object after query name")
        query = cls(field)
        parse_common(query, {**spec, **extra}, _OPTIONS, "range")
        for key, value in spec.items():
            if key in ("gt", "gte", "from"):
                query.lower = value
                query.include_lower = key != "gt" and (
                    key != "from" or spec.get("include_lower", True)
                )
            elif key in ("lt", "lte", "to"):
                query.upper = value
                query.include_upper = key != "lt" and (
                    key != "to" or spec.get("include_upper", True)
                )
        query.format = spec.get("format")
        query.time_zone = spec.get("time_zone")
        relation = str(spec.get("relation", "INTERSECTS")).upper()
        if relation not in ("INTERSECTS", "WITHIN", "CONTAINS"):
            raise ParsingError(f"[range] query does not support relation [{spec['relation']}]")
        return query

    def filter_key(self, ctx: SearchContext) -> Any:
        if self.body_key is None or "now" in self.body_key:
            return None
        return self.body_filter_key()

    def mask(self, ctx: SearchContext) -> np.ndarray:
        mapper = ctx.mapper(self.field)
        if mapper is None:
            return ctx.none().mask
        column = ctx.shard.column(mapper.path)
        if mapper.kind in (NUMBER, DATE, BOOLEAN):
            if not isinstance(column, NumericColumn):
                return ctx.none().mask
            low, high = self.numeric_bounds(ctx, mapper)
            if low > high:
                return ctx.none().mask
            return column.match_any(lambda v: (v >= low) & (v <= high), ctx.maxdoc)
        if mapper.kind in (KEYWORD, TEXT):
            return self._term_range(ctx, column)
        if mapper.kind == GEO_POINT:
            raise QueryShardError(
                f"Field [{self.field}] of type [geo_point] does not support range queries",
                index=ctx.index.name,
            )
        raise QueryShardError(
            f"Field [{self.field}] of type [{mapper.type}] does not support range queries",
            index=ctx.index.name,
        )

    def numeric_bounds(self, ctx: SearchContext, mapper: FieldMapper) -> tuple[Any, Any]:
        """Inclusive (low, high) bounds in the column's units."""
        if mapper.kind == DATE:
            return self._date_bounds(ctx, mapper)
        low: Any = -math.inf
        high: Any = math.inf
        if self.lower is not None:
            low = (
                ctx.parse_numeric(mapper, self.lower)
                if mapper.kind == BOOLEAN
                else _number(ctx, self.lower)
            )
        if self.upper is not None:
            high = (
                ctx.parse_numeric(mapper, self.upper)
                if mapper.kind == BOOLEAN
                else _number(ctx, self.upper)
            )
        if mapper.kind == BOOLEAN or mapper.is_integer:
            return _integer_low(low, self.include_lower), _integer_high(high, self.include_upper)
        if mapper.type in ("float", "half_float"):
            low = float(np.float32(low)) if math.isfinite(low) else low
            high = float(np.float32(high)) if math.isfinite(high) else high
        if not self.include_lower and math.isfinite(low):
            low = math.nextafter(low, math.inf)
        if not self.include_upper and math.isfinite(high):
            high = math.nextafter(high, -math.inf)
        return low, high

    def _date_bounds(
        self, ctx: SearchContext, mapper: FieldMapper
    ) -> tuple[int | float, int | float]:
        fmt = dates.date_format(self.format) if self.format else mapper.date_format
        low: int | float = -math.inf
        high: int | float = math.inf
        try:
            if self.lower is not None:
                low = dates.parse_date_math(
                    self.lower,
                    fmt,
                    ctx.now_ms,
                    round_up=not self.include_lower,
                    time_zone=self.time_zone,
                )
                if not self.include_lower:
                    low += 1
            if self.upper is not None:
                high = dates.parse_date_math(
                    self.upper,
                    fmt,
                    ctx.now_ms,
                    round_up=self.include_upper,
                    time_zone=self.time_zone,
                )
                if not self.include_upper:
                    high -= 1
        except ValueError as exc:
            raise QueryShardError(f"failed to create query: {exc}", index=ctx.index.name) from None
        return low, high

    def _term_range(self, ctx: SearchContext, column: Any) -> np.ndarray:
        if not isinstance(column, KeywordColumn | TextColumn):
            return ctx.none().mask
        order, _rank = column.dictionary.sorted_order()
        terms = column.terms
        sorted_terms = [terms[i] for i in order.tolist()]
        start = (
            0
            if self.lower is None
            else (
                bisect.bisect_left(sorted_terms, str(self.lower))
                if self.include_lower
                else bisect.bisect_right(sorted_terms, str(self.lower))
            )
        )
        end = (
            len(sorted_terms)
            if self.upper is None
            else (
                bisect.bisect_right(sorted_terms, str(self.upper))
                if self.include_upper
                else bisect.bisect_left(sorted_terms, str(self.upper))
            )
        )
        ids = order[start:end].tolist()
        if not ids:
            return ctx.none().mask
        postings = column.postings if isinstance(column, KeywordColumn) else column.post_docs
        return ctx.mask_of(np.concatenate([postings[i] for i in ids]))

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        return Matches(self.mask(ctx) & ctx.live, None, 1.0)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        """Numbers and dates read for ``ordinals`` only; term ranges use the shard's mask."""
        mapper = ctx.mapper(self.field)
        column = ctx.shard.column(mapper.path) if mapper is not None else None
        if mapper is None or mapper.kind not in (NUMBER, DATE, BOOLEAN):
            return super().window(ctx, ordinals, scoring, boost)
        found = np.zeros(len(ordinals), dtype=bool)
        if isinstance(column, NumericColumn):
            low, high = self.numeric_bounds(ctx, mapper)
            if low <= high:
                found = windowed.numeric_any(column, lambda v: (v >= low) & (v <= high), ordinals)
        matches = Matches(found & ctx.live[ordinals], None, 1.0)
        return matches.boosted(boost) if scoring else matches

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if not (self.mask(ctx) & ctx.live)[ordinal]:
            return Explanation.no_match(f"{self.lucene_string()} doesn't match id {ordinal}")
        return constant_explanation(self.lucene_string(), boost)

    def lucene_string(self) -> str:
        low = "*" if self.lower is None else self.lower
        high = "*" if self.upper is None else self.upper
        return f"{self.field}:{'[' if self.include_lower else '{'}{low} TO {high}{']' if self.include_upper else '}'}"


def _integer_low(value: float, inclusive: bool) -> float:
    """A lower bound on an integer field: decimals round up, exclusive integers step up."""
    if not math.isfinite(value):
        return value
    if not float(value).is_integer():
        return math.ceil(value)
    return value if inclusive else value + 1


def _integer_high(value: float, inclusive: bool) -> float:
    if not math.isfinite(value):
        return value
    if not float(value).is_integer():
        return math.floor(value)
    return value if inclusive else value - 1


def _number(ctx: SearchContext, value: Any) -> float:
    if isinstance(value, bool):
        raise QueryShardError(
            f"failed to create query: [{value}] is not a number", index=ctx.index.name
        )
    if isinstance(value, int):
        return value  # exact, even beyond 2^53
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise QueryShardError(
            f'failed to create query: For input string: "{value}"', index=ctx.index.name
        ) from None
