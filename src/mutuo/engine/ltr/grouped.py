"""Feature queries of one kind computed together over a window, not one query at a time.

A feature set is mostly a few query shapes repeated with different fields and params: a
``function_score`` with one ``field_value_factor``, ``match`` on a text field, a
``script_score`` with ``knn_score``. Run one by one, each pays its own reads and its own
Python overhead; here the window's work is shared:

* ``function_score`` with one function: ``field_value_factor`` columns side by side,
  each modifier applied once to all the functions that use it
  (:func:`.field_value_factor.values_together`), other functions (decays) one by one,
  then every query's weight, ``max_boost`` and ``boost_mode`` at once
  (:func:`.function_score.windows_from_values`);
* ``match`` queries on one field: one term x document BM25 matrix for all their terms
  (:func:`.match.windows_together`);
* ``knn_score`` scripts on one vector field: the window's vectors read once.

Each kind hands its results back through the query's own finishing code, with the same
arithmetic element by element, so a feature's values are identical to
:meth:`Query.run_window`'s (``tests/engine/ltr/test_ltr_grouped.py`` checks it). A query
whose shape is not recognised here, or that has a ``_name``, is left to the general path,
as is one whose values would raise an error (the general path raises it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import OpenSearchError
from ..queries import Query
from ..queries.function_score import FunctionScore, windows_from_values
from ..queries.functions import ScoreFunction
from ..queries.functions.field_value_factor import FieldValueFactor, values_together
from ..queries.match import Match, windows_together
from ..queries.script_score import ScriptScore
from ..search_context import SearchContext
from .features import Prepared


@dataclass
class Block:
    """Scoring window matches of some feature columns: what each query's
    :meth:`Query.run_window` gives, a row per column."""

    columns: list[int]
    mask: np.ndarray  # bool (columns, ordinals), or (ordinals,) shared by every column
    scores: np.ndarray  # float32 (columns, ordinals)


def effective_boost(query: Query) -> float:
    """The boost :meth:`Query.run_window` hands to :meth:`Query.window` (outer boost 1)."""
    return float(np.float32(1.0) * np.float32(query.boost))


def grouped_windows(
    ctx: SearchContext, ordinals: np.ndarray, prepared: list[Prepared]
) -> list[Block]:
    """The feature queries that run together, as blocks of columns."""
    out: list[Block] = []
    _lone_functions(ctx, ordinals, prepared, out)
    _matches(ctx, ordinals, prepared, out)
    _knn_scores(ctx, ordinals, prepared, out)
    return out


def _lone_functions(
    ctx: SearchContext, ordinals: np.ndarray, prepared: list[Prepared], out: list[Block]
) -> None:
    """``function_score`` features with one function: ``field_value_factor`` values
    computed side by side, other functions' values one by one, then every query's
    finishing (weight, ``max_boost``, ``boost_mode``) at once."""
    found: list[tuple[int, FunctionScore, ScoreFunction]] = []
    for column, query in enumerate(prepared):
        if isinstance(query, FunctionScore):
            function = query.lone_function()
            if function is not None:
                found.append((column, query, function))
    if not found:
        return
    live = ctx.live[ordinals]
    rows = np.flatnonzero(live)
    targets = ordinals[rows]
    factors = [i for i, (_c, _q, f) in enumerate(found) if isinstance(f, FieldValueFactor)]
    values = np.zeros((len(found), len(rows)), dtype=np.float64)
    valid = np.zeros(len(found), dtype=bool)
    if factors:
        together = [f for _c, _q, f in found if isinstance(f, FieldValueFactor)]
        values[factors], valid[factors] = values_together(together, ctx, targets)
    for i, (_column, _query, function) in enumerate(found):
        if not isinstance(function, FieldValueFactor):
            value = _or_none(function.values, ctx, targets)
            if value is not None:
                values[i], valid[i] = value, True
    kept = np.flatnonzero(valid).tolist()
    if not kept:
        return
    queries = [found[i][1] for i in kept]
    final, fine = windows_from_values(queries, [effective_boost(q) for q in queries], values[kept])
    scores = np.zeros((len(kept), len(ordinals)), dtype=np.float32)
    scores[:, rows] = final
    chosen = np.flatnonzero(fine)
    out.append(Block([found[kept[i]][0] for i in chosen.tolist()], live, scores[chosen]))


def _matches(
    ctx: SearchContext, ordinals: np.ndarray, prepared: list[Prepared], out: list[Block]
) -> None:
    by_field: dict[str, list[tuple[int, tuple[list[tuple[str, float]], int, float]]]] = {}
    for column, query in enumerate(prepared):
        if isinstance(query, Match) and type(query) is Match:
            clauses = _or_none(query.bm25_clauses, ctx)
            if clauses is not None:
                spec = (clauses[0], clauses[1], effective_boost(query))
                by_field.setdefault(query.field, []).append((column, spec))
    for field, entries in by_field.items():
        mask, scores = windows_together(ctx, field, [spec for _c, spec in entries], ordinals)
        out.append(Block([column for column, _spec in entries], mask, scores))


def _knn_scores(
    ctx: SearchContext, ordinals: np.ndarray, prepared: list[Prepared], out: list[Block]
) -> None:
    vectors: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for column, query in enumerate(prepared):
        if isinstance(query, ScriptScore):
            program = _or_none(query.lone_script, ctx)
            if program is None:
                continue
            boost = effective_boost(query)
            matches = _or_none(query.window_from_rows, ctx, program, ordinals, boost, vectors)
            if matches is not None:
                out.append(Block([column], matches.mask, matches.score_array()[None, :]))


def _or_none(compute: Callable[..., Any], *args: Any) -> Any:
    """``compute(*args)``, or None when it raises: the general path raises it itself."""
    try:
        return compute(*args)
    except OpenSearchError:
        return None
