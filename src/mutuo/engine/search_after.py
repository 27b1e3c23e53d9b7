"""``search_after`` and the merge of sorted per-shard hits.

``search_after`` keeps documents strictly after the given values in sort order (equal
on every key counts as not after, as OpenSearch builds the "after" doc with the highest
doc id); the values are read like the field's sort values (dates as text or millis,
null for a missing keyword). The merge orders the shards' sorted tops by their printed
sort values, ties broken by shard position then ordinal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from .columns import KeywordColumn
from .docvalues import SORT_TYPES, id_ranks, sorted_terms
from .errors import IllegalArgumentError, ParsingError
from .fields import DATE, KEYWORD
from .search_context import SearchContext
from .sort import ShardKeys, SortField, directed, half_rank, int_dtype, missing_value


class SortedShard(Protocol):
    """What the merge needs of a shard's hits (ShardHits, or a top_hits bucket slice)."""

    ordinals: np.ndarray
    scores: np.ndarray
    extras: dict[str, Any]


# -- search_after -------------------------------------------------------------------------


def after_mask(
    ctx: SearchContext,
    sort: list[SortField],
    keys: ShardKeys,
    after: list[Any],
    ordinals: np.ndarray,
) -> np.ndarray:
    """Which of ``ordinals`` sort strictly after the ``search_after`` values."""
    n = len(ordinals)
    result = np.zeros(n, dtype=bool)
    equal = np.ones(n, dtype=bool)
    for spec, pos, value in zip(sort, keys.positions, after, strict=True):
        target = _after_position(ctx, spec, value)
        result |= equal & (pos > target)
        equal &= pos == target
    return result


def _after_position(ctx: SearchContext, spec: SortField, value: Any) -> Any:
    if spec.field == "_score":
        return directed(np.array([float(value)]), spec.reverse)[0]
    if spec.field == "_doc":
        return directed(np.array([int(value)], dtype=np.int64), spec.reverse)[0]
    if spec.field == "_id":
        _rank, sorted_ids = id_ranks(ctx)
        return directed(
            np.array([half_rank(sorted_ids, str(value))], dtype=np.int64), spec.reverse
        )[0]
    if spec.points is not None:
        return directed(np.array([float(value)]), spec.reverse)[0]
    mapper = ctx.mapper(spec.field)
    if mapper is None:
        return 0
    column = ctx.shard.column(mapper.path)
    if isinstance(column, KeywordColumn) or mapper.kind == KEYWORD:
        terms = sorted_terms(ctx, mapper.path) if column is not None else []
        if value is None:
            low = (spec.missing == "_first") != spec.reverse
            half = -1 if low else 2 * len(terms) + 2
        else:
            half = half_rank(terms, str(value))
        return directed(np.array([half], dtype=np.int64), spec.reverse)[0]
    sort_type = SORT_TYPES.get(mapper.type, "double")
    if value is None:
        parsed = missing_value(ctx, spec, mapper.path, sort_type)
    elif mapper.kind == DATE and isinstance(value, str):
        parsed = ctx.parse_numeric(mapper, value)
    else:
        parsed = value
    floating = sort_type in ("float", "double") or spec.mode in ("avg", "median")
    try:
        arr = (
            np.array([float(parsed)])
            if floating
            else np.array([int(parsed)], dtype=int_dtype(sort_type))
        )
    except (TypeError, ValueError):
        raise IllegalArgumentError(
            f"Failed to parse search_after value [{value}] for field [{spec.field}]"
        ) from None
    return directed(arr, spec.reverse)[0]


def check_search_after(sort: list[SortField], after: Any, from_: int) -> list[Any]:
    if not isinstance(after, list):
        raise ParsingError("[search_after] must be an array")
    if len(after) != len(sort):
        raise IllegalArgumentError(
            f"search_after has {len(after)} value(s) but sort has {len(sort)}."
        )
    if from_ > 0:
        raise IllegalArgumentError("[from] parameter must be set to 0 when [search_after] is used.")
    return after


# -- top hits and merge -------------------------------------------------------------------


def shard_top(keys: ShardKeys, ordinals: np.ndarray, window: int) -> np.ndarray:
    """Indices into ``ordinals`` of the shard's best ``window`` hits, in order."""
    if not len(ordinals) or window == 0:
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((ordinals, *reversed(keys.positions)))
    return order[:window]


def merge_sorted(
    sort: list[SortField], shards: Sequence[SortedShard], tops: list[np.ndarray], window: int
) -> list[tuple[int, int, float, list[Any]]]:
    """Merge the shards' sorted tops: (shard position, ordinal, score, sort values)."""
    rows: list[tuple[int, int, float, list[Any]]] = []
    for pos, (shard, top) in enumerate(zip(shards, tops, strict=True)):
        keys = shard.extras["sort_keys"]
        rendered = [render(top) for render in keys.render]
        for i, idx in enumerate(top.tolist()):
            values = [column[i] for column in rendered]
            rows.append((pos, int(shard.ordinals[idx]), float(shard.scores[idx]), values))
    if len(shards) > 1:
        for k in reversed(range(len(sort))):
            rows.sort(key=_row_key(sort[k], k), reverse=sort[k].reverse)
    return rows[:window]


def _row_key(
    spec: SortField, k: int
) -> Callable[[tuple[int, int, float, list[Any]]], tuple[int, Any]]:
    return lambda row: _python_key(spec, row[3][k])


def _python_key(spec: SortField, value: Any) -> tuple[int, Any]:
    if value is None:
        last = spec.missing != "_first"
        return (1 if last != spec.reverse else -1, "")
    return (0, value)
