"""``sort``: parsing and per-shard sort keys over the columns.

Each sort key becomes, per shard, a vectorised "position" array whose ascending order is
the requested order (``desc`` flips it, missing values are substituted as OpenSearch
does: ``_last``/``_first`` become the type's extreme value for numbers, and null for
keywords). ``search_after`` and the merge of shards live in :mod:`.search_after`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import geo
from .columns import GeoColumn, KeywordColumn, NumericColumn
from .docvalues import (
    MISSING_HIGH,
    MISSING_LOW,
    SORT_TYPES,
    id_ranks,
    keyword_ranks,
    numeric_values,
    sorted_terms,
)
from .errors import IllegalArgumentError, ParsingError, QueryShardError
from .explanation import java_float
from .fields import GEO_POINT, TEXT
from .search_context import SearchContext

_MODES = ("min", "max", "sum", "avg", "median")
_FIELD_KEYS = {"order", "missing", "mode", "unmapped_type", "numeric_type", "format", "nested"}


@dataclass
class SortField:
    field: str
    order: str = "asc"
    missing: Any = "_last"
    mode: str | None = None
    unmapped_type: str | None = None
    points: list[tuple[float, float]] | None = None  # _geo_distance origins
    unit: str = "m"
    plane: bool = False  # _geo_distance distance_type

    @property
    def reverse(self) -> bool:
        return self.order == "desc"


def parse_sort(value: Any) -> list[SortField]:
    """The ``sort`` body value (or the ``sort`` URL parameter split on commas)."""
    items = value if isinstance(value, list) else [value]
    return [_parse_one(item) for item in items]


def parse_sort_param(text: str) -> list[SortField]:
    """``?sort=age:desc,name`` as the REST layer reads it."""
    fields = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, order = part.partition(":")
        fields.append(_parse_one({name: order} if order else name))
    return fields


def _parse_one(item: Any) -> SortField:
    if isinstance(item, str):
        return SortField(item, "desc" if item == "_score" else "asc")
    if not isinstance(item, dict) or len(item) != 1:
        raise ParsingError(
            f"malformed sort format, within the sort array, an object, or an actual string are allowed but found [{item}]"
        )
    ((name, spec),) = item.items()
    if name == "_geo_distance":
        return _parse_geo(spec)
    if name in ("_script",):
        raise ParsingError("[_script] sort is not supported by the embedded engine (no scripts)")
    default_order = "desc" if name == "_score" else "asc"
    if isinstance(spec, str):
        return SortField(name, _order(spec))
    if not isinstance(spec, dict):
        raise ParsingError(f"[{name}] sort options must be an object or a string order")
    for key in spec:
        if key not in _FIELD_KEYS:
            raise ParsingError(f"[field_sort] unknown field [{key}]")
    if "nested" in spec:
        raise ParsingError(
            "[nested] sort is not supported by the embedded engine (no nested fields)"
        )
    mode = spec.get("mode")
    if mode is not None and mode not in _MODES:
        raise IllegalArgumentError(f"Unknown SortMode [{mode}]")
    return SortField(
        name,
        _order(spec.get("order", default_order)),
        spec.get("missing", "_last"),
        mode,
        spec.get("unmapped_type"),
    )


def _order(text: Any) -> str:
    value = str(text).lower()
    if value not in ("asc", "desc"):
        raise IllegalArgumentError(f"Unknown SortOrder [{text}]")
    return value


def _parse_geo(spec: Any) -> SortField:
    if not isinstance(spec, dict):
        raise ParsingError("[_geo_distance] sort must be an object")
    options = {
        "order",
        "unit",
        "mode",
        "distance_type",
        "ignore_unmapped",
        "validation_method",
        "nested",
    }
    fields = [k for k in spec if k not in options]
    if len(fields) != 1:
        raise ParsingError("[_geo_distance] requires exactly one geo_point field")
    name = fields[0]
    raw = spec[name]
    values = raw if isinstance(raw, list) and raw and not geo.is_single_point_array(raw) else [raw]
    try:
        points = [geo.parse_point(v) for v in values]
    except geo.GeoParseError as exc:
        raise ParsingError(str(exc)) from None
    distance_type = str(spec.get("distance_type", "arc")).lower()
    if distance_type not in ("arc", "plane"):
        raise IllegalArgumentError(f"No distance type match [{spec['distance_type']}]")
    unit = str(spec.get("unit", "m"))
    try:
        geo.parse_distance(f"1{unit}")
    except geo.GeoParseError:
        raise IllegalArgumentError(f"No distance unit match [{unit}]") from None
    mode = spec.get("mode")
    if mode is not None and mode not in ("min", "max", "avg", "median"):
        raise IllegalArgumentError(f"Unknown SortMode [{mode}]")
    order = _order(spec.get("order", "asc"))
    return SortField(name, order, "_last", mode, None, points, unit, distance_type == "plane")


# -- per-shard keys ----------------------------------------------------------------------


@dataclass
class ShardKeys:
    """Comparable positions (ascending = requested order) and how to render values."""

    positions: list[np.ndarray]  # per key, aligned with the shard's ordinals
    render: list[Callable[[np.ndarray], list[Any]]]  # per key: ordinal positions -> values


def shard_keys(
    ctx: SearchContext, sort: list[SortField], ordinals: np.ndarray, scores: np.ndarray
) -> ShardKeys:
    positions, renders = [], []
    for spec in sort:
        pos, render = _key(ctx, spec, ordinals, scores)
        positions.append(pos)
        renders.append(render)
    return ShardKeys(positions, renders)


def _key(
    ctx: SearchContext, spec: SortField, ordinals: np.ndarray, scores: np.ndarray
) -> tuple[np.ndarray, Callable[[np.ndarray], list[Any]]]:
    if spec.field == "_score":
        values = scores.astype(np.float64)
        return directed(values, spec.reverse), lambda idx: [java_float(v) for v in scores[idx]]
    if spec.field == "_doc":
        values = ordinals.astype(np.int64)
        return directed(values, spec.reverse), lambda idx: ordinals[idx].tolist()
    if spec.field == "_id":
        rank, _sorted_ids = id_ranks(ctx)
        doubled = rank[ordinals] * 2 + 1
        return directed(doubled, spec.reverse), lambda idx: [
            ctx.shard.ids[o] for o in ordinals[idx].tolist()
        ]
    if spec.points is not None:
        return _geo_key(ctx, spec, ordinals)
    mapper = ctx.mapper(spec.field)
    if mapper is None:
        if spec.unmapped_type is None:
            raise QueryShardError(
                f"No mapping found for [{spec.field}] in order to sort on", index=ctx.index.name
            )
        return _missing_key(spec, ordinals)
    if mapper.kind == TEXT:
        raise IllegalArgumentError(
            f"Text fields are not optimised for operations that require per-document field data "
            f"like aggregations and sorting, so these operations are disabled by default. Please "
            f"use a keyword field instead. Alternatively, set fielddata=true on [{spec.field}] in "
            "order to load field data by uninverting the inverted index. Note that this can use "
            "significant memory."
        )
    if mapper.kind == GEO_POINT:
        raise IllegalArgumentError(
            "can't sort on geo_point field without using specific sorting feature, like geo_distance"
        )
    column = ctx.shard.column(mapper.path)
    if column is None:
        return _missing_key(spec, ordinals)
    if isinstance(column, KeywordColumn):
        return _keyword_key(ctx, spec, mapper.path, ordinals)
    if isinstance(column, NumericColumn):
        return _numeric_key(ctx, spec, mapper.path, mapper.type, ordinals)
    raise IllegalArgumentError(
        f"Sorting on field [{spec.field}] of type [{mapper.type}] is not supported"
    )


def sort_double(value: float) -> float | str:
    """Non-finite sort values print as Jackson writes them: ``"Infinity"``, ``"-Infinity"``."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def directed(values: np.ndarray, reverse: bool) -> np.ndarray:
    if not reverse:
        return values
    if values.dtype.kind in "iu":
        return ~values  # order-reversing without overflow
    return -values


