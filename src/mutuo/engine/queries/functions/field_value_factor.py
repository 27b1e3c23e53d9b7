"""``field_value_factor``: ``modifier(doc value x factor)`` (the first value of a field).

Modifiers: none, log (log10), log1p, log2p, ln, ln1p, ln2p, square, sqrt, reciprocal.
A document without the field needs ``missing``; a negative result is an error, as in
OpenSearch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ...columns import NumericColumn
from ...errors import IllegalArgumentError, OpenSearchError, ParsingError
from ...explanation import Explanation, java_double_str, java_float_str
from ...fields import BOOLEAN, DATE, NUMBER
from ...search_context import SearchContext
from . import ScoreFunction, register_function

_MODIFIERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none": lambda v: v,
    "log": np.log10,
    "log1p": lambda v: np.log10(v + 1),
    "log2p": lambda v: np.log10(v + 2),
    "ln": np.log,
    "ln1p": np.log1p,
    "ln2p": lambda v: np.log1p(v + 1),
    "square": lambda v: np.power(v, 2),
    "sqrt": np.sqrt,
    "reciprocal": lambda v: 1.0 / v,
}

# Modifiers that cannot divide by zero or leave their domain (no floating-point warning
# to silence, so no ``errstate`` context to enter per call).
_SILENT = ("none", "square")


@register_function("field_value_factor")
class FieldValueFactor(ScoreFunction):
    def __init__(self, field: str, factor: float, modifier: str, missing: float | None) -> None:
        super().__init__()
        self.field = field
        self.factor = factor
        self.modifier = modifier
        self.missing = missing

    @classmethod
    def parse(cls, body: Any) -> ScoreFunction:
        if not isinstance(body, dict) or "field" not in body:
            raise ParsingError("[field_value_factor] required field 'field' missing")
        for key in body:
            if key not in ("field", "factor", "modifier", "missing"):
                raise ParsingError(f"[field_value_factor] query does not support [{key}]")
        modifier = str(body.get("modifier", "none")).lower()
        if modifier not in _MODIFIERS:
            raise ParsingError(f"[field_value_factor] unknown modifier [{modifier}]")
        missing = body.get("missing")
        return cls(
            str(body["field"]),
            float(np.float32(float(body.get("factor", 1.0)))),
            modifier,
            float(missing) if missing is not None else None,
        )

    def _raw(self, ctx: SearchContext, ordinals: np.ndarray) -> np.ndarray:
        mapper = ctx.mapper(self.field)
        if mapper is None:
            if self.missing is None:
                raise OpenSearchError(
                    f"Unable to find a field mapper for field [{self.field}]. No 'missing' value defined."
                )
            return np.full(len(ordinals), self.missing)
        if mapper.kind not in (NUMBER, DATE, BOOLEAN):
            raise IllegalArgumentError(
                f"field [{self.field}] of type [{mapper.type}] is not numeric: [field_value_factor] needs a number"
            )
        column = ctx.shard.column(mapper.path)
        if not isinstance(column, NumericColumn):
            values = np.full(len(ordinals), np.nan)
            has = np.zeros(len(ordinals), dtype=bool)
        else:
            values = column.values.view()[ordinals].astype(np.float64)
            has = column.has.view()[ordinals]
        if not has.all():
            if self.missing is None:
                raise OpenSearchError(f"Missing value for field [{self.field}]")
            values = np.where(has, values, self.missing)
        return values

    def values(self, ctx: SearchContext, ordinals: np.ndarray) -> np.ndarray:
        raw = self._raw(ctx, ordinals)
        if self.modifier in _SILENT:
            result = _MODIFIERS[self.modifier](raw * self.factor)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                result = _MODIFIERS[self.modifier](raw * self.factor)
        bad = result < 0
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            message = (
                "field value function must not produce negative scores, but got: "
                f"[{java_double_str(result[i])}] for field value: [{java_double_str(raw[i])}]"
            )
            if self.modifier == "ln":
                message += "; consider using ln1p or ln2p instead of ln to avoid negative scores"
            elif self.modifier == "log":
                message += "; consider using log1p or log2p instead of log to avoid negative scores"
            raise IllegalArgumentError(message)
        return np.asarray(result, dtype=np.float64)

    def explain(self, ctx: SearchContext, ordinal: int) -> Explanation:
        value = float(self.values(ctx, np.array([ordinal]))[0])
        default = f"?:{java_double_str(self.missing)}" if self.missing is not None else ""
        return Explanation(
            float(np.float32(value)),
            f"field value function{self.name_func()}: {self.modifier}(doc['{self.field}'].value"
            f"{default} * factor={java_float_str(self.factor)})",
        )


def values_together(
    functions: list[FieldValueFactor], ctx: SearchContext, ordinals: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each function's :meth:`~FieldValueFactor.values` for the same ``ordinals``,
    computed together: (a float64 row per function, which rows are valid).

    The columns' values side by side are multiplied by the factors and passed through
    each modifier once for all the functions that use it: the one-at-a-time arithmetic,
    element by element, so the values are identical. A function whose values would raise
    (a field that is not numeric, a document without a value and no ``missing``, a
    negative result) has an invalid row: its caller takes the one-at-a-time path for it,
    which raises the error in its own words."""
    stacked = np.zeros((len(functions), len(ordinals)), dtype=np.float64)
    valid = np.zeros(len(functions), dtype=bool)
    for row, function in enumerate(functions):
        try:
            stacked[row] = function._raw(ctx, ordinals)
        except OpenSearchError:
            continue
        valid[row] = True
    stacked *= np.array([f.factor for f in functions])[:, None]
    by_modifier: dict[str, list[int]] = {}
    for row, function in enumerate(functions):
        by_modifier.setdefault(function.modifier, []).append(row)
    with np.errstate(divide="ignore", invalid="ignore"):
        for modifier, rows in by_modifier.items():
            if modifier != "none":
                stacked[rows] = _MODIFIERS[modifier](stacked[rows])
    valid &= np.logical_not(np.any(stacked < 0, axis=1))
    return stacked, valid
