"""``geo_bounding_box``: documents with a point inside a latitude/longitude box.

Corners as ``top_left``/``bottom_right`` (or the other pair), ``top``/``left``/
``bottom``/``right`` or ``wkt: BBOX(left, right, top, bottom)``; a box whose left edge
is east of its right edge crosses the dateline. Scores a constant (the boost).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from .. import geo
from ..columns import GeoColumn
from ..errors import ParsingError, QueryShardError
from ..explanation import Explanation
from ..fields import GEO_POINT
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register
from .term import constant_explanation

_OPTIONS = {"validation_method", "ignore_unmapped", "type"}
_BBOX = re.compile(r"^\s*BBOX\s*\(\s*([^,]+),([^,]+),([^,]+),([^)]+)\)\s*$", re.I)


@register("geo_bounding_box")
class GeoBoundingBox(Query):
    cost = 2

    def __init__(self, field: str, top: float, left: float, bottom: float, right: float) -> None:
        self.field = field
        self.top, self.left, self.bottom, self.right = top, left, bottom, right
        self.ignore_unmapped = False

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[geo_bbox] query malformed, no start_object after query name")
        fields = [k for k in body if k not in _OPTIONS and k not in ("boost", "_name")]
        if len(fields) != 1:
            raise ParsingError("[geo_bbox] requires exactly one geo_point field")
        field = fields[0]
        try:
            top, left, bottom, right = _corners(body[field])
        except (geo.GeoParseError, KeyError, TypeError, ValueError) as exc:
            raise ParsingError(f"failed to parse [geo_bbox] corners: {exc}") from None
        if top < bottom:
            raise ParsingError(f"top is below bottom corner: {top} vs. {bottom}")
        query = cls(field, top, left, bottom, right)
        parse_common(query, body, set(_OPTIONS) | {field}, "geo_bbox")
        query.ignore_unmapped = bool(body.get("ignore_unmapped", False))
        return query

    def filter_key(self, ctx: SearchContext) -> Any:
        return self.body_filter_key()

    def _inside(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        in_lat = (lat >= self.bottom) & (lat <= self.top)
        if self.left <= self.right:
            return in_lat & (lon >= self.left) & (lon <= self.right)
        return in_lat & ((lon >= self.left) | (lon <= self.right))

    def mask(self, ctx: SearchContext) -> np.ndarray:
        mapper = ctx.mapper(self.field)
        if mapper is None or mapper.kind != GEO_POINT:
            if mapper is None and self.ignore_unmapped:
                return ctx.none().mask
            raise QueryShardError(
                f"failed to find geo_point field [{self.field}]"
                if mapper is None
                else f"field [{self.field}] is not a geo_point field",
                index=ctx.index.name,
            )
        column = ctx.shard.column(mapper.path)
        if not isinstance(column, GeoColumn):
            return ctx.none().mask
        out = self._inside(column.lat.view(), column.lon.view())
        if column.mv_docs.n:
            near = self._inside(column.mv_lat.view(), column.mv_lon.view())
            out[column.mv_docs.view()[near]] = True
        return out

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        return Matches(self.mask(ctx) & ctx.live, None, 1.0)

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if not (self.mask(ctx) & ctx.live)[ordinal]:
            return Explanation.no_match(f"{self.lucene_string()} doesn't match id {ordinal}")
        return constant_explanation(self.lucene_string(), boost)

    def lucene_string(self) -> str:
        return f"{self.field}:[{self.bottom},{self.left} TO {self.top},{self.right}]"


def _corners(spec: Any) -> tuple[float, float, float, float]:
    if not isinstance(spec, dict):
        raise ValueError("expected an object")
    if "wkt" in spec:
        m = _BBOX.match(str(spec["wkt"]))
        if m is None:
            raise ValueError(f"expected BBOX(left, right, top, bottom), found [{spec['wkt']}]")
        left, right, top, bottom = (float(v) for v in m.groups())
        return top, left, bottom, right
    if "top_left" in spec or "bottom_right" in spec:
        tl = geo.parse_point(spec["top_left"])
        br = geo.parse_point(spec["bottom_right"])
        return tl[0], tl[1], br[0], br[1]
    if "top_right" in spec or "bottom_left" in spec:
        tr = geo.parse_point(spec["top_right"])
        bl = geo.parse_point(spec["bottom_left"])
        return tr[0], bl[1], bl[0], tr[1]
    return float(spec["top"]), float(spec["left"]), float(spec["bottom"]), float(spec["right"])
