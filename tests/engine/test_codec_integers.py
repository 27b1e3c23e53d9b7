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


def _reference_has_big_int(raw: bytes) -> bool:
    """The screen as it was before the literal needles: the regex alone decides."""
    classes = b" " + raw.translate(codec._CLASSES) + b" "
    if not codec._CANDIDATE.search(classes):
        return False
    return any(not -(2**63) <= int(m) <= 2**64 - 1 for m in codec._BIG_INT.findall(raw))


@pytest.mark.parametrize(
    "body",
    [
        b'{"v": [0.0012345678901234567, -0.0012345678901234567, 12.5]}',
        b'{"v": 18446744073709551616}',
        b'{"v": [1, 18446744073709551615]}',
        b'{"v": -9223372036854775809}',
        b'{"v": -9223372036854775808}',
        b'{"v": 100000000000000000000.5}',
        b'{"v": 1e-0000000000000000000001}',
        b"[-12345678901234567890123,0.1]",
        b'{"s": "12345678901234567890123", "n": 12345678901234567890123}',
    ],
)
def test_big_integer_screen_agrees_with_the_regex(body: bytes) -> None:
    assert codec._has_big_int(body) == _reference_has_big_int(body)


def test_big_integer_after_a_long_vector_keeps_every_digit() -> None:
    vector = ",".join(f"{(i % 97) * 0.00012345678901234:.17f}" for i in range(1200))
    parsed = codec.loads(f'{{"v": [{vector}], "n": {2**70}}}'.encode())
    assert parsed["n"] == 2**70 and isinstance(parsed["n"], int) and len(parsed["v"]) == 1200


def test_a_bulk_screens_its_body_once_and_keeps_big_integers_exact() -> None:
    from mutuo.engine import Engine

    engine = Engine(":memory:")
    try:
        engine.handle("PUT", "/docs", {}, b'{"mappings":{"dynamic":false}}')  # stored only
        big = 2**70
        body = (
            b'{"index":{"_index":"docs","_id":"1"}}\n{"n":1,"k":"x"}\n'
            + b'{"index":{"_index":"docs","_id":"2"}}\n{"k":"'
            + str(big).encode()
            + b'"}\n{"update":{"_index":"docs","_id":"1"}}\n{"doc":{"big":'
            + str(big).encode()
            + b"}}\n"
        )
        status, _h, out = engine.handle("POST", "/_bulk", {"refresh": "true"}, body)
        assert status == 200 and not codec.loads(out)["errors"]
        _s, _h, source = engine.handle("GET", "/docs/_source/1", {}, None)
        assert source == b'{"n":1,"k":"x","big":' + str(big).encode() + b"}"
        # without one in the body, every line takes the fast parse and reads the same
        plain = b'{"index":{"_index":"docs","_id":"3"}}\n{"n":18446744073709551615}\n'
        engine.handle("POST", "/_bulk", {}, plain)
        _s, _h, source = engine.handle("GET", "/docs/_source/3", {}, None)
        assert source == b'{"n":18446744073709551615}'
    finally:
        engine.close()
