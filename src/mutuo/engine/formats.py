"""Printing values the way OpenSearch's ``DocValueFormat``s do.

* dates: the field's (or the request's) ``format``: named formats such as
  ``strict_date_optional_time`` (``2022-04-17T00:00:00.000Z``) and ``epoch_millis``,
  or a Java ``DateTimeFormatter`` pattern (``yyyy-MM-dd HH:mm:ss.SSS``);
* numbers: Java ``DecimalFormat`` patterns (``#.0``, ``0.00``, ``#,##0``), rounding half
  to even as Java does.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from .civil_dates import EPOCH
from .errors import IllegalArgumentError

_ISO = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"
_NAMED_PATTERNS = {
    "strict_date_optional_time": _ISO,
    "date_optional_time": _ISO,
    "strict_date_optional_time_nanos": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "strict_date_time": _ISO,
    "date_time": _ISO,
    "strict_date_time_no_millis": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "date_time_no_millis": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "strict_date": "yyyy-MM-dd",
    "date": "yyyy-MM-dd",
    "basic_date": "yyyyMMdd",
    "strict_date_hour_minute_second": "yyyy-MM-dd'T'HH:mm:ss",
    "date_hour_minute_second": "yyyy-MM-dd'T'HH:mm:ss",
    "strict_date_hour_minute": "yyyy-MM-dd'T'HH:mm",
    "strict_year_month": "yyyy-MM",
    "year_month": "yyyy-MM",
    "strict_year": "yyyy",
    "year": "yyyy",
    "strict_hour_minute_second": "HH:mm:ss",
    "hour_minute_second": "HH:mm:ss",
}
_TOKEN = re.compile(r"'[^']*'|y+|u+|M+|d+|H+|h+|m+|s+|S+|X+|x+|Z+|a|E+|.")


def format_date(millis: int, spec: str | None, offset_minutes: int = 0) -> str:
    """Print epoch millis with the first alternative of a date ``format``."""
    first = (spec or "strict_date_optional_time||epoch_millis").split("||")[0].strip()
    if first == "epoch_millis":
        return str(int(millis))
    if first == "epoch_second":
        return str(int(millis) // 1000)
    pattern = _NAMED_PATTERNS.get(first, first)
    moment = EPOCH + timedelta(milliseconds=int(millis) + offset_minutes * 60_000)
    return "".join(_render(token, moment, offset_minutes) for token in _TOKEN.findall(pattern))


def _render(token: str, moment: datetime, offset_minutes: int) -> str:
    if token.startswith("'"):
        return token[1:-1] if token != "''" else "'"
    head, n = token[0], len(token)
    if head in "yu":
        return f"{moment.year:04d}" if n != 2 else f"{moment.year % 100:02d}"
    if head == "M":
        return f"{moment.month:0{n}d}" if n <= 2 else moment.strftime("%b" if n == 3 else "%B")
    simple = {
        "d": moment.day,
        "H": moment.hour,
        "h": (moment.hour % 12) or 12,
        "m": moment.minute,
        "s": moment.second,
    }
    if head in simple:
        return f"{simple[head]:0{n}d}"
    if head == "S":
        micros = f"{moment.microsecond:06d}000"
        return micros[:n]
    if head in "XxZ":
        return _zone(offset_minutes, head, n)
    if head == "a":
        return "AM" if moment.hour < 12 else "PM"
    if head == "E":
        return moment.strftime("%a" if n <= 3 else "%A")
    return token


def _zone(offset_minutes: int, head: str, n: int) -> str:
    if offset_minutes == 0 and head == "X":
        return "Z"
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    if head == "Z" or n == 2:
        return f"{sign}{hours:02d}{minutes:02d}"
    return f"{sign}{hours:02d}:{minutes:02d}"


def format_decimal(value: float, pattern: str) -> str:
    """Java ``DecimalFormat`` for the common patterns (``#.0``, ``0.00``, ``#,##0.###``)."""
    if ";" in pattern or "E" in pattern or "%" in pattern:
        raise IllegalArgumentError(
            f"decimal format [{pattern}] is not supported by the embedded engine"
        )
    integer_part, _, fraction_part = pattern.partition(".")
    min_int = integer_part.count("0")
    grouping = "," in integer_part
    min_frac = fraction_part.count("0")
    max_frac = min_frac + fraction_part.count("#")
    quantum = Decimal(1).scaleb(-max_frac)
    number = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_EVEN)
    sign = "-" if number < 0 else ""
    digits = f"{abs(number):f}"
    whole, _, frac = digits.partition(".")
    frac = frac.rstrip("0")
    frac = frac + "0" * (min_frac - len(frac))
    whole = whole.lstrip("0")
    whole = whole.rjust(min_int, "0") if min_int else whole
    if grouping and whole:
        whole = f"{int(whole):,}"
    text = whole + ("." + frac if frac else "")
    return sign + (text or "0")
