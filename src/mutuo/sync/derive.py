"""Derived fields: small pure functions from source values to an index value.

Each function is registered by name with its arity; a mapping names them under
``derived:``. A value that cannot be derived raises :class:`MappingError`, which sends
the change to the dead-letter index (the member keeps their previous indexed version).
A missing source value derives nothing (the field is cleared), never an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any


class MappingError(ValueError):
    """A source document that cannot become an index document (dead-lettered)."""


@dataclass(frozen=True)
class DeriveContext:
    """What a derivation may depend on besides the values: the change's source time,
    so that replaying a change derives exactly the same document."""

    at: datetime


@dataclass(frozen=True)
class Function:
    arity: int
    apply: Callable[[list[Any], DeriveContext], Any]


FUNCTIONS: dict[str, Function] = {}


def register(
    name: str, arity: int
) -> Callable[
    [Callable[[list[Any], DeriveContext], Any]], Callable[[list[Any], DeriveContext], Any]
]:
    def wrap(
        fn: Callable[[list[Any], DeriveContext], Any],
    ) -> Callable[[list[Any], DeriveContext], Any]:
        FUNCTIONS[name] = Function(arity, fn)
        return fn

    return wrap


_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def parse_day(value: Any) -> date:
    """A calendar day from a datetime, an ISO date(-time) string or epoch millis."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return datetime.fromtimestamp(value / 1000, tz=UTC).date()
    if isinstance(value, str):
        match = _DATE.match(value.strip())
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError as exc:
                raise MappingError(f"invalid date {value!r}: {exc}") from None
    raise MappingError(
        f"expected a date (ISO 8601 string, datetime or epoch millis), got {value!r}"
    )


@register("age_from_birthdate", 1)
def age_from_birthdate(values: list[Any], ctx: DeriveContext) -> int | None:
    """Whole years between the birthdate and the change's time (deterministic on replay)."""
    (birthdate,) = values
    if birthdate is None:
        return None
    born = parse_day(birthdate)
    today = ctx.at.date()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if not 0 <= age <= 150:
        raise MappingError(f"birthdate {birthdate!r} gives an impossible age {age}")
    return age


@register("geo_point", 1)
def geo_point(values: list[Any], ctx: DeriveContext) -> dict[str, float] | None:
    """``{lat, lon}`` from ``{lat, lon}``, GeoJSON ``{type: Point, coordinates: [lon, lat]}``,
    a ``[lon, lat]`` pair (GeoJSON order) or a ``"lat,lon"`` string."""
    (value,) = values
    if value is None:
        return None
    if isinstance(value, dict) and "coordinates" in value:
        if value.get("type", "Point") != "Point":
            raise MappingError(f"expected a GeoJSON Point, got type {value.get('type')!r}")
        value = value["coordinates"]
    if isinstance(value, dict):
        lat, lon = value.get("lat"), value.get("lon")
    elif isinstance(value, list | tuple) and len(value) == 2:
        lon, lat = value
    elif isinstance(value, str) and value.count(",") == 1:
        lat, lon = (part.strip() for part in value.split(","))
    else:
        raise MappingError(f"cannot read a geo point from {value!r}")
    lat_f, lon_f = _coordinate(lat, "lat"), _coordinate(lon, "lon")
    if not -90 <= lat_f <= 90:
        raise MappingError(f"latitude {lat_f} is out of range [-90, 90]")
    if not -180 <= lon_f <= 180:
        raise MappingError(f"longitude {lon_f} is out of range [-180, 180]")
    return {"lat": lat_f, "lon": lon_f}


def _coordinate(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise MappingError(f"{name} {value!r} is not a number") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise MappingError(f"{name} {value!r} is not a finite number")
    return number


@register("lowercase", 1)
def lowercase(values: list[Any], ctx: DeriveContext) -> Any:
    """Lower-cased keyword(s), for sources that do not normalise case."""
    (value,) = values
    if value is None:
        return None
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.lower() for v in value]
    raise MappingError(f"lowercase expects a string or a list of strings, got {value!r}")
