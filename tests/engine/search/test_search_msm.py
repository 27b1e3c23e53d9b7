"""``minimum_should_match`` in all its forms (Lucene's calculateMinShouldMatch)."""

from __future__ import annotations

import pytest

from mutuo.engine.errors import ParsingError
from mutuo.engine.queries.msm import resolve_minimum_should_match


@pytest.mark.parametrize(
    ("spec", "count", "expected"),
    [
        (None, 4, 1),
        (2, 4, 2),
        ("2", 4, 2),
        (-1, 4, 3),
        ("75%", 4, 3),
        ("75%", 3, 2),  # 2.25 rounds down
        ("-25%", 4, 3),
        ("-25%", 3, 3),  # -0.75 rounds towards zero: nothing subtracted
        ("3<90%", 3, 3),  # up to 3 clauses: all required
        ("3<90%", 4, 3),
        ("3<90%", 10, 9),
        ("2<-25% 9<-3", 2, 2),
        ("2<-25% 9<-3", 5, 4),
        ("2<-25% 9<-3", 10, 7),
        (7, 4, 4),  # never more than the clauses there are
        (-9, 4, 0),
    ],
)
def test_forms(spec: object, count: int, expected: int) -> None:
    assert resolve_minimum_should_match(spec, count, 1 if spec is None else 0) == expected


def test_malformed_spec_is_a_parsing_exception() -> None:
    with pytest.raises(ParsingError):
        resolve_minimum_should_match("lots", 3, 0)
