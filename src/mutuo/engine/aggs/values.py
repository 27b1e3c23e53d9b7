"""Field values for aggregations: every (document, value) pair of a field, vectorised.

Numeric, date and boolean fields yield their numbers (every value of multi-valued
documents); keyword fields yield term ids into the column's dictionary. Text fields are
refused as OpenSearch refuses them (no fielddata).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..columns import KeywordColumn, NumericColumn
from ..errors import IllegalArgumentError, QueryShardError
from ..fields import BOOLEAN, DATE, KEYWORD, NUMBER, TEXT, FieldMapper
from ..formats import format_date, format_decimal
from ..search_context import SearchContext


@dataclass
class Values:
    """The values of one field over the documents of a mask."""

    kind: str  # "numeric" | "keyword" | "unmapped"
    docs: np.ndarray  # ordinal of each value
    values: np.ndarray  # numbers, or term ids for keywords
    mapper: FieldMapper | None
    terms: list[str]

    def keys(self) -> np.ndarray:
        return self.values


def text_field_error(field: str) -> IllegalArgumentError:
    return IllegalArgumentError(
        "Text fields are not optimised for operations that require per-document field data like "
        "aggregations and sorting, so these operations are disabled by default. Please use a "
        f"keyword field instead. Alternatively, set fielddata=true on [{field}] in order to load "
        "field data by uninverting the inverted index. Note that this can use significant memory."
    )


def field_values(
    ctx: SearchContext, field: str | None, mask: np.ndarray, missing: Any = None
) -> Values:
    """(ordinal, value) pairs of ``field`` for the documents in ``mask``."""
    if field is None:
        raise IllegalArgumentError(
            "Required one of fields [field, script], but none were specified."
        )
    mapper = ctx.mapper(field)
    if mapper is None:
        return _unmapped(mask, missing)
    if mapper.kind == TEXT:
        raise text_field_error(field)
    column = ctx.shard.column(mapper.path)
    if mapper.kind == KEYWORD:
        docs, ids, terms = _keyword_pairs(ctx, mapper.path, column)
        keep = mask[docs]
        docs, ids = docs[keep], ids[keep]
        if missing is not None:
            docs, ids, terms = _with_missing_term(mask, docs, ids, terms, str(missing))
        return Values("keyword", docs, ids, mapper, terms)
    if mapper.kind in (NUMBER, DATE, BOOLEAN):
        if isinstance(column, NumericColumn):
            docs, vals = _numeric_pairs(ctx, mapper.path, column)
            keep = mask[docs]
            docs, vals = docs[keep], vals[keep]
        else:
            docs, vals = np.empty(0, dtype=np.int64), np.empty(0)
        if missing is not None:
            fill = ctx.parse_numeric(mapper, missing)
            absent = np.flatnonzero(mask & ~np.isin(np.arange(len(mask)), docs))
            docs = np.concatenate([docs, absent])
            vals = np.concatenate([vals, np.full(len(absent), fill, dtype=vals.dtype)])
        return Values("numeric", docs, vals, mapper, [])
    raise QueryShardError(
        f"Field [{field}] of type [{mapper.type}] is not supported for aggregation",
        index=ctx.index.name,
    )


def _unmapped(mask: np.ndarray, missing: Any) -> Values:
    if missing is None:
        return Values("unmapped", np.empty(0, dtype=np.int64), np.empty(0), None, [])
    docs = np.flatnonzero(mask)
    if isinstance(missing, int | float) and not isinstance(missing, bool):
        return Values("numeric", docs, np.full(len(docs), float(missing)), None, [])
    return Values("keyword", docs, np.zeros(len(docs), dtype=np.int64), None, [str(missing)])


def _keyword_pairs(
    ctx: SearchContext, path: str, column: Any
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    if not isinstance(column, KeywordColumn):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), []
    key = ("agg_keyword_pairs", path)
    cached = ctx.cache.get(key)
    if cached is None:
        first = column.first.view()
        single = first >= 0
        if column.multi:
            multi_docs = np.fromiter(column.multi.keys(), dtype=np.int64, count=len(column.multi))
            single[multi_docs] = False
            lengths = [len(t) for t in column.multi.values()]
            extra_docs = np.repeat(multi_docs, lengths)
            extra_ids = np.fromiter(
                (t for ids in column.multi.values() for t in ids),
                dtype=np.int64,
                count=sum(lengths),
            )
        else:
            extra_docs = extra_ids = np.empty(0, dtype=np.int64)
        docs = np.concatenate([np.flatnonzero(single), extra_docs])
        ids = np.concatenate([first[single], extra_ids])
        live = ctx.live[docs]
        cached = ctx.cache[key] = (docs[live], ids[live])
    return cached[0], cached[1], column.terms


def _with_missing_term(
    mask: np.ndarray, docs: np.ndarray, ids: np.ndarray, terms: list[str], missing: str
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    absent = np.flatnonzero(mask & ~np.isin(np.arange(len(mask)), docs))
    try:
        tid = terms.index(missing)
    except ValueError:
        terms = [*terms, missing]
        tid = len(terms) - 1
    return (
        np.concatenate([docs, absent]),
        np.concatenate([ids, np.full(len(absent), tid, dtype=np.int64)]),
        terms,
    )


def _numeric_pairs(
    ctx: SearchContext, path: str, column: NumericColumn
) -> tuple[np.ndarray, np.ndarray]:
    key = ("agg_numeric_pairs", path)
    cached = ctx.cache.get(key)
    if cached is None:
        docs, vals = column.all_values()
        live = ctx.live[docs]
        cached = ctx.cache[key] = (docs[live].astype(np.int64), vals[live])
    return cached


def value_as_string(mapper: FieldMapper | None, value: float, fmt: str | None) -> str | None:
    """``value_as_string`` / ``key_as_string`` for dates, booleans and formatted numbers."""
    if mapper is not None and mapper.kind == DATE:
        return format_date(int(value), fmt or mapper.params.get("format"))
    if mapper is not None and mapper.kind == BOOLEAN:
        return "true" if value else "false"
    if fmt is not None:
        return format_decimal(value, fmt)
    return None


def numeric_key(mapper: FieldMapper | None, value: Any) -> Any:
    """A bucket key as OpenSearch prints it: longs for integer/date/boolean fields."""
    if mapper is not None and (mapper.kind in (DATE, BOOLEAN) or mapper.is_integer):
        return int(value)
    return float(value)
