"""Dates as OpenSearch parses, stores and prints them.

Dates are stored as epoch milliseconds (UTC). ``format`` is a ``||``-separated list of
named formats (``strict_date_optional_time``, ``epoch_millis``, ...) or Java
``DateTimeFormatter`` patterns (``yyyy-MM-dd HH:mm:ss``); the first that parses wins.
Date math (``now-7d/d``, ``2024-01-01||+1M``) follows OpenSearch's rules, including the
round-up of ``/unit`` for the upper bounds of ranges.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from .civil_dates import EPOCH, days_from_civil, days_in_month, epoch_millis, plain_utc_millis
from .errors import OpenSearchError

DEFAULT_FORMAT = "strict_date_optional_time||epoch_millis"


class DateParseError(OpenSearchError):
    status = 400
    error_type = "parse_exception"


_ZONE = r"(?P<zone>Z|z|[+-]\d{2}(?::?\d{2})?)?"
_OPTIONAL_TIME = re.compile(
    r"^(?P<y>[+-]?\d{4,9})(?:-(?P<M>\d{1,2})(?:-(?P<d>\d{1,2}))?)?"
    r"(?:[T ](?P<H>\d{1,2})(?::(?P<m>\d{1,2})(?::(?P<s>\d{1,2})(?:[.,](?P<f>\d{1,9}))?)?)?)?"
    + _ZONE
    + "$"
)
_STRICT_OPTIONAL_TIME = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<M>\d{2})(?:-(?P<d>\d{2}))?)?"
    r"(?:T(?P<H>\d{2})(?::(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?)?)?" + _ZONE + "$"
)


def _zone_offset(zone: str | None) -> timedelta:
    if not zone or zone in ("Z", "z"):
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) > 2 else 0
    return sign * timedelta(hours=hours, minutes=minutes)


def _from_parts(parts: dict[str, str | None]) -> int:
    frac = parts.get("f") or ""
    millis = int((frac + "000")[:3]) if frac else 0
    year, month, day = int(parts["y"] or 0), int(parts.get("M") or 1), int(parts.get("d") or 1)
    hour, minute, second = (
        int(parts.get("H") or 0),
        int(parts.get("m") or 0),
        int(parts.get("s") or 0),
    )
    if not (
        1 <= month <= 12
        and 1 <= day <= days_in_month(year, month)
        and hour < 24
        and minute < 60
        and second < 60
    ):
        raise ValueError("date field value out of range")
    if not 1 <= year <= 9999:  # what calendar.timegm (a datetime.date) accepts
        raise ValueError(f"year {year} is out of range")
    seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
    zone = parts.get("zone")
    if zone and zone not in ("Z", "z"):
        seconds -= int(_zone_offset(zone).total_seconds())
    return seconds * 1000 + millis


def _regex_parser(pattern: re.Pattern[str]) -> Callable[[str], int | None]:
    def parse(text: str) -> int | None:
        m = pattern.match(text)
        if m is None:
            return None
        return _from_parts(m.groupdict())

    return parse


def _epoch(scale: int) -> Callable[[str], int | None]:
    def parse(text: str) -> int | None:
        try:
            value = float(text)
        except ValueError:
            return None
        return int(value * scale)

    return parse


_JAVA_TOKENS = [
    ("yyyy", r"(?P<y>\d{4})"),
    ("uuuu", r"(?P<y>\d{4})"),
    ("yy", r"(?P<yy>\d{2})"),
    ("MM", r"(?P<M>\d{2})"),
    ("M", r"(?P<M>\d{1,2})"),
    ("dd", r"(?P<d>\d{2})"),
    ("d", r"(?P<d>\d{1,2})"),
    ("HH", r"(?P<H>\d{2})"),
    ("H", r"(?P<H>\d{1,2})"),
    ("mm", r"(?P<m>\d{2})"),
    ("ss", r"(?P<s>\d{2})"),
    ("SSSSSSSSS", r"(?P<f>\d{9})"),
    ("SSSSSS", r"(?P<f>\d{6})"),
    ("SSS", r"(?P<f>\d{3})"),
    ("XXX", r"(?P<zone>Z|[+-]\d{2}:\d{2})"),
    ("xxx", r"(?P<zone>[+-]\d{2}:\d{2})"),
    ("Z", r"(?P<zone>Z|[+-]\d{4})"),
    ("X", r"(?P<zone>Z|[+-]\d{2}(?:\d{2})?)"),
]


def _java_pattern(pattern: str) -> Callable[[str], int | None]:
    """Compile the common subset of Java DateTimeFormatter patterns."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern[i] == "'":
            end = pattern.index("'", i + 1)
            out += re.escape(pattern[i + 1 : end])
            i = end + 1
            continue
        if pattern[i] == "[":
            out += "(?:"
            i += 1
            continue
        if pattern[i] == "]":
            out += ")?"
            i += 1
            continue
        for token, regex in _JAVA_TOKENS:
            if pattern.startswith(token, i):
                out += regex
                i += len(token)
                break
        else:
            if pattern[i].isalpha():
                raise ValueError(f"unsupported date pattern letter [{pattern[i]}] in [{pattern}]")
            out += re.escape(pattern[i])
            i += 1
    compiled = re.compile("^" + out + "$")

    def parse(text: str) -> int | None:
        m = compiled.match(text)
        if m is None:
            return None
        parts = dict(m.groupdict())
        if parts.get("yy") is not None and parts.get("y") is None:
            parts["y"] = str(2000 + int(parts["yy"] or 0))
        return _from_parts(parts)

    return parse


