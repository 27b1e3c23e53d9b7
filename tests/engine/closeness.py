"""A query whose score is a known function of one numeric vector: 1 / (1 + x^2).

Rescore and collapse tests index each document's ``x`` as a one-dimension ``knn_vector``
and score with ``knn_score`` (l2 to the origin), so every expected score can be computed
by hand without any text statistics.
"""

from __future__ import annotations

from typing import Any


def closeness(field: str, **extra: Any) -> dict[str, Any]:
    """``script_score`` scoring each document 1 / (1 + x^2), x being its ``field`` vector."""
    return {
        "script_score": {
            "query": {"match_all": {}},
            "script": {
                "lang": "knn",
                "source": "knn_score",
                "params": {"field": field, "query_value": [0.0], "space_type": "l2"},
            },
            **extra,
        }
    }
