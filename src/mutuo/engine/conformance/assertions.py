"""Assertions of the REST YAML format, judged on the last response.

Each assertion takes the actual value (already looked up by path), the expected value
(stash references resolved) and raises :class:`AssertionFailure` with a message that
says what differed. Semantics follow the Java runner: regex matches use find with the
COMMENTS flag, numbers of different types compare as doubles, ``is_true`` judges the
value's text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from .stash import to_java_string


class AssertionFailure(AssertionError):
    """An assertion of a test section did not hold."""


def is_regex(expected: Any) -> bool:
    if not isinstance(expected, str):
        return False
    text = expected.strip()
    return len(text) > 1 and text.startswith("/") and text.endswith("/")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def values_equal(expected: Any, actual: Any, epsilon: float | None = None) -> bool:
    """Deep equality where booleans never equal numbers and numbers compare as doubles."""
    if _number(expected) and _number(actual):
        if epsilon is not None:
            return abs(float(expected) - float(actual)) <= epsilon
        return float(expected) == float(actual)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            values_equal(expected[k], actual[k], epsilon) for k in expected
        )
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(
            values_equal(e, a, epsilon) for e, a in zip(expected, actual, strict=True)
        )
    if type(expected) is not type(actual) and not (_number(expected) and _number(actual)):
        return False
    return bool(expected == actual)


def check_match(path: str, actual: Any, expected: Any, epsilon: float | None = None) -> None:
    if is_regex(expected):
        if not isinstance(actual, str):
            raise AssertionFailure(
                f"field [{path}] is not a string ({to_java_string(actual)}), cannot match "
                f"regex {expected}"
            )
        pattern = expected.strip()[1:-1]
        if re.search(pattern, actual, re.VERBOSE) is None:
            raise AssertionFailure(f"field [{path}] [{actual}] does not match regex {expected}")
        return
    if expected is None:
        if actual is not None:
            raise AssertionFailure(f"field [{path}] expected null but was [{_show(actual)}]")
        return
    if actual is None:
        raise AssertionFailure(f"field [{path}] expected [{_show(expected)}] but not found")
    if not values_equal(expected, actual, epsilon):
        raise AssertionFailure(
            f"field [{path}] does not match: expected [{_show(expected)}] but was [{_show(actual)}]"
        )


def check_length(path: str, actual: Any, expected: Any) -> None:
    if isinstance(actual, list | dict | str):
        size = len(actual)
    else:
        raise AssertionFailure(f"field [{path}] has no length: [{_show(actual)}]")
    if size != int(expected):
        raise AssertionFailure(f"field [{path}] has length {size}, expected {expected}")


def truthy(value: Any) -> bool:
    if value is None:
        return False
    text = to_java_string(value)
    return text not in ("", "0") and text.lower() != "false"


def check_is_true(path: str, actual: Any, _expected: Any = None) -> None:
    if not truthy(actual):
        raise AssertionFailure(f"field [{path}] expected to be true but was [{_show(actual)}]")


def check_is_false(path: str, actual: Any, _expected: Any = None) -> None:
    if truthy(actual):
        raise AssertionFailure(f"field [{path}] expected to be false but was [{_show(actual)}]")


def _comparison(symbol: str, holds: Callable[[Any, Any], bool]) -> Callable[[str, Any, Any], None]:
    def check(path: str, actual: Any, expected: Any) -> None:
        if actual is None:
            raise AssertionFailure(f"field [{path}] not found, cannot compare with {expected}")
        comparable = (_number(actual) and _number(expected)) or (
            isinstance(actual, str) and isinstance(expected, str)
        )
        if not comparable:
            raise AssertionFailure(
                f"field [{path}] [{_show(actual)}] cannot be compared with [{_show(expected)}]"
            )
        if not holds(actual, expected):
            raise AssertionFailure(
                f"field [{path}] is [{_show(actual)}], expected {symbol} {_show(expected)}"
            )

    return check


def check_contains(path: str, actual: Any, expected: Any) -> None:
    if not isinstance(actual, list):
        raise AssertionFailure(f"field [{path}] is not a list: [{_show(actual)}]")
    for item in actual:
        if isinstance(expected, dict) and isinstance(item, dict):
            if all(k in item and values_equal(v, item[k]) for k, v in expected.items()):
                return
        elif values_equal(expected, item):
            return
    raise AssertionFailure(f"field [{path}] does not contain [{_show(expected)}]")


def check_close_to(path: str, actual: Any, expected: Any) -> None:
    if not isinstance(expected, dict) or "value" not in expected or "error" not in expected:
        raise AssertionFailure(f"close_to on [{path}] needs {{value, error}}, got [{expected}]")
    if not _number(actual):
        raise AssertionFailure(f"field [{path}] is not a number: [{_show(actual)}]")
    value, error = float(expected["value"]), float(expected["error"])
    if not math.isclose(float(actual), value, rel_tol=0, abs_tol=error):
        raise AssertionFailure(f"field [{path}] is {actual}, expected {value} ± {error}")


def _show(value: Any) -> str:
    text = to_java_string(value)
    return text if len(text) <= 300 else text[:300] + "..."


CHECKS: dict[str, Callable[[str, Any, Any], None]] = {
    "match": check_match,
    "length": check_length,
    "is_true": check_is_true,
    "is_false": check_is_false,
    "gt": _comparison(">", lambda a, e: a > e),
    "gte": _comparison(">=", lambda a, e: a >= e),
    "lt": _comparison("<", lambda a, e: a < e),
    "lte": _comparison("<=", lambda a, e: a <= e),
    "contains": check_contains,
    "close_to": check_close_to,
}
