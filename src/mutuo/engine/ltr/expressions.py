"""Lucene expressions (the ``derived_expression`` template language), evaluated over arrays.

A derived feature such as ``"title_query * 2 + log10(rating + 1)"`` is compiled once into
a small tree and evaluated for a whole window of documents with numpy, in double
precision, as Lucene's ``JavascriptCompiler`` evaluates it per document. Nothing here
executes Python code from the template: the grammar is parsed by hand and only the
operators and functions below exist.

Supported: numbers (decimal, ``0x`` hex, ``0`` octal), variables (``name`` or dotted
``a.b``), ``+ - * / %``, unary ``- + !``, comparisons and ``== !=`` (1 or 0), ``&& ||``,
``cond ? a : b`` and the functions of Lucene's default set except ``haversin``. Bitwise
operators are refused with a compile error rather than approximated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import OpenSearchError

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<num>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<id>[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*)"
    r"|(?P<op>>>>|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%!~&|^?:(),<>\[\]])"
    r")"
)

_FUNCTIONS: dict[str, tuple[int, Callable[..., np.ndarray]]] = {
    "abs": (1, np.abs),
    "acos": (1, np.arccos),
    "acosh": (1, np.arccosh),
    "asin": (1, np.arcsin),
    "asinh": (1, np.arcsinh),
    "atan": (1, np.arctan),
    "atan2": (2, np.arctan2),
    "atanh": (1, np.arctanh),
    "ceil": (1, np.ceil),
    "cos": (1, np.cos),
    "cosh": (1, np.cosh),
    "exp": (1, np.exp),
    "floor": (1, np.floor),
    "ln": (1, np.log),
    "log10": (1, np.log10),
    "logn": (2, lambda base, x: np.log(x) / np.log(base)),
    "max": (2, np.maximum),
    "min": (2, np.minimum),
    "pow": (2, np.power),
    "sin": (1, np.sin),
    "sinh": (1, np.sinh),
    "sqrt": (1, np.sqrt),
    "tan": (1, np.tan),
    "tanh": (1, np.tanh),
}

_BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "%": np.fmod,  # Java's remainder keeps the dividend's sign, like fmod
    "<": lambda a, b: (a < b).astype(np.float64),
    "<=": lambda a, b: (a <= b).astype(np.float64),
    ">": lambda a, b: (a > b).astype(np.float64),
    ">=": lambda a, b: (a >= b).astype(np.float64),
    "==": lambda a, b: (a == b).astype(np.float64),
    "!=": lambda a, b: (a != b).astype(np.float64),
    "&&": lambda a, b: ((a != 0) & (b != 0)).astype(np.float64),
    "||": lambda a, b: ((a != 0) | (b != 0)).astype(np.float64),
}

# binding power of each binary operator (higher binds tighter), as in JavaScript
_PRECEDENCE = {
    "||": 1,
    "&&": 2,
    "==": 6,
    "!=": 6,
    "<": 7,
    "<=": 7,
    ">": 7,
    ">=": 7,
    "+": 9,
    "-": 9,
    "*": 10,
    "/": 10,
    "%": 10,
}
_BITWISE = {"&", "|", "^", "~", "<<", ">>", ">>>"}


class ExpressionError(OpenSearchError):
    """A derived expression that does not compile (``script_exception`` "compile error")."""

    status = 400
    error_type = "script_exception"

    def __init__(self, source: str, detail: str) -> None:
        cause = OpenSearchError(
            f"Invalid expression '{source}': {detail}", error_type="parse_exception", status=400
        )
        super().__init__("compile error", caused_by=cause, lang="expression", script=source)


# A compiled node: a function of the variable bindings returning a float64 array.
Bindings = dict[str, np.ndarray]
Evaluator = Callable[[Bindings], np.ndarray]


@dataclass
class Expression:
    source: str
    variables: list[str]  # in order of first appearance
    _root: Evaluator

    def evaluate(self, bindings: Bindings) -> np.ndarray:
        """float64 results; every variable must be bound to an array (or a 0-d constant)."""
        with np.errstate(all="ignore"):
            return np.asarray(self._root(bindings), dtype=np.float64)


def compile_expression(source: str) -> Expression:
    tokens = _tokenize(source)
    parser = _Parser(source, tokens)
    root = parser.expression(0)
    if parser.pos != len(tokens):
        raise ExpressionError(source, f"unexpected token [{tokens[parser.pos][1]}]")
    return Expression(source, parser.variables, root)


def _tokenize(source: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = source.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(source, f"unexpected character at position {pos}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    if not tokens:
        raise ExpressionError(source, "empty expression")
    return tokens


class _Parser:
    def __init__(self, source: str, tokens: list[tuple[str, str]]) -> None:
        self.source = source
        self.tokens = tokens
        self.pos = 0
        self.variables: list[str] = []

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise ExpressionError(self.source, "unexpected end of expression")
        if expected is not None and token[1] != expected:
            raise ExpressionError(self.source, f"expected [{expected}] but found [{token[1]}]")
        self.pos += 1
        return token

    def expression(self, min_power: int) -> Evaluator:
        left = self._unary()
        while (token := self._peek()) is not None and token[0] == "op":
            op = token[1]
            if op in _BITWISE:
                raise ExpressionError(
                    self.source, f"bitwise operator [{op}] is not supported by the embedded engine"
                )
            if op == "?" and min_power == 0:
                left = self._ternary(left)
                continue
            power = _PRECEDENCE.get(op)
            if power is None or power <= min_power:
                break
            self.pos += 1
            right = self.expression(power)
            left = _binary(_BINARY[op], left, right)
        return left

    def _ternary(self, condition: Evaluator) -> Evaluator:
        self._take("?")
        yes = self.expression(0)
        self._take(":")
        no = self.expression(0)
        return lambda b: np.where(condition(b) != 0, yes(b), no(b))

    def _unary(self) -> Evaluator:
        kind, text = self._take()
        if kind == "num":
            return _constant(_number(text))
        if kind == "id":
            if (nxt := self._peek()) is not None and nxt[1] == "(":
                return self._call(text)
            if (nxt := self._peek()) is not None and nxt[1] == "[":
                raise ExpressionError(self.source, "array-style variables are not supported")
            if text not in self.variables:
                self.variables.append(text)
            return _variable(text)
        if text == "(":
            inner = self.expression(0)
            self._take(")")
            return inner
        if text in ("-", "+", "!"):
            operand = self._unary()
            if text == "-":
                return lambda b: -operand(b)
            if text == "!":
                return lambda b: (operand(b) == 0).astype(np.float64)
            return operand
        if text in _BITWISE:
            raise ExpressionError(
                self.source, f"bitwise operator [{text}] is not supported by the embedded engine"
            )
        raise ExpressionError(self.source, f"unexpected token [{text}]")

    def _call(self, name: str) -> Evaluator:
        if name == "haversin":
            raise ExpressionError(
                self.source, "function [haversin] is not supported by the embedded engine"
            )
        if name not in _FUNCTIONS:
            raise ExpressionError(self.source, f"Unrecognized function call ({name}).")
        arity, function = _FUNCTIONS[name]
        self._take("(")
        args: list[Evaluator] = []
        if (nxt := self._peek()) is not None and nxt[1] != ")":
            args.append(self.expression(0))
            while (nxt := self._peek()) is not None and nxt[1] == ",":
                self.pos += 1
                args.append(self.expression(0))
        self._take(")")
        if len(args) != arity:
            raise ExpressionError(
                self.source,
                f"Expected ({arity}) arguments for function call ({name}), but found ({len(args)}).",
            )
        return lambda b: function(*(a(b) for a in args))


def _binary(
    op: Callable[[np.ndarray, np.ndarray], np.ndarray], left: Evaluator, right: Evaluator
) -> Evaluator:
    return lambda b: op(left(b), right(b))


def _constant(value: float) -> Evaluator:
    array = np.asarray(value, dtype=np.float64)
    return lambda _b: array


def _variable(name: str) -> Evaluator:
    return lambda bindings: bindings[name]


def _number(text: str) -> float:
    if text[:2].lower() == "0x":
        return float(int(text, 16))
    if len(text) > 1 and text[0] == "0" and text.isdigit():
        return float(int(text, 8))
    return float(text)
