"""JSON integers: exact up to 64 bits through orjson, exact beyond through the stdlib."""

from __future__ import annotations

import pytest

from mutuo.engine import codec


@pytest.mark.parametrize(
    "number",
    [
        7_711_124_441_459_065_132,  # a 19-digit external version (a MongoDB cluster time)
        2**63 - 1,
        -(2**63),
        2**64 - 1,
        2**64,  # beyond orjson: the exact path
        -(2**63) - 1,
        123_456_789_012_345_678_901_234,
    ],
)
def test_integers_keep_every_digit(number: int) -> None:
    parsed = codec.loads(f'{{"v": {number}, "f": [0.00012345678901234567, 1.5e-7]}}'.encode())
    assert parsed["v"] == number and isinstance(parsed["v"], int)


def test_long_fractions_and_digit_strings_are_not_mistaken_for_integers() -> None:
    parsed = codec.loads(b'{"f": 0.000123456789012345678901, "s": "123456789012345678901234"}')
    assert parsed == {"f": 0.000123456789012345678901, "s": "123456789012345678901234"}
