"""Geo points and distances as OpenSearch reads and computes them."""

from __future__ import annotations

import re

import numpy as np

# OpenSearch's GeoUtils.EARTH_MEAN_RADIUS (metres), used by arc distance.
EARTH_MEAN_RADIUS = 6_371_008.7714

_GEOHASH_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"
_WKT_POINT = re.compile(r"^\s*POINT\s*\(\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\)\s*$", re.I)

_DISTANCE_UNITS = {
    "mi": 1609.344,
    "miles": 1609.344,
    "yd": 0.9144,
    "yards": 0.9144,
    "ft": 0.3048,
    "feet": 0.3048,
    "in": 0.0254,
    "inch": 0.0254,
    "km": 1000.0,
    "kilometers": 1000.0,
    "m": 1.0,
    "meters": 1.0,
    "cm": 0.01,
    "centimeters": 0.01,
    "mm": 0.001,
    "millimeters": 0.001,
    "nmi": 1852.0,
    "NM": 1852.0,
    "nauticalmiles": 1852.0,
}


class GeoParseError(ValueError):
    pass


def decode_geohash(text: str) -> tuple[float, float]:
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    even = True
    for ch in text:
        idx = _GEOHASH_ALPHABET.find(ch.lower())
        if idx < 0:
            raise GeoParseError(f"unsupported symbol [{ch}] in geohash [{text}]")
        for bit in (16, 8, 4, 2, 1):
            if even:
                mid = (lon_lo + lon_hi) / 2
                if idx & bit:
                    lon_lo = mid
                else:
                    lon_hi = mid
            else:
                mid = (lat_lo + lat_hi) / 2
                if idx & bit:
                    lat_lo = mid
                else:
                    lat_hi = mid
            even = not even
    return (lat_lo + lat_hi) / 2, (lon_lo + lon_hi) / 2


def parse_point(value: object, validate: bool = True) -> tuple[float, float]:
    """(lat, lon) from any form OpenSearch accepts for a geo_point.

    Forms: ``{"lat": .., "lon": ..}``, ``"lat,lon"``, a geohash, ``[lon, lat]``,
    ``"POINT (lon lat)"`` and GeoJSON ``{"type": "Point", "coordinates": [lon, lat]}``.
    """
    lat: float
    lon: float
    if isinstance(value, dict):
        if "lat" in value and "lon" in value:
            lat, lon = _num(value["lat"], "lat"), _num(value["lon"], "lon")
        elif str(value.get("type", "")).lower() == "point" and "coordinates" in value:
            coords = value["coordinates"]
            if not isinstance(coords, list) or len(coords) < 2:
                raise GeoParseError("geojson point must have [coordinates] with two values")
            lon, lat = _num(coords[0], "lon"), _num(coords[1], "lat")
        else:
            raise GeoParseError(
                "field [lat] missing" if "lat" not in value else "field [lon] missing"
            )
    elif isinstance(value, list | tuple):
        if len(value) < 2 or len(value) > 3:
            raise GeoParseError("[geo_point] field type does not accept > 3 dimensions")
        lon, lat = _num(value[0], "lon"), _num(value[1], "lat")
    elif isinstance(value, str):
        m = _WKT_POINT.match(value)
        if m:
            lon, lat = float(m.group(1)), float(m.group(2))
        elif "," in value:
            parts = value.split(",")
            if len(parts) not in (2, 3):
                raise GeoParseError(f"failed to parse [{value}] as a geo point")
            lat, lon = _num(parts[0].strip(), "lat"), _num(parts[1].strip(), "lon")
        else:
            lat, lon = decode_geohash(value.strip())
    else:
        raise GeoParseError(f"geo_point expected, found [{value!r}]")
    if validate:
        if not -90.0 <= lat <= 90.0:
            raise GeoParseError(f"illegal latitude value [{lat}] for [geo_point]")
        if not -180.0 <= lon <= 180.0:
            raise GeoParseError(f"illegal longitude value [{lon}] for [geo_point]")
    return lat, lon


def _num(value: object, name: str) -> float:
    if isinstance(value, bool):
        raise GeoParseError(f"[{name}] must be a number")
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise GeoParseError(f"[{name}] must be a number, found [{value}]") from None


