"""Derived-feature expressions: Lucene's JavaScript-like grammar over numpy arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mutuo.engine.ltr.expressions import ExpressionError, compile_expression


def evaluate(source: str, **variables: float) -> float:
    bindings = {k: np.asarray([v], dtype=np.float64) for k, v in variables.items()}
    return float(np.broadcast_to(compile_expression(source).evaluate(bindings), (1,))[0])


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7.0),
        ("(1 + 2) * 3", 9.0),
        ("10 - 4 - 3", 3.0),
        ("2 * -3", -6.0),
        ("-(2 + 3)", -5.0),
        ("7 % 3", 1.0),
        ("-7 % 3", -1.0),  # Java remainder keeps the dividend's sign
        ("0x10 + 010", 24.0),  # hex and octal literals
        ("1.5e2", 150.0),
        ("3 > 2", 1.0),
        ("3 <= 2", 0.0),
        ("2 == 2 && 1 != 1", 0.0),
        ("0 || 5", 1.0),
        ("!0", 1.0),
        ("1 > 2 ? 10 : 20", 20.0),
        ("1 ? 2 ? 3 : 4 : 5", 3.0),
        ("max(2, 5) + min(2, 5)", 7.0),
        ("pow(2, 10)", 1024.0),
        ("ln(exp(2))", 2.0),
        ("log10(1000)", 3.0),
        ("logn(2, 8)", 3.0),
        ("sqrt(16) + abs(-1) + floor(1.7) + ceil(1.2)", 8.0),
        ("atan2(1, 1) * 4", math.pi),
    ],
)
def test_arithmetic_follows_javascript_precedence_and_java_math(
    source: str, expected: float
) -> None:
    assert evaluate(source) == pytest.approx(expected)


def test_variables_bind_features_and_params_in_order_of_appearance() -> None:
    expression = compile_expression("title_score * weight + log10(rating + 1) + title_score")
    assert expression.variables == ["title_score", "weight", "rating"]
    rows = {
        "title_score": np.array([1.0, 2.0]),
        "weight": np.asarray(3.0),
        "rating": np.array([9.0, 99.0]),
    }
    np.testing.assert_allclose(expression.evaluate(rows), [5.0, 10.0])


def test_division_by_zero_and_nan_follow_ieee_doubles() -> None:
    assert evaluate("1 / 0") == math.inf
    assert math.isnan(evaluate("0 / 0"))
    assert math.isnan(evaluate("x + 1", x=math.nan))
    assert evaluate("x != 0", x=math.nan) == 1.0  # NaN is "true", as in Java


@pytest.mark.parametrize(
    ("source", "detail"),
    [
        ("1 +", "unexpected end of expression"),
        ("1 2", "unexpected token [2]"),
        ("foo(1)", "Unrecognized function call (foo)."),
        ("max(1)", "Expected (2) arguments for function call (max), but found (1)."),
        ("a & b", "bitwise operator [&] is not supported"),
        ("~a", "bitwise operator [~] is not supported"),
        ("haversin(1, 2, 3, 4)", "function [haversin] is not supported"),
        ("doc[0]", "array-style variables are not supported"),
        ("1 # 2", "unexpected character"),
        ("", "empty expression"),
    ],
)
def test_invalid_expressions_are_compile_errors(source: str, detail: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(source)
    body = info.value.body()["error"]
    assert (body["type"], body["reason"]) == ("script_exception", "compile error")
    assert detail in body["caused_by"]["reason"]
