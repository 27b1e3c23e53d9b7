"""``geo_distance``: documents with a point within ``distance`` of an origin (arc).

Only the documents still in play (inside a ``bool``: those the other clauses kept) are
looked at; a latitude/longitude bounding box of the circle cheaply discards most of
them, and the arc distance (Lucene's sloppy haversine on quantised points, as
OpenSearch measures it) decides for the rest. Scores a constant (the boost).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import geo
from ..columns import GeoColumn
from ..docvalues import point_meters
from ..errors import ParsingError, QueryShardError
from ..explanation import Explanation
from ..fields import GEO_POINT
from ..search_context import SearchContext
from . import Matches, Query, parse_common, register
from .term import constant_explanation

_OPTIONS = {
    "distance",
    "distance_type",
    "validation_method",
    "ignore_unmapped",
    "unit",
    "optimize_bbox",
}


@register("geo_distance")
class GeoDistance(Query):
    frozen = True
    cost = 3

    def __init__(self, field: str, lat: float, lon: float, meters: float) -> None:
        self.field = field
        self.lat = lat
        self.lon = lon
        self.meters = meters
        self.ignore_unmapped = False

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[geo_distance] query malformed, no start_object after query name")
        fields = [k for k in body if k not in _OPTIONS and k not in ("boost", "_name")]
        if len(fields) != 1:
            raise ParsingError(
                "[geo_distance] requires exactly one geo_point field"
                if not fields
                else f"[geo_distance] query doesn't support multiple fields, found [{fields[0]}] and [{fields[1]}]"
            )
        if "distance" not in body:
            raise ParsingError("geo_distance requires 'distance' to be specified")
        field = fields[0]
        validate = str(body.get("validation_method", "STRICT")).upper() == "STRICT"
        try:
            lat, lon = geo.parse_point(body[field], validate=validate)
            unit = str(body.get("unit", "m"))
            meters = geo.parse_distance(body["distance"], unit)
        except geo.GeoParseError as exc:
            raise ParsingError(str(exc)) from None
        if meters <= 0:
            raise ParsingError(f"[distance] must be greater than 0, found [{body['distance']}]")
        distance_type = str(body.get("distance_type", "arc")).lower()
        if distance_type not in ("arc", "plane"):
            raise ParsingError(f"No distance type match [{distance_type}]")
        query = cls(field, lat, lon, meters)
        parse_common(query, body, set(_OPTIONS) | {field}, "geo_distance")
        query.ignore_unmapped = bool(body.get("ignore_unmapped", False))
        return query

    def filter_key(self, ctx: SearchContext) -> Any:
        return self.body_filter_key()

    def column(self, ctx: SearchContext) -> GeoColumn | None:
        mapper = ctx.mapper(self.field)
        if mapper is None or mapper.kind != GEO_POINT:
            if mapper is None and self.ignore_unmapped:
                return None
            if mapper is None:
                raise QueryShardError(
                    f"failed to find geo field [{self.field}]", index=ctx.index.name
                )
            raise QueryShardError(
                f"field [{self.field}] is not a geo_point field", index=ctx.index.name
            )
        column = ctx.shard.column(mapper.path)
        return column if isinstance(column, GeoColumn) else None

    def mask(self, ctx: SearchContext) -> np.ndarray:
        """The live documents within the distance (of the domain's, when there is one)."""
        column = self.column(ctx)
        out = np.zeros(ctx.maxdoc, dtype=bool)
        if column is None:
            return out
        ords = _live_domain_ordinals(ctx)
        out[ords[self._first_points_within(ctx, column, ords)]] = True
        if column.mv_docs.n:
            others = self._other_points_within(column)
            out[others[ctx.live[others]]] = True
        return out

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        """:meth:`mask` for ``ordinals``: distances of those documents only."""
        column = self.column(ctx)
        found = np.zeros(len(ordinals), dtype=bool)
        if column is not None:
            live = ctx.live[ordinals]
            found[live] = self._first_points_within(ctx, column, ordinals[live])
            if column.mv_docs.n:
                found |= np.isin(ordinals, self._other_points_within(column))
        matches = Matches(found & ctx.live[ordinals], None, 1.0)
        return matches.boosted(boost) if scoring else matches

    def _first_points_within(
        self, ctx: SearchContext, column: GeoColumn, ords: np.ndarray
    ) -> np.ndarray:
        """Whether each of ``ords``' first point lies within the distance: inside a
        bounding box of the circle and within the arc distance. Distances this request
        already computed for the origin (a larger radius asked first) are read back, so
        the box is only read for the documents the arc keeps; for the others it picks
        the documents worth an arc distance (it discards most)."""
        meters = self._known(ctx).take(ords)
        unknown = np.flatnonzero(np.isnan(meters))
        if len(unknown):
            rows = ords[unknown]
            near = unknown[self._in_box(column.lat.view()[rows], column.lon.view()[rows])]
            if len(near):
                meters[near] = self._meters(ctx, column, ords[near])
        within = meters <= self.meters
        kept = np.flatnonzero(within)
        if len(kept):
            rows = ords[kept]
            within[kept] = self._in_box(column.lat.view()[rows], column.lon.view()[rows])
        return within

    def _known(self, ctx: SearchContext) -> np.ndarray:
        """This request's distances from the origin by ordinal (NaN: not computed)."""
        return known_meters(ctx, self.field_path(ctx), self.lat, self.lon)

    def _meters(self, ctx: SearchContext, column: GeoColumn, rows: np.ndarray) -> np.ndarray:
        """Distances of ``rows``' first points from the origin, each computed once per
        request: the hard filter asks one origin a dozen radii (the viewer's own limit,
        then each member's distance step) about the documents the first one kept."""
        return request_meters(ctx, column, self.field_path(ctx), self.lat, self.lon, rows)

    def _other_points_within(self, column: GeoColumn) -> np.ndarray:
        """Documents with a further point (multi-valued) within the distance."""
        mv_lat, mv_lon = column.mv_lat.view(), column.mv_lon.view()
        near_mv = geo.haversin_meters(self.lat, self.lon, mv_lat, mv_lon) <= self.meters
        return column.mv_docs.view()[near_mv]

    def field_path(self, ctx: SearchContext) -> str:
        mapper = ctx.mapper(self.field)
        assert mapper is not None
        return mapper.path

    def _in_box(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """A box containing the circle (a superset: the arc test decides)."""
        dlat = math.degrees(self.meters / geo.EARTH_MEAN_RADIUS) * 1.0001
        low, high = self.lat - dlat, self.lat + dlat
        if low <= -90 or high >= 90:
            return ~np.isnan(lat)
        dlon = (
            math.degrees(
                math.asin(
                    min(
                        1.0,
                        math.sin(math.radians(dlat))
                        / max(math.cos(math.radians(max(abs(low), abs(high)))), 1e-12),
                    )
                )
            )
            * 1.0001
        )
        box = (lat >= low) & (lat <= high)
        west, east = self.lon - dlon, self.lon + dlon
        if west < -180 or east > 180:
            return box & ((lon >= _wrap(west)) | (lon <= _wrap(east)))
        return box & (lon >= west) & (lon <= east)

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        return Matches(self.mask(ctx), None, 1.0)

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        if not self.mask(ctx)[ordinal]:
            return Explanation.no_match(f"{self.lucene_string()} doesn't match id {ordinal}")
        return constant_explanation(self.lucene_string(), boost)

    def lucene_string(self) -> str:
        return f"{self.field}:{self.field} latitude={self.lat} longitude={self.lon} distance={self.meters}"


def known_meters(ctx: SearchContext, path: str, lat: float, lon: float) -> np.ndarray:
    """This request's distances of first points from (lat, lon), by ordinal (NaN: not
    computed yet)."""
    return ctx.ordinal_memo(_memo_key(path, lat, lon))


def request_meters(
    ctx: SearchContext, column: GeoColumn, path: str, lat: float, lon: float, rows: np.ndarray
) -> np.ndarray:
    """Distances of ``rows``' first points from (lat, lon), each computed once per request
    for every query that asks about that origin: the hard filter's clauses around the
    viewer, then the LTR ``proximity`` decay over the rescore window (whose documents
    the filter measured already). A distance is elementwise
    (:func:`..docvalues.point_meters`), so one read back is the one computed again."""
    return ctx.per_ordinal(
        _memo_key(path, lat, lon),
        rows,
        lambda fresh: point_meters(ctx, column, path, lat, lon, fresh),
    )


def _memo_key(path: str, lat: float, lon: float) -> tuple[str, str, float, float]:
    return ("geo_distance_meters", path, lat, lon)


def _live_domain_ordinals(ctx: SearchContext) -> np.ndarray:
    """The live ordinals of ``ctx.domain`` (all live ones without one), ascending: the
    domain is read once and liveness only for its documents (a hard filter asks a dozen
    distances, each about the few documents its ``bool`` left in play)."""
    domain = ctx.domain
    if domain is None:
        return np.flatnonzero(ctx.live)
    ords = np.flatnonzero(domain) if domain.dtype == np.bool_ else np.unique(domain)
    return ords[ctx.live[ords]]


def _wrap(lon: float) -> float:
    return ((lon + 180) % 360) - 180