def is_single_point_array(value: list[object]) -> bool:
    """``[lon, lat]`` (numbers) is one point; a list of points is several."""
    return 2 <= len(value) <= 3 and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    )


_DISTANCE = re.compile(r"(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)")


def parse_distance(value: object, default_unit: str = "m") -> float:
    """``"10km"``, ``"500m"``, ``12`` (default unit) -> metres."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) * _DISTANCE_UNITS[default_unit]
    text = str(value).strip()
    m = _DISTANCE.fullmatch(text)
    if m is None:
        raise GeoParseError(f"failed to parse distance [{text}]")
    unit = m.group(2) or default_unit
    factor = _DISTANCE_UNITS.get(unit, _DISTANCE_UNITS.get(unit.lower()))
    if factor is None:
        raise GeoParseError(f"unknown distance unit [{unit}] in [{text}]")
    return float(m.group(1)) * factor


def arc_distance(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle (haversine) distance in metres from one point to many, as ARC does."""
    lat1 = np.radians(lat)
    lat2 = np.radians(lats)
    dlat = lat2 - lat1
    dlon = np.radians(lons - lon)
    h = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


# -- Lucene's sloppy haversine (what OpenSearch's ARC distance computes) ------------------
#
# OpenSearch measures arc distances with Lucene's SloppyMath.haversinMeters on points
# quantised to 32-bit integers (GeoEncodingUtils), using table-based cos/asin. The same
# arithmetic is reproduced here, vectorised, so that distance-based scores (decay
# functions) and sort values match OpenSearch's to the printed digit.


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _bits(value: int) -> float:
    return float(np.array([_signed(value)], dtype=np.int64).view(np.float64)[0])


_LAT_DECODE = 1 / ((1 << 32) / 180.0)
_LON_DECODE = 1 / ((1 << 32) / 360.0)
_PIO2_HI = _bits(0x3FF921FB54400000)
_PIO2_LO = _bits(0x3DD0B4611A626331)
_SC_SIZE = (1 << 11) + 1
_SC_DELTA_HI = 4 * _PIO2_HI / (_SC_SIZE - 1)
_SC_DELTA_LO = 4 * _PIO2_LO / (_SC_SIZE - 1)
_SC_INDEXER = 1 / (_SC_DELTA_HI + _SC_DELTA_LO)
_SC_MAX = ((2**31 - 1) >> 9) / _SC_INDEXER * 0.99


