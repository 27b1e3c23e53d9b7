"""The ``knn`` query's options as the k-NN plugin parses them (``KNNQueryBuilder``): the
vector, ``k``/``min_score``/``max_distance``, ``method_parameters`` and ``rescore``, with
the plugin's error types and wording. Checks that need the mapping (dimension, space
type, data type) run at execution, in :mod:`.knn`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import IllegalArgumentError, ParsingError, XContentParseError

K_MAX = 10_000
KEYS = {
    "vector",
    "k",
    "filter",
    "min_score",
    "max_distance",
    "method_parameters",
    "rescore",
    "expand_nested_docs",
    "ignore_unmapped",
    "boost",
    "_name",
}


def query_vector(value: Any) -> np.ndarray:
    if not isinstance(value, list) or not value:
        raise IllegalArgumentError("[knn] field 'vector' requires to be non-null and non-empty")
    try:
        vector = np.asarray(value)
    except ValueError:
        vector = np.asarray([None])
    if vector.ndim != 1 or vector.dtype.kind not in "iuf":  # bools, strings, nested lists
        raise IllegalArgumentError("[knn] field 'vector' requires to be an array of numbers")
    return vector.astype(np.float32)


def number(spec: dict[str, Any], key: str, kind: type) -> Any:
    if spec.get(key) is None:
        return None
    value = spec[key]
    try:
        if isinstance(value, bool):
            raise ValueError
        return kind(value)
    except (TypeError, ValueError):
        raise XContentParseError(f"[knn] failed to parse field [{key}]") from None


def method_parameters(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value:
        raise ParsingError("method_parameters cannot be empty")
    for name in value:
        if name not in ("ef_search", "nprobes"):
            raise ParsingError(f"[knn] unknown method parameter found [{name}]")
    if "nprobes" in value:
        raise _unsupported_nprobes()
    raw = value["ef_search"]
    try:
        ef = int(str(raw))
    except ValueError:
        raise ParsingError("ef_search value must be an integer") from None
    if ef <= 0:
        raise IllegalArgumentError(
            "[knn] errors in method parameter [Validation Failed: 1: ef_search should be greater "
            "than 0;]"
        )
    return ef


def _unsupported_nprobes() -> IllegalArgumentError:
    return IllegalArgumentError(
        "Parameters not valid for [faiss]:[hnsw]:[k] combination: [Validation Failed: 1: Unknown "
        "parameter 'nprobes' found;]"
    )


def check_rescore(value: Any, max_distance: float | None, min_score: float | None) -> None:
    """``rescore`` only matters for quantised vectors; 1x vectors are already exact."""
    if value is None or isinstance(value, bool):
        return
    if not isinstance(value, dict) or set(value) - {"oversample_factor"}:
        raise XContentParseError("[knn] failed to parse field [rescore]")
    factor = float(value.get("oversample_factor", 1.0))
    if not 1.0 <= factor <= 100.0:
        bound = "less than [1.000000]" if factor < 1.0 else "more than [100.000000]"
        raise IllegalArgumentError(
            f"[knn] errors in rescore parameter [Validation Failed: 1: Oversample factor "
            f"[{factor:.6f}] cannot be {bound};]"
        )
    for radial, given in (("max_distance", max_distance), ("min_score", min_score)):
        if given is not None:
            raise IllegalArgumentError(
                f"The following fields are not allowed together: [rescore, {radial}]"
            )