def _missing_key(
    spec: SortField, ordinals: np.ndarray
) -> tuple[np.ndarray, Callable[[np.ndarray], list[Any]]]:
    positions = np.zeros(len(ordinals), dtype=np.int64)
    return positions, lambda idx: [None] * len(idx)


def _numeric_key(
    ctx: SearchContext, spec: SortField, path: str, ftype: str, ordinals: np.ndarray
) -> tuple[np.ndarray, Callable[[np.ndarray], list[Any]]]:
    sort_type = SORT_TYPES.get(ftype, "double")
    mode = spec.mode or ("max" if spec.reverse else "min")
    values, has = numeric_values(ctx, path, mode)
    floating = sort_type in ("float", "double") or mode in ("avg", "median")
    vals = values[ordinals].astype(np.float64 if floating else int_dtype(sort_type))
    missing = missing_value(ctx, spec, path, sort_type)
    absent = ~has[ordinals]
    if absent.any():
        vals = vals.copy()
        vals[absent] = missing
    positions = directed(vals, spec.reverse)
    java_floats = sort_type == "float" and mode not in ("avg", "median")

    def render(idx: np.ndarray) -> list[Any]:
        if java_floats:
            return [sort_double(java_float(v)) for v in vals[idx]]
        if floating:
            return [sort_double(float(v)) for v in vals[idx]]
        return [int(v) for v in vals[idx]]

    return positions, render


