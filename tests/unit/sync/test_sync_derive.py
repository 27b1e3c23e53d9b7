"""Derived fields: age as of the change's time, geo points in every source shape."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mutuo.sync.derive import FUNCTIONS, DeriveContext, MappingError

AT = DeriveContext(datetime(2026, 11, 22, 12, 0, tzinfo=UTC))


def derive(name: str, *values: object) -> object:
    return FUNCTIONS[name].apply(list(values), AT)


@pytest.mark.parametrize(
    ("birthdate", "age"),
    [
        ("1990-11-22", 36),  # birthday today
        ("1990-11-23", 35),  # birthday tomorrow
        ("2000-02-29", 26),  # leap day
        ("1990-11-22T23:59:59Z", 36),
        (datetime(1980, 1, 1, tzinfo=UTC), 46),
        (631152000000, 36),  # epoch millis of 1990-01-01
    ],
)
def test_age_is_whole_years_at_the_change_time(birthdate: object, age: int) -> None:
    assert derive("age_from_birthdate", birthdate) == age


def test_age_of_a_missing_birthdate_is_missing() -> None:
    assert derive("age_from_birthdate", None) is None


@pytest.mark.parametrize(
    "bad", ["22/11/1990", "1990-13-01", "soon", True, {"y": 1990}, "2100-01-01"]
)
def test_age_from_an_unreadable_or_future_birthdate_is_a_mapping_error(bad: object) -> None:
    with pytest.raises(MappingError):
        derive("age_from_birthdate", bad)


@pytest.mark.parametrize(
    "value",
    [
        {"lat": 37.77, "lon": -122.42},
        {"type": "Point", "coordinates": [-122.42, 37.77]},
        [-122.42, 37.77],
        "37.77, -122.42",
        {"lat": "37.77", "lon": "-122.42"},
    ],
)
def test_geo_point_reads_every_source_shape(value: object) -> None:
    assert derive("geo_point", value) == {"lat": 37.77, "lon": -122.42}


@pytest.mark.parametrize(
    "bad",
    [
        {"lat": 91, "lon": 0},
        {"lat": 0, "lon": 181},
        {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
        {"lat": "north", "lon": 1},
        {"lat": float("nan"), "lon": 1},
        [1, 2, 3],
        "somewhere",
    ],
)
def test_geo_point_refuses_what_is_not_a_valid_point(bad: object) -> None:
    with pytest.raises(MappingError):
        derive("geo_point", bad)


def test_lowercase_keywords() -> None:
    assert derive("lowercase", ["Hiking", "JAZZ"]) == ["hiking", "jazz"]
    assert derive("lowercase", "Active") == "active"
    with pytest.raises(MappingError):
        derive("lowercase", 3)


def test_completeness_counts_empty_text_lists_and_objects_as_missing_but_not_zero() -> None:
    assert derive("completeness", None, "", [], {}, 0, False, "bio", ["hiking"]) == 0.5
