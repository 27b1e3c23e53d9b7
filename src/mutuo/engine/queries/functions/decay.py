"""Decay functions ``gauss``, ``exp``, ``linear`` on numeric, date and geo_point fields.

``x = max(0, |value - origin| - offset)`` (geo: the ARC distance in metres; dates in
milliseconds), combined over a multi-valued field's values by ``multi_value_mode``
(min, max, avg, sum); a document without the field has ``x = 0`` (score 1). The scale
is pre-processed as OpenSearch does (gauss: ``0.5 * scale^2 / ln(decay)``, exp:
``ln(decay) / scale``, linear: ``scale / (1 - decay)``) so the double arithmetic, and
the explanation text, are OpenSearch's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import geo
from ...columns import GeoColumn, NumericColumn
from ...dates import parse_time_value
from ...errors import IllegalArgumentError, OpenSearchError, ParsingError, QueryShardError
from ...explanation import Explanation, java_double_str
from ...fields import DATE, GEO_POINT, NUMBER
from ...search_context import SearchContext
from ..geo_distance import request_meters
from . import ScoreFunction, register_function

_MODES = ("min", "max", "avg", "sum")


class Decay(ScoreFunction):
    def __init__(self, field: str, params: dict[str, Any], mode: str) -> None:
        super().__init__()
        self.field = field
        self.params = params
        self.mode = mode

    @classmethod
    def parse(cls, body: Any) -> ScoreFunction:
        if not isinstance(body, dict):
            raise ParsingError(f"[{cls.type_name}] malformed score function")
        mode = str(body.get("multi_value_mode", "min")).lower()
        if mode not in _MODES:
            raise ParsingError(f"Illegal multi_value_mode [{mode}]")
        fields = [k for k in body if k != "multi_value_mode"]
        if len(fields) != 1 or not isinstance(body[fields[0]], dict):
            raise ParsingError(
                f"[{cls.type_name}] requires one field with origin/scale/offset/decay"
            )
        params = body[fields[0]]
        for key in params:
            if key not in ("origin", "scale", "offset", "decay"):
                raise ParsingError(f"parameter [{key}] not supported!")
        return cls(fields[0], params, mode)

    # -- the curve ---------------------------------------------------------------------

    def process_scale(self, scale: float, decay: float) -> float:
        raise NotImplementedError

    def evaluate(self, x: np.ndarray, scale: float) -> np.ndarray:
        raise NotImplementedError

    def describe(self, distance: str, scale: float) -> str:
        raise NotImplementedError

    # -- distances ---------------------------------------------------------------------

    def _setup(self, ctx: SearchContext) -> tuple[str, float, float, Any]:
        """(kind, processed scale, offset, origin) in the field's units."""
        mapper = ctx.mapper(self.field)
        if mapper is None:
            raise QueryShardError(
                f"failed to create query: unknown field [{self.field}]", index=ctx.index.name
            )
        readers = {
            GEO_POINT: self._geo_params,
            DATE: self._date_params,
            NUMBER: self._number_params,
        }
        reader = readers.get(mapper.kind)
        if reader is None:
            raise ParsingError(
                f"field [{self.field}] is of type [{mapper.type}], but only numeric types are supported."
            )
        try:
            kind, origin, scale, offset = reader(ctx, mapper)
        except (ValueError, geo.GeoParseError) as exc:
            raise QueryShardError(f"failed to create query: {exc}", index=ctx.index.name) from None
        decay = float(self.params.get("decay", 0.5))
        if scale <= 0:
            raise IllegalArgumentError("function_score : scale must be > 0.0.")
        if not 0 < decay < 1:
            raise IllegalArgumentError("function_score : decay must be in the range [0..1].")
        if offset < 0:
            raise IllegalArgumentError("function_score : offset must be > 0.0")
        return kind, self.process_scale(scale, decay), float(offset), origin

    def _require(self, names: tuple[str, ...], message: str) -> None:
        if any(name not in self.params for name in names):
            raise OpenSearchError(message, status=400, error_type="parse_exception")

    def _geo_params(self, ctx: SearchContext, mapper: Any) -> tuple[str, Any, float, float]:
        self._require(("origin", "scale"), "[origin] and [scale] must be set for geo fields.")
        origin = geo.parse_point(self.params["origin"])
        scale = geo.parse_distance(self.params["scale"])
        return "geo", origin, scale, geo.parse_distance(self.params.get("offset", "0km"))

    def _date_params(self, ctx: SearchContext, mapper: Any) -> tuple[str, Any, float, float]:
        self._require(("scale",), "[scale] must be set for date fields.")
        origin = (
            ctx.parse_numeric(mapper, self.params["origin"])
            if "origin" in self.params
            else ctx.now_ms
        )
        scale = parse_time_value(self.params["scale"], "DecayFunctionParser.scale")
        offset = parse_time_value(self.params.get("offset", "0d"), "DecayFunctionParser.offset")
        return "date", origin, scale, offset

    def _number_params(self, ctx: SearchContext, mapper: Any) -> tuple[str, Any, float, float]:
        self._require(
            ("origin", "scale"), "both [scale] and [origin] must be set for numeric fields."
        )
        origin, scale = float(self.params["origin"]), float(self.params["scale"])
        return "number", origin, scale, float(self.params.get("offset", 0.0))

    def _distances(self, ctx: SearchContext, ordinals: np.ndarray) -> tuple[np.ndarray, Any]:
        kind, scale, offset, origin = self._setup(ctx)
        mapper = ctx.mapper(self.field)
        assert mapper is not None
        column = ctx.shard.column(mapper.path)
        n = len(ordinals)
        if kind == "geo":
            if not isinstance(column, GeoColumn):
                return np.zeros(n), (kind, scale, offset, origin)
            meters = request_meters(ctx, column, mapper.path, origin[0], origin[1], ordinals)
            has = ~np.isnan(meters)
            dist = np.maximum(0.0, np.where(has, meters, 0.0) - offset)
            multi = _multi_geo(column, ordinals, origin, offset)
        else:
            if not isinstance(column, NumericColumn):
                return np.zeros(n), (kind, scale, offset, origin)
            values = column.values.view()[ordinals].astype(np.float64)
            dist = np.maximum(0.0, np.abs(values - float(origin)) - offset)
            has = column.has.view()[ordinals]
            multi = _multi_numeric(column, ordinals, float(origin), offset)
        dist = np.where(has, dist, 0.0)
        for i, values in multi.items():
            dist[i] = _reduce(values, self.mode)
        return dist, (kind, scale, offset, origin)

    def values(self, ctx: SearchContext, ordinals: np.ndarray) -> np.ndarray:
        dist, (_kind, scale, _offset, _origin) = self._distances(ctx, ordinals)
        return self.evaluate(dist, scale)

    def explain(self, ctx: SearchContext, ordinal: int) -> Explanation:
        dist, (kind, scale, offset, origin) = self._distances(ctx, np.array([ordinal]))
        value = float(self.evaluate(dist, scale)[0])
        text = self.describe(self._distance_string(ctx, ordinal, kind, offset, origin), scale)
        inner = Explanation(float(np.float32(value)), text)
        return Explanation(float(np.float32(value)), f"Function for field {self.field}:", [inner])

    def _distance_string(
        self, ctx: SearchContext, ordinal: int, kind: str, offset: float, origin: Any
    ) -> str:
        mapper = ctx.mapper(self.field)
        assert mapper is not None
        column = ctx.shard.column(mapper.path)
        mode = self.mode.upper()
        if kind == "geo":
            if not isinstance(column, GeoColumn) or np.isnan(column.lat.view()[ordinal]):
                return f"{mode} of: [0.0]"
            lat, lon = column.lat.view()[ordinal], column.lon.view()[ordinal]
            return (
                f"{mode} of: [Math.max(arcDistance({lat}, {lon}(=doc value),{origin[0]}, {origin[1]}(=origin)) - "
                f"{java_double_str(offset)}(=offset), 0)]"
            )
        if not isinstance(column, NumericColumn) or not column.has.view()[ordinal]:
            return f"{mode}[0.0]"
        value = float(column.values.view()[ordinal])
        return (
            f"{mode}[Math.max(Math.abs({java_double_str(value)}(=doc value) - {java_double_str(float(origin))}"
            f"(=origin))) - {java_double_str(offset)}(=offset), 0)]"
        )


