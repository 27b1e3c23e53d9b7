"""``minimum_should_match`` in all its forms (Lucene's ``calculateMinShouldMatch``)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..errors import ParsingError


def resolve_minimum_should_match(spec: Any, optional_count: int, default: int) -> int:
    """How many of ``optional_count`` optional clauses must match.

    Forms: ``3``, ``-2``, ``"75%"``, ``"-25%"``, ``"3<90%"`` and ``"2<-25% 9<-3"``; the
    result is clamped to [0, optional_count] as OpenSearch does.
    """
    if spec is None:
        return default
    result = _calculate(optional_count, str(spec).strip())
    return max(0, min(result, optional_count))


def _calculate(count: int, spec: str) -> int:
    result = count
    if "<" in spec:
        for part in spec.split():
            m = re.fullmatch(r"(\d+)<(.+)", part)
            if m is None:
                raise ParsingError(f"Invalid minimum_should_match [{spec}]")
            if count <= int(m.group(1)):
                return result
            result = _calculate(count, m.group(2))
        return result
    try:
        if spec.endswith("%"):
            percent = int(spec[:-1])
            calc = float(np.float32(result * percent) * np.float32(1 / 100))
            result = result + int(calc) if calc < 0 else int(calc)
        else:
            calc_int = int(spec)
            result = result + calc_int if calc_int < 0 else calc_int
    except ValueError:
        raise ParsingError(f"Invalid minimum_should_match [{spec}]") from None
    return max(result, 0)