_NAMED: dict[str, Callable[[str], int | None]] = {
    "strict_date_optional_time": _regex_parser(_STRICT_OPTIONAL_TIME),
    "strict_date_optional_time_nanos": _regex_parser(_STRICT_OPTIONAL_TIME),
    "date_optional_time": _regex_parser(_OPTIONAL_TIME),
    "epoch_millis": _epoch(1),
    "epoch_second": _epoch(1000),
    "strict_date": _java_pattern("yyyy-MM-dd"),
    "date": _java_pattern("yyyy-M-d"),
    "strict_date_time": _java_pattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
    "date_time": _java_pattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX"),
    "strict_date_time_no_millis": _java_pattern("yyyy-MM-dd'T'HH:mm:ssXXX"),
    "strict_date_hour_minute_second": _java_pattern("yyyy-MM-dd'T'HH:mm:ss"),
    "strict_date_hour_minute": _java_pattern("yyyy-MM-dd'T'HH:mm"),
    "basic_date": _java_pattern("yyyyMMdd"),
    "strict_year_month": _java_pattern("yyyy-MM"),
    "strict_year": _java_pattern("yyyy"),
    "year": _java_pattern("yyyy"),
}


# formats that read ``YYYY-MM-DDTHH:MM:SSZ`` as :func:`plain_utc_millis` does
_ISO_OPTIONAL_TIME = frozenset(
    ("strict_date_optional_time", "strict_date_optional_time_nanos", "date_optional_time")
)


def _epoch_int(value: int) -> bool:
    """Read as epoch millis (not a year) by ``strict_date_optional_time||epoch_millis``,
    and exactly so through ``float`` (the epoch parser's path)."""
    return not 1000 <= value <= 9999 and -(2**53) < value < 2**53


class DateFormat:
    """A parsed ``format`` setting: try each alternative in order."""

    def __init__(self, spec: str = DEFAULT_FORMAT) -> None:
        self.spec = spec
        self._parsers: list[Callable[[str], int | None]] = []
        names = [name.strip() for name in spec.split("||")]
        self._iso_first = names[0] in _ISO_OPTIONAL_TIME
        # the default format reads an integer as epoch millis unless it has four digits
        # (a year): the strict ISO parser takes no sign and exactly four year digits
        self._int_millis = names[:2] == ["strict_date_optional_time", "epoch_millis"]
        for name in names:
            parser = _NAMED.get(name)
            if parser is None:
                try:
                    parser = _java_pattern(name)
                except ValueError as exc:
                    raise ValueError(f"Invalid format: [{spec}]: {exc}") from None
            self._parsers.append(parser)

    def quick(self, value: object) -> int | None:
        """Epoch millis of the values most documents hold (plain UTC ISO text, integers
        as epoch millis), exactly as :meth:`parse` reads them; None: use :meth:`parse`."""
        if type(value) is str:
            return plain_utc_millis(value) if self._iso_first else None
        if type(value) is int and self._int_millis and _epoch_int(value):
            return value
        return None

    def parse(self, value: object) -> int:
        """Epoch millis of a document or query value; raises ValueError when none fits.

        A JSON number is read through the formats as its text, as OpenSearch does: it is
        epoch millis only when the format includes ``epoch_millis`` (and with the default
        format a four-digit number is a year, since ``strict_date_optional_time`` comes
        first).
        """
        millis = self.quick(value)
        if millis is not None:
            return millis
        if isinstance(value, bool):
            raise ValueError(f"failed to parse date field [{value}]")
        text = str(value)
        for parser in self._parsers:
            try:
                result = parser(text)
            except (ValueError, OverflowError):
                result = None
            if result is not None:
                return result
        raise ValueError(f"failed to parse date field [{text}] with format [{self.spec}]")


