"""The date fast paths (plain UTC ISO text, integers as epoch millis) give exactly what
the general parsers give, and leave every other value to them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mutuo.engine import dates

FORMATS = [
    dates.DEFAULT_FORMAT,
    "strict_date_optional_time",
    "date_optional_time||epoch_millis",
    "strict_date_optional_time_nanos||epoch_second",
    "epoch_millis||strict_date_optional_time",
    "yyyy-MM-dd'T'HH:mm:ssX",
]


def general(fmt: dates.DateFormat, value: object) -> int | str:
    """The value through the format's parsers one by one (no fast path)."""
    if isinstance(value, bool):
        return "error"
    for parser in fmt._parsers:
        try:
            result = parser(str(value))
        except (ValueError, OverflowError):
            result = None
        if result is not None:
            return result
    return "error"


def fast(fmt: dates.DateFormat, value: object) -> int | str:
    try:
        return fmt.parse(value)
    except ValueError:
        return "error"


iso = st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ").rjust(20, "0"))
near_iso = st.builds(
    lambda text, i, c: text[:i] + c + text[i + 1 :],
    iso,
    st.integers(0, 19),
    st.sampled_from(list("09-:TZz +٣")),
)
# every field at or just past the ends of its range (month 13, second 60, Feb 29th...)
boundaries = st.builds(
    lambda y, mo, d, h, mi, sec: f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{sec:02d}Z",
    st.sampled_from([0, 1, 1900, 2000, 2023, 2024, 9999]),
    st.sampled_from([0, 1, 2, 12, 13]),
    st.sampled_from([0, 1, 28, 29, 30, 31, 32]),
    st.sampled_from([0, 23, 24]),
    st.sampled_from([0, 59, 60]),
    st.sampled_from([0, 59, 60]),
)
values = st.one_of(
    iso,
    boundaries,
    near_iso,
    st.integers(-(2**60), 2**60),
    st.integers(-20_000, 20_000),
    st.sampled_from([True, 2**53, -(2**53), "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z"]),
    st.text(max_size=22),
)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(FORMATS), values)
def test_fast_paths_agree_with_the_general_parsers(spec: str, value: object) -> None:
    fmt = dates.DateFormat(spec)
    assert fast(fmt, value) == general(fmt, value)


@pytest.mark.parametrize(
    "text", ["2026-12-02T12:00:00Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"]
)
def test_plain_utc_text_is_read_without_the_general_parser(text: str) -> None:
    millis = dates.plain_utc_millis(text)
    assert millis is not None and millis == general(dates.DateFormat(), text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-02T12:00:00+01:00",
        "2026-12-02T12:00:00.5Z",
        "2026-13-02T12:00:00Z",
        "2026-12-02T12:00:60Z",
        "2026-12-02T12:60:00Z",
        "2026-12-02T24:00:00Z",
        "2023-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "0000-01-01T00:00:00Z",
    ],
)
def test_other_text_is_left_to_the_general_parser(text: str) -> None:
    assert dates.plain_utc_millis(text) is None