def _reduce(values: list[float], mode: str) -> float:
    if mode == "max":
        return max(values)
    if mode == "sum":
        return math.fsum(values)
    if mode == "avg":
        return math.fsum(values) / len(values)
    return min(values)


def _multi_numeric(
    column: NumericColumn, ordinals: np.ndarray, origin: float, offset: float
) -> dict[int, list[float]]:
    if not column.mv_docs.n:
        return {}
    docs = column.mv_docs.view()
    keep = np.isin(docs, ordinals)
    if not keep.any():
        return {}
    position = {o: i for i, o in enumerate(ordinals.tolist())}
    out: dict[int, list[float]] = {}
    dist = np.maximum(
        0.0, np.abs(column.mv_values.view()[keep].astype(np.float64) - origin) - offset
    )
    for doc, d in zip(docs[keep].tolist(), dist.tolist(), strict=True):
        out.setdefault(position[doc], []).append(d)
    return out


def _multi_geo(
    column: GeoColumn, ordinals: np.ndarray, origin: tuple[float, float], offset: float
) -> dict[int, list[float]]:
    if not column.mv_docs.n:
        return {}
    docs = column.mv_docs.view()
    keep = np.isin(docs, ordinals)
    if not keep.any():
        return {}
    position = {o: i for i, o in enumerate(ordinals.tolist())}
    dist = geo.haversin_meters(
        origin[0], origin[1], column.mv_lat.view()[keep], column.mv_lon.view()[keep]
    )
    out: dict[int, list[float]] = {}
    for doc, d in zip(docs[keep].tolist(), np.maximum(0.0, dist - offset).tolist(), strict=True):
        out.setdefault(position[doc], []).append(d)
    return out


@register_function("gauss")
class Gauss(Decay):
    def process_scale(self, scale: float, decay: float) -> float:
        return 0.5 * math.pow(scale, 2.0) / math.log(decay)

    def evaluate(self, x: np.ndarray, scale: float) -> np.ndarray:
        return np.exp(0.5 * np.power(x, 2.0) / scale)

    def describe(self, distance: str, scale: float) -> str:
        return f"exp(-0.5*pow({distance},2.0)/{java_double_str(-1 * scale)}{self.name_arg()})"


@register_function("exp")
class Exponential(Decay):
    def process_scale(self, scale: float, decay: float) -> float:
        return math.log(decay) / scale

    def evaluate(self, x: np.ndarray, scale: float) -> np.ndarray:
        return np.exp(scale * x)

    def describe(self, distance: str, scale: float) -> str:
        return f"exp(- {distance} * {java_double_str(-1 * scale)}{self.name_arg()})"


@register_function("linear")
class Linear(Decay):
    def process_scale(self, scale: float, decay: float) -> float:
        return scale / (1.0 - decay)

    def evaluate(self, x: np.ndarray, scale: float) -> np.ndarray:
        return np.maximum(0.0, (scale - x) / scale)

    def describe(self, distance: str, scale: float) -> str:
        return f"max(0.0, (({java_double_str(scale)} - {distance})/{java_double_str(scale)}{self.name_arg()})"