_FORMAT_CACHE: dict[str, DateFormat] = {}


def date_format(spec: str | None) -> DateFormat:
    spec = spec or DEFAULT_FORMAT
    fmt = _FORMAT_CACHE.get(spec)
    if fmt is None:
        fmt = _FORMAT_CACHE[spec] = DateFormat(spec)
    return fmt


def format_millis(millis: int) -> str:
    """``strict_date_optional_time`` rendering, as in ``fields`` and aggregation keys."""
    moment = EPOCH + timedelta(milliseconds=int(millis))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- date math ---------------------------------------------------------------------------

_MATH_OP = re.compile(r"([+-])(\d+)([yMwdhHms])|/([yMwdhHms])")


def _add(moment: datetime, amount: int, unit: str) -> datetime:
    if unit == "y":
        return _add_months(moment, 12 * amount)
    if unit == "M":
        return _add_months(moment, amount)
    seconds = {"w": 604_800, "d": 86_400, "h": 3600, "H": 3600, "m": 60, "s": 1}[unit]
    return moment + timedelta(seconds=seconds * amount)


def _add_months(moment: datetime, months: int) -> datetime:
    total = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _round_down(moment: datetime, unit: str) -> datetime:
    if unit == "y":
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "M":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "w":
        day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return day - timedelta(days=day.weekday())
    if unit == "d":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit in ("h", "H"):
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "m":
        return moment.replace(second=0, microsecond=0)
    return moment.replace(microsecond=0)


def parse_date_math(
    value: object,
    fmt: DateFormat,
    now_millis: int,
    round_up: bool = False,
    time_zone: str | None = None,
) -> int:
    """Resolve ``now-7d/d`` or ``2024-01-01||+1M/M`` to epoch millis.

    ``round_up`` is used for ``lte`` and ``gt`` bounds: ``/d`` then means the last
    millisecond of the day, exactly as OpenSearch's JavaDateMathParser does.
    """
    if not isinstance(value, str):
        return fmt.parse(value)
    text = value
    if text.startswith("now"):
        base = now_millis
        math = text[3:]
    elif "||" in text:
        anchor, math = text.split("||", 1)
        base = fmt.parse(anchor)
    else:
        millis = fmt.parse(text)
        return millis
    tz = _tz(time_zone)
    moment = EPOCH + timedelta(milliseconds=base)
    moment = moment.astimezone(tz)
    pos = 0
    while pos < len(math):
        m = _MATH_OP.match(math, pos)
        if m is None:
            raise DateParseError(f"operator not supported for date math [{math}]")
        if m.group(4):
            unit = m.group(4)
            moment = _round_down(moment, unit)
            if round_up:
                moment = _add(moment, 1, unit) - timedelta(milliseconds=1)
        else:
            amount = int(m.group(2)) * (-1 if m.group(1) == "-" else 1)
            moment = _add(moment, amount, m.group(3))
        pos = m.end()
    return epoch_millis(moment.astimezone(UTC))


def _tz(name: str | None) -> timezone:
    if not name or name in ("UTC", "Z", "utc"):
        return UTC
    m = re.fullmatch(r"([+-])(\d{2}):?(\d{2})?", name)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(m.group(2)), minutes=int(m.group(3) or 0)))
    raise DateParseError(
        f"time_zone [{name}] is not supported by the embedded engine; use an offset like +02:00"
    )


_TIME_UNITS_MS = {
    "nanos": 1e-6,
    "micros": 1e-3,
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
}


def parse_time_value(value: object, setting: str = "time value") -> float:
    """``7d``, ``1h``, ``500ms`` -> milliseconds (plain numbers are milliseconds)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*(nanos|micros|ms|s|m|h|d)", text)
    if m is None:
        try:
            return float(text)
        except ValueError:
            raise DateParseError(
                f"failed to parse setting [{setting}] with value [{text}] as a time value: "
                "unit is missing or unrecognized"
            ) from None
    return float(m.group(1)) * _TIME_UNITS_MS[m.group(2)]