def int_dtype(sort_type: str) -> type:
    return np.uint64 if sort_type == "unsigned" else np.int64


def missing_value(ctx: SearchContext, spec: SortField, path: str, sort_type: str) -> Any:
    """The value a document without the field sorts (and prints) as."""
    if spec.missing in ("_last", "_first", None):
        low = (spec.missing == "_first") != spec.reverse
        return (MISSING_LOW if low else MISSING_HIGH)[sort_type]
    mapper = ctx.mapper(spec.field)
    assert mapper is not None
    value = ctx.parse_numeric(mapper, spec.missing)
    return float(value) if sort_type in ("float", "double") else int(value)


def _keyword_key(
    ctx: SearchContext, spec: SortField, path: str, ordinals: np.ndarray
) -> tuple[np.ndarray, Callable[[np.ndarray], list[Any]]]:
    if spec.mode in ("sum", "avg", "median"):
        raise IllegalArgumentError(
            f"Sort mode [{spec.mode}] is not supported on non-numeric field [{spec.field}]"
        )
    lo, hi = keyword_ranks(ctx, path)
    use_max = spec.mode == "max" or (spec.mode is None and spec.reverse)
    ranks = (hi if use_max else lo)[ordinals]
    terms = sorted_terms(ctx, path)
    # half-ranks: 2*rank+1 for a term, so values between terms (search_after) fit in
    doubled = ranks.astype(np.int64) * 2 + 1
    absent = ranks < 0
    custom = spec.missing not in ("_last", "_first", None)
    if custom:
        doubled[absent] = half_rank(terms, str(spec.missing))
    else:
        low = (spec.missing == "_first") != spec.reverse
        doubled[absent] = -1 if low else 2 * len(terms) + 2
    positions = directed(doubled, spec.reverse)

    def render(idx: np.ndarray) -> list[Any]:
        out: list[Any] = []
        for r, gone in zip(ranks[idx].tolist(), absent[idx].tolist(), strict=True):
            out.append((str(spec.missing) if custom else None) if gone else terms[r])
        return out

    return positions, render


def half_rank(terms: list[str], value: str) -> int:
    """Where ``value`` falls among the sorted terms, in half-rank units."""
    pos = _bisect(terms, value)
    if pos < len(terms) and terms[pos] == value:
        return 2 * pos + 1
    return 2 * pos


def _bisect(terms: list[str], value: str) -> int:
    return bisect.bisect_left(terms, value)


def _geo_key(
    ctx: SearchContext, spec: SortField, ordinals: np.ndarray
) -> tuple[np.ndarray, Callable[[np.ndarray], list[Any]]]:
    mapper = ctx.mapper(spec.field)
    column = ctx.shard.column(mapper.path) if mapper is not None else None
    if mapper is None or mapper.kind != GEO_POINT:
        raise QueryShardError(
            f"failed to find mapper for [{spec.field}] for geo distance based sort",
            index=ctx.index.name,
        )
    assert spec.points is not None
    unit_m = geo.parse_distance(f"1{spec.unit}")
    if not isinstance(column, GeoColumn):
        dist = np.full(len(ordinals), np.inf)
    else:
        dist = geo_distances(
            column,
            spec.points,
            ordinals,
            spec.mode or ("max" if spec.reverse else "min"),
            spec.plane,
        )
    dist = dist / unit_m
    dist[np.isnan(dist)] = np.inf
    return directed(dist, spec.reverse), lambda idx: [sort_double(float(v)) for v in dist[idx]]


def geo_distances(
    column: GeoColumn,
    points: list[tuple[float, float]],
    ordinals: np.ndarray,
    mode: str,
    plane: bool = False,
) -> np.ndarray:
    """Distance (m, arc or plane) of each ordinal's point(s) to the nearest/farthest origin."""
    measure = geo.plane_meters if plane else geo.haversin_meters
    lat, lon = column.lat.view()[ordinals], column.lon.view()[ordinals]
    per_point = [measure(p[0], p[1], lat, lon) for p in points]
    dist = np.min(per_point, axis=0) if mode != "max" else np.max(per_point, axis=0)
    if column.mv_docs.n:
        docs = column.mv_docs.view()
        keep = np.isin(docs, ordinals)
        if keep.any():
            where = {o: i for i, o in enumerate(ordinals.tolist())}
            mv_lat, mv_lon = column.mv_lat.view()[keep], column.mv_lon.view()[keep]
            mv = np.min([measure(p[0], p[1], mv_lat, mv_lon) for p in points], axis=0)
            for ordinal, d in zip(docs[keep].tolist(), mv.tolist(), strict=True):
                i = where[ordinal]
                dist[i] = max(dist[i], d) if mode == "max" else min(dist[i], d)
    return dist
