"""Score explanations shaped like Lucene's, and Java's rendering of float scores.

OpenSearch prints scores as Java ``float`` values (``Float.toString``: the shortest
decimal that reads back as the same float32), so a BM25 score prints as ``0.2876821``,
not as the float64 ``0.28768208622932434`` that numpy's float32 widens to. The engine
computes in float32 and renders through :func:`java_float` so that clients read the very
numbers OpenSearch would send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


def java_float(value: float | np.floating[Any]) -> float:
    """The double a client reads for a Java float: shortest float32 repr, parsed back."""
    return float(str(np.float32(value)))


def java_floats(values: np.ndarray) -> list[float]:
    """:func:`java_float` over an array (a page of scores)."""
    return [float(s) for s in np.asarray(values, dtype=np.float32).astype(str)]


def java_float_str(value: float) -> str:
    """``Float.toString``: ``1.0``, ``0.2876821``, ``3.4028235E38``."""
    return _java_number_str(str(np.float32(value)))


def java_double_str(value: float) -> str:
    """``Double.toString``: ``461662.4130844683``, ``1.0E-5``, ``Infinity``."""
    return _java_number_str(repr(float(value)))


def _java_number_str(text: str) -> str:
    if text in ("inf", "-inf", "nan"):
        return {"inf": "Infinity", "-inf": "-Infinity", "nan": "NaN"}[text]
    mantissa, _, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    if exponent:
        return f"{mantissa}E{int(exponent)}"
    number = float(mantissa)
    if number != 0 and (abs(number) >= 1e7 or abs(number) < 1e-3):
        head, _, power = np.format_float_scientific(number, unique=True, trim="0").partition("e")
        return f"{head}E{int(power)}"
    return mantissa


@dataclass
class Explanation:
    """One node of a score explanation (``Explanation.match`` / ``noMatch`` in Lucene)."""

    value: float | int  # ints render as JSON integers (Lucene's long-valued details)
    description: str
    details: list[Explanation] = field(default_factory=list)
    match: bool = True

    @classmethod
    def no_match(cls, description: str, *details: Explanation) -> Explanation:
        return cls(0.0, description, list(details), match=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value if isinstance(self.value, int) else java_float(self.value),
            "description": self.description,
            "details": [d.to_json() for d in self.details],
        }
