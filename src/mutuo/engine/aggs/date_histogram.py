"""``date_histogram``: calendar (``month``, ``1w``...) or fixed (``30m``, ``7d``) buckets.

Calendar rounding is done with numpy datetime64 units (months and years are not fixed
lengths); weeks start on Monday as in OpenSearch. ``time_zone`` accepts UTC offsets
(``+02:00``); named zones with daylight-saving rules are refused rather than rounded
wrongly. Keys are epoch millis of the bucket start, ``key_as_string`` uses the
aggregation's ``format`` or the field's.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..dates import parse_time_value
from ..errors import IllegalArgumentError, OpenSearchError
from ..fields import DATE
from ..formats import format_date
from ..search_context import SearchContext
from . import register
from .histogram import BucketHistogram, _bounds_pair

DAY = 86_400_000
_CALENDAR = {
    "minute": "m",
    "1m": "m",
    "hour": "h",
    "1h": "h",
    "day": "d",
    "1d": "d",
    "week": "w",
    "1w": "w",
    "month": "M",
    "1M": "M",
    "quarter": "q",
    "1q": "q",
    "year": "y",
    "1y": "y",
}
_FIXED_MS = {"m": 60_000, "h": 3_600_000, "d": DAY, "w": 7 * DAY}


@register("date_histogram")
class DateHistogram(BucketHistogram):
    def __init__(self, name: str, body: dict[str, Any]) -> None:
        super().__init__(
            name, body, {"calendar_interval", "fixed_interval", "interval", "time_zone"}
        )
        if "interval" in body:
            raise IllegalArgumentError(
                "[interval] on [date_histogram] is deprecated; use [calendar_interval] or "
                "[fixed_interval] (the embedded engine does not accept the legacy form)"
            )
        calendar, fixed = body.get("calendar_interval"), body.get("fixed_interval")
        if (calendar is None) == (fixed is None):
            raise IllegalArgumentError(
                "Invalid interval specified, must be non-null and non-empty"
                if calendar is None
                else "Cannot use [fixed_interval] with [calendar_interval] configuration option."
            )
        self.calendar: str | None = None
        self.fixed_ms = 0.0
        if calendar is not None:
            unit = _CALENDAR.get(str(calendar))
            if unit is None:
                raise IllegalArgumentError(
                    f"The supplied interval [{calendar}] could not be parsed as a calendar interval."
                )
            self.calendar = unit
        else:
            self.fixed_ms = _fixed(str(fixed))
        self.offset_ms = _offset(body.get("offset"))
        self.tz_ms = _time_zone(body.get("time_zone"))

    def round_keys(self, ctx: SearchContext, values: np.ndarray) -> np.ndarray:
        local = values.astype(np.int64) + self.tz_ms - self.offset_ms
        if self.calendar is None:
            rounded = np.floor_divide(local, int(self.fixed_ms)) * int(self.fixed_ms)
        else:
            rounded = _calendar_floor(local, self.calendar)
        return (rounded - self.tz_ms + self.offset_ms).astype(np.float64)

    def next_key(self, key: float) -> float:
        if self.calendar is None:
            return key + self.fixed_ms
        local = np.array([int(key) + self.tz_ms - self.offset_ms], dtype=np.int64)
        return float(_calendar_next(local, self.calendar)[0] - self.tz_ms + self.offset_ms)

    def resolve_bounds(self, ctx: SearchContext) -> None:
        mapper = ctx.mapper(self.body.get("field", ""))

        def parse(value: Any) -> float:
            if mapper is not None and mapper.kind == DATE:
                return float(ctx.parse_numeric(mapper, value, fmt=self.body.get("format")))
            return float(value)

        ext = _bounds_pair(self.body.get("extended_bounds"), "extended_bounds", parse)
        if ext is not None and all(np.isfinite(ext)):
            low, high = self.round_keys(ctx, np.array(ext)).tolist()
            self.bounds = (low, high)
        self.hard = _bounds_pair(self.body.get("hard_bounds"), "hard_bounds", parse)

    def head(self, key: float) -> dict[str, Any]:
        fmt = self.body.get("format") or (
            self.mapper.params.get("format") if self.mapper is not None else None
        )
        return {
            "key_as_string": format_date(int(key), fmt, self.tz_ms // 60_000),
            "key": int(key),
        }


def _fixed(text: str) -> float:
    m = re.fullmatch(r"(\d+)(ms|s|m|h|d)", text)
    if m is None:
        if re.fullmatch(r"\d+[wMqy]", text):
            raise IllegalArgumentError(
                f"failed to parse setting [date_histogram.fixedInterval] with value [{text}] as a time value: unit is missing or unrecognized"
            )
        raise IllegalArgumentError(
            f"failed to parse setting [date_histogram.fixedInterval] with value [{text}] as a time value: unit is missing or unrecognized"
        )
    return parse_time_value(text)


def _offset(value: Any) -> int:
    if value is None:
        return 0
    text = str(value).strip()
    sign = -1 if text.startswith("-") else 1
    try:
        return int(sign * parse_time_value(text.lstrip("+-"), "offset"))
    except OpenSearchError:
        raise IllegalArgumentError(f"failed to parse [offset] value [{value}]") from None


def _time_zone(value: Any) -> int:
    if value is None or str(value) in ("UTC", "Z", "utc", "Etc/UTC", "GMT"):
        return 0
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", str(value))
    if m is None:
        raise IllegalArgumentError(
            f"time_zone [{value}] is not supported by the embedded engine; use a UTC offset like +02:00"
        )
    ms = (int(m.group(2)) * 60 + int(m.group(3) or 0)) * 60_000
    return -ms if m.group(1) == "-" else ms


def _calendar_floor(local: np.ndarray, unit: str) -> np.ndarray:
    if unit in ("m", "h", "d"):
        step = _FIXED_MS[unit]
        return np.floor_divide(local, step) * step
    if unit == "w":
        days = np.floor_divide(local, DAY)
        monday = days - (days + 3) % 7  # 1970-01-01 was a Thursday
        return monday * DAY
    months = local.astype("datetime64[ms]").astype("datetime64[M]")
    if unit == "q":
        index = months.astype(np.int64)
        months = (index - index % 3).astype("datetime64[M]")
    elif unit == "y":
        months = local.astype("datetime64[ms]").astype("datetime64[Y]").astype("datetime64[M]")
    return months.astype("datetime64[ms]").astype(np.int64)


def _calendar_next(local: np.ndarray, unit: str) -> np.ndarray:
    if unit in _FIXED_MS:
        return local + _FIXED_MS[unit]
    months = local.astype("datetime64[ms]").astype("datetime64[M]")
    step = {"M": 1, "q": 3, "y": 12}[unit]
    return (months + step).astype("datetime64[ms]").astype(np.int64)
