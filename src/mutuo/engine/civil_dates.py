"""Calendar arithmetic on proleptic Gregorian dates, and the fast read of the ISO form
most documents send (:mod:`.dates` parses everything else)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


def epoch_millis(moment: datetime) -> int:
    """Epoch millis of an aware datetime (microseconds floored, as date parsers read)."""
    return (moment - EPOCH) // _MILLISECOND


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm): the
    arithmetic ``calendar.timegm`` does, without building a ``date`` per value."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


def plain_utc_millis(text: str) -> int | None:
    """Epoch millis of ``YYYY-MM-DDTHH:MM:SSZ``, the form sources mostly send, read
    without the regex and the general parts handling; None for any other text (or an
    invalid date), which then takes the general path of its format. Only for formats
    whose first alternative is an ISO "optional time" parser, which reads this form
    exactly so.

    Once the shape is checked, ``datetime.fromisoformat`` (C) reads and validates the
    fields: six times faster than slicing and converting them here, and this runs for
    every date of every document written. It accepts only ASCII digits where the shape
    has them and refuses what the general parser refuses (day 31 of a short month, hour
    24, second 60, year 0)."""
    if (
        len(text) != 20
        or text[19] != "Z"
        or text[4] != "-"
        or text[7] != "-"
        or text[10] != "T"
        or text[13] != ":"
        or text[16] != ":"
        or not text.isascii()
    ):
        return None
    try:
        return epoch_millis(datetime.fromisoformat(text))
    except ValueError:
        return None
