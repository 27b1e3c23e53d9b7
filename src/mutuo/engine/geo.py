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


def parse_distance(value: object, default_unit: str = "m") -> float:
    """``"10km"``, ``"500m"``, ``12`` (default unit) -> metres."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) * _DISTANCE_UNITS[default_unit]
    text = str(value).strip()
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)", text)
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
