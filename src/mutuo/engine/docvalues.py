"""Per-document values from the columns: sort keys, ``docvalue_fields``, aggregations.

Columns keep the minimum and maximum value of each document (and every value of
multi-valued ones); the other ``mode``s (sum, avg, median) are derived here with
vectorised group operations and cached per refresh generation.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from .columns import GeoColumn, KeywordColumn, NumericColumn
from .geo import PreparedPoints
from .search_context import SearchContext

# The Java type a numeric field sorts (and prints its sort values) as.
SORT_TYPES = {
    "integer": "int",
    "short": "int",
    "byte": "int",
    "boolean": "int",
    "long": "long",
    "unsigned_long": "unsigned",
    "date": "long",
    "date_nanos": "long",
    "float": "float",
    "half_float": "double",
    "double": "double",
    "scaled_float": "double",
}
MISSING_LOW = {
    "unsigned": 0,
    "int": -(2**31),
    "long": -(2**63),
    "float": float("-inf"),
    "double": float("-inf"),
}
MISSING_HIGH = {
    "unsigned": 2**64 - 1,
    "int": 2**31 - 1,
    "long": 2**63 - 1,
    "float": float("inf"),
    "double": float("inf"),
}


def numeric_values(ctx: SearchContext, path: str, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """(value per ordinal under ``mode``, has-value mask) of a numeric column."""
    key = ("numeric_mode", path, mode)
    cached = ctx.cache.get(key)
    if cached is not None:
        return cached
    column = ctx.shard.column(path)
    assert isinstance(column, NumericColumn)
    has = column.has.view()
    if mode == "min":
        result = (column.values.view(), has)
    elif mode == "max":
        result = (column.max_values.view(), has)
    else:
        result = (_reduce_multi(column, mode), has)
    ctx.cache[key] = result
    return result


def _reduce_multi(column: NumericColumn, mode: str) -> np.ndarray:
    values = column.values.view().astype(np.float64)
    if not column.mv_docs.n:
        return values
    docs = column.mv_docs.view()
    vals = column.mv_values.view().astype(np.float64)
    order = np.lexsort((vals, docs))
    docs, vals = docs[order], vals[order]
    starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
    counts = np.diff(np.r_[starts, len(docs)])
    owners = docs[starts]
    sums = np.add.reduceat(vals, starts)
    if mode == "sum":
        values[owners] = sums
    elif mode == "avg":
        values[owners] = sums / counts
    elif mode == "median":
        lo = starts + (counts - 1) // 2
        hi = starts + counts // 2
        values[owners] = (vals[lo] + vals[hi]) / 2
    else:
        raise ValueError(f"unknown mode [{mode}]")
    return values


def keyword_ranks(ctx: SearchContext, path: str) -> tuple[np.ndarray, np.ndarray]:
    """(min rank, max rank) of each document's terms in byte order; -1 where missing."""
    key = ("keyword_ranks", path)
    cached = ctx.cache.get(key)
    if cached is None:
        column = ctx.shard.column(path)
        assert isinstance(column, KeywordColumn)
        cached = ctx.cache[key] = column.rank_columns()
    return cached


def sorted_terms(ctx: SearchContext, path: str) -> list[str]:
    """A keyword column's terms in byte (rank) order."""
    column = ctx.shard.column(path)
    assert isinstance(column, KeywordColumn)
    order, _rank = column.sorted_order()
    terms = column.terms
    return [terms[i] for i in order.tolist()]


def doc_numeric_values(column: NumericColumn, ordinals: list[int]) -> dict[int, list[Any]]:
    """Every value of each ordinal, ascending (multi-valued documents included)."""
    has = column.has.view()
    lo, hi = column.values.view(), column.max_values.view()
    out: dict[int, list[Any]] = {}
    multi: list[int] = []
    for ordinal in ordinals:
        if not has[ordinal]:
            out[ordinal] = []
        elif lo[ordinal] == hi[ordinal]:
            out[ordinal] = [lo[ordinal].item()]
        else:
            multi.append(ordinal)
    if multi:
        docs = column.mv_docs.view()
        keep = np.isin(docs, multi)
        for ordinal, value in zip(
            docs[keep].tolist(), column.mv_values.view()[keep].tolist(), strict=True
        ):
            out.setdefault(ordinal, []).append(value)
        for ordinal in multi:
            out[ordinal].sort()
    return out


def doc_keyword_values(column: KeywordColumn, ordinals: list[int]) -> dict[int, list[str]]:
    """The distinct terms of each ordinal in byte order."""
    _order, rank = column.sorted_order()
    terms = column.terms
    out = {}
    for ordinal in ordinals:
        ids = column.doc_terms(ordinal)
        out[ordinal] = [terms[i] for i in sorted(ids, key=lambda t: rank[t])]
    return out


def id_ranks(ctx: SearchContext) -> tuple[np.ndarray, list[str]]:
    """(rank of each ordinal's ``_id`` in byte order, the ids sorted), per generation."""
    cached = ctx.cache.get("id_ranks")
    if cached is None:
        ids = np.array(ctx.shard.ids, dtype=str) if ctx.shard.ids else np.empty(0, dtype=str)
        order = np.argsort(ids, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        cached = ctx.cache["id_ranks"] = (rank, ids[order].tolist())
    return cached


def prepared_points(ctx: SearchContext, column: GeoColumn, path: str) -> PreparedPoints:
    """A geo column's first points with their haversine terms, per refresh generation."""
    key = ("geo_points", path)
    cached = ctx.cache.get(key)
    if cached is None:
        cached = ctx.cache[key] = PreparedPoints(column.lat.view(), column.lon.view())
    return cached


GEO_METER_POINTS = 8  # origins whose distances a generation keeps (an array of maxdoc each)


def point_meters(
    ctx: SearchContext, column: GeoColumn, path: str, lat: float, lon: float, rows: np.ndarray
) -> np.ndarray:
    """Distances from (lat, lon) to the first points of ``rows``, per refresh generation.

    A request asks one origin many radii (a "within both limits" filter is a dozen
    ``geo_distance`` clauses around the viewer), each usually for the few documents its
    ``bool`` left in play. Distances are computed for those rows until the rows asked
    about an origin add up to the shard's size; from then on every document's distance
    is kept and indexed (the cost of both is then within a factor of two of the better
    one). Distances are elementwise, so a row's value is the same whichever rows are
    computed with it.
    """
    points = prepared_points(ctx, column, path)
    seen: OrderedDict[Any, np.ndarray | int] = ctx.cache.setdefault(
        ("geo_meters", path), OrderedDict()
    )
    key = (lat, lon)
    asked = seen.get(key, 0)
    if key in seen:
        seen.move_to_end(key)
    if isinstance(asked, np.ndarray):
        return asked[rows]
    asked += len(rows)
    if asked <= len(points.present):
        seen[key] = asked
        meters = points.meters(lat, lon, rows)
    else:
        seen[key] = every = points.meters(lat, lon)
        every.flags.writeable = False
        meters = every[rows]
    while len(seen) > GEO_METER_POINTS:
        seen.popitem(last=False)
    return meters