def _sin_cos_tables() -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(_SC_SIZE, dtype=np.float64)
    angle = i * _SC_DELTA_HI + i * _SC_DELTA_LO
    sin, cos = np.sin(angle), np.cos(angle)
    pi_index = (_SC_SIZE - 1) // 2
    sin[pi_index] = sin[2 * pi_index] = 0.0
    cos[pi_index // 2] = cos[3 * pi_index // 2] = 0.0
    return sin, cos


_SIN_TAB, _COS_TAB = _sin_cos_tables()
_ASIN_MAX = float(np.sin(np.radians(73.0)))
_ASIN_SIZE = (1 << 13) + 1
_ASIN_DELTA = _ASIN_MAX / (_ASIN_SIZE - 1)
_ASIN_INDEXER = 1 / _ASIN_DELTA


def _asin_tables() -> tuple[np.ndarray, ...]:
    x = np.arange(_ASIN_SIZE, dtype=np.float64) * _ASIN_DELTA
    inv = 1.0 / (1 - x * x)
    inv05 = np.sqrt(inv)
    inv15 = inv05 * inv
    inv25 = inv15 * inv
    inv35 = inv25 * inv
    return (
        np.arcsin(x),
        inv05,
        (x * inv15) * 0.5,
        ((1 + 2 * x * x) * inv25) * (1 / 6.0),
        ((5 + 2 * x * (2 + x * (5 - 2 * x))) * inv35) * (1 / 24.0),
    )


_ASIN_TAB, _ASIN_D1, _ASIN_D2, _ASIN_D3, _ASIN_D4 = _asin_tables()
_ASIN_PIO2_HI = _bits(0x3FF921FB54442D18)
_ASIN_PIO2_LO = _bits(0x3C91A62633145C07)
_ASIN_PS = [
    _bits(v)
    for v in (
        0x3FC5555555555555,
        0xBFD4D61203EB6F7D,
        0x3FC9C1550E884455,
        0xBFA48228B5688F3B,
        0x3F49EFE07501B288,
        0x3F023DE10DFDF709,
    )
]
_ASIN_QS = [
    _bits(v)
    for v in (0xC0033A271C8A2D4B, 0x40002AE59C598AC8, 0xBFE6066C1B8D0159, 0x3FB3B8C5B12E9282)
]


def sloppy_cos(a: np.ndarray) -> np.ndarray:
    a = np.abs(np.asarray(a, dtype=np.float64))
    index = (a * _SC_INDEXER + 0.5).astype(np.int64)
    delta = (a - index * _SC_DELTA_HI) - index * _SC_DELTA_LO
    index &= _SC_SIZE - 2
    c, s = _COS_TAB[index], _SIN_TAB[index]
    out = c + delta * (-s + delta * (-c * 0.5 + delta * (s * (1 / 6.0) + delta * c * (1 / 24.0))))
    big = a > _SC_MAX
    if big.any():
        out[big] = np.cos(a[big])
    return out


def quantize(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points as doc values store them: 32-bit encoded, then decoded (GeoEncodingUtils)."""
    lat = np.where(lat == 90.0, np.nextafter(90.0, 0.0), lat)
    lon = np.where(lon == 180.0, np.nextafter(180.0, 0.0), lon)
    missing = np.isnan(lat)
    if missing.any():  # documents without a point stay NaN
        lat, lon = np.where(missing, 0.0, lat), np.where(missing, 0.0, lon)
    qlat = np.floor(lat / _LAT_DECODE).astype(np.int64) * _LAT_DECODE
    qlon = np.floor(lon / _LON_DECODE).astype(np.int64) * _LON_DECODE
    if missing.any():
        qlat, qlon = np.where(missing, np.nan, qlat), np.where(missing, np.nan, qlon)
    return qlat, qlon


def haversin_meters(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """OpenSearch's ARC distance (m) from a point to (quantised) document points (NaN stays NaN)."""
    return PreparedPoints(
        np.asarray(lats, dtype=np.float64), np.asarray(lons, dtype=np.float64)
    ).meters(lat, lon)


class PreparedPoints:
    """Document points with their per-document haversine terms computed once.

    The quantised longitude, the latitude in radians and its (sloppy) cosine do not
    depend on the query, so a shard keeps them per refresh and a distance costs two
    table-based cosines and one arc sine per document.
    """

    def __init__(self, lats: np.ndarray, lons: np.ndarray) -> None:
        self.present = ~np.isnan(lats)
        qlat, qlon = quantize(lats, lons)
        self.lon = qlon
        self.x2 = np.radians(qlat)
        self.cos_x2 = np.full(len(lats), np.nan)
        if self.present.any():
            self.cos_x2[self.present] = sloppy_cos(self.x2[self.present])

    def meters(self, lat: float, lon: float, rows: np.ndarray | None = None) -> np.ndarray:
        """Distances to (lat, lon) of all points, or of the given rows (NaN: no point)."""
        from .geo_kernel import arc_meters  # it reads this module's tables

        x1 = np.radians(lat)
        cos_x1 = float(sloppy_cos(np.array([x1]))[0])
        picked = np.arange(len(self.x2)) if rows is None else rows
        return arc_meters(x1, cos_x1, lon, self.x2, self.lon, self.cos_x2, self.present, picked)


def plane_meters(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """OpenSearch's PLANE distance (m): an equirectangular approximation."""
    dlat, dlon = quantize(np.asarray(lats, dtype=np.float64), np.asarray(lons, dtype=np.float64))
    x = np.radians(dlon - lon) * np.cos(np.radians((dlat + lat) / 2.0))
    y = np.radians(dlat - lat)
    return np.sqrt(x * x + y * y) * EARTH_MEAN_RADIUS
