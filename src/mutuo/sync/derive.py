"""Derived fields: small pure functions from source values to an index value.

Each function is registered by name with its arity; a mapping names them under
``derived:``. A value that cannot be derived raises :class:`MappingError`, which sends
the change to the dead-letter index (the member keeps their previous indexed version).
A missing source value derives nothing (the field is cleared), never an error.
"""

from __future__ import annotations

import bisect
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
    arity: int | None  # None: one or more source paths
    apply: Callable[[list[Any], DeriveContext], Any]


FUNCTIONS: dict[str, Function] = {}


def register(
    name: str, arity: int | None
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
    if isinstance(value, str):  # first: what JSON sources give
        match = _DATE.match(value.strip())
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError as exc:
                raise MappingError(f"invalid date {value!r}: {exc}") from None
    elif isinstance(value, datetime):
        return value.date()
    elif isinstance(value, date):
        return value
    elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return datetime.fromtimestamp(value / 1000, tz=UTC).date()
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


# Recommendation needs "distance within both members' limits", and a per-document limit is
# not a ``geo_distance`` parameter. Limits are therefore snapped *down* to one of these steps
# (an app's distance slider offers such steps anyway), so that the recommend template can
# render one exact ``geo_distance`` clause per step. The last step exceeds half the Earth's
# circumference: it means "no limit". ``scripts/mutuo-recommend.mustache`` renders one
# clause per step; a test keeps the two lists equal.
DISTANCE_STEPS_KM = (1, 2, 5, 10, 25, 50, 100, 200, 500, 1000, 2500, 20040)


@register("distance_step", 1)
def distance_step(values: list[Any], ctx: DeriveContext) -> int | None:
    """The largest step of :data:`DISTANCE_STEPS_KM` not above the limit (in km); limits
    below the first step get the first step, a missing limit stays missing (no limit)."""
    (limit,) = values
    if limit is None:
        return None
    number = _coordinate(limit, "max_distance_km")
    if number <= 0:
        raise MappingError(f"max_distance_km must be positive, got {limit!r}")
    fitting = bisect.bisect_right(DISTANCE_STEPS_KM, number)  # how many steps are <= number
    return DISTANCE_STEPS_KM[fitting - 1] if fitting else DISTANCE_STEPS_KM[0]


@register("midpoint", 2)
def midpoint(values: list[Any], ctx: DeriveContext) -> float | None:
    """The middle of a range (e.g. the age a member prefers most), missing if an end is."""
    low, high = values
    if low is None or high is None:
        return None
    a, b = _coordinate(low, "range start"), _coordinate(high, "range end")
    if a > b:
        raise MappingError(f"range start {low!r} is above its end {high!r}")
    return (a + b) / 2


@register("half_width", 2)
def half_width(values: list[Any], ctx: DeriveContext) -> float | None:
    """Half the width of a range, at least 1 (a scale for decay functions around the
    midpoint: a gauss with this scale gives 0.5 at the range's ends)."""
    low, high = values
    if low is None or high is None:
        return None
    a, b = _coordinate(low, "range start"), _coordinate(high, "range end")
    if a > b:
        raise MappingError(f"range start {low!r} is above its end {high!r}")
    return max((b - a) / 2, 1.0)


@register("completeness", None)
def completeness(values: list[Any], ctx: DeriveContext) -> float:
    """The share of the given source values that are filled in (0.0 to 1.0, two decimals):
    missing values, empty strings, empty lists and empty objects count as missing; zero and
    false are filled in."""
    empty = sum([v in _EMPTY for v in values])
    return round((len(values) - empty) / len(values), 2)


_EMPTY: tuple[Any, ...] = (None, "", [], {})  # what completeness counts as missing
