"""Evaluating a ``bool``'s clauses on the rows in play rather than on shard-sized masks.

Once few documents are left (or a required clause's cached matches are few), each
remaining clause is asked about those rows only (:meth:`Query.run_window`), and about
only the rows its predecessors kept, instead of building a shard-sized mask per clause.
This pays while the rows are few (gathers cost more per row than mask arithmetic), hence
the thresholds in :mod:`.bool`. Positions returned are into the
``rows`` handed in, so a caller keeps its own alignment (a window's or the shard's).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from ..search_context import FILTER_CACHE_ENTRIES, SearchContext
from . import Query

_ORDINALS = "filter_ordinals"  # per-refresh cache entry: filter key -> its few ordinals


def smallest_required(
    ctx: SearchContext, ordered: list[tuple[Query, bool]], limit: float
) -> tuple[int, np.ndarray] | None:
    """The required clause with the fewest matches, if under ``limit`` and known cheaply:
    (its position in ``ordered``, its matching ordinals). Only a clause whose mask the
    filter cache keeps for the whole shard qualifies (a postings or column lookup: a
    distance step's ``term``), so asking it costs a lookup once per refresh."""
    best: tuple[int, np.ndarray] | None = None
    for at, (clause, negate) in enumerate(ordered):
        if negate or clause.cost > 1 or not clause.ignores_domain():
            continue
        key = clause.cached_filter_key(ctx)
        if key is None:
            continue
        ordinals = _filter_ordinals(ctx, clause, key, limit)
        if ordinals is not None and (best is None or len(ordinals) < len(best[1])):
            best = (at, ordinals)
    return best


def _filter_ordinals(
    ctx: SearchContext, clause: Query, key: Any, limit: float
) -> np.ndarray | None:
    """The ordinals of a cacheable filter's mask when fewer than ``limit`` (else None),
    kept per refresh beside the filter cache under the same key."""
    memo: OrderedDict[Any, np.ndarray | None] = ctx.cache.setdefault(_ORDINALS, OrderedDict())
    if key in memo:
        memo.move_to_end(key)
        return memo[key]
    mask = clause.run(ctx, False).mask
    ordinals = np.flatnonzero(mask) if np.count_nonzero(mask) < limit else None
    memo[key] = ordinals
    while len(memo) > FILTER_CACHE_ENTRIES:
        memo.popitem(last=False)
    return ordinals


def required_rows(
    ctx: SearchContext, ordered: list[tuple[Query, bool]], rows: np.ndarray, narrow: bool
) -> np.ndarray:
    """Positions in ``rows`` that every clause keeps (a ``must_not``: that it does not
    match); when ``narrow``, each clause is asked only about the rows its predecessors
    kept. Every clause is asked, even about no rows, so that its errors are raised as on
    the shard-wide path."""
    if not narrow:
        keep = np.ones(len(rows), dtype=bool)
        for clause, negate in ordered:
            hit = clause.run_window(ctx, rows, False).mask
            keep &= ~hit if negate else hit
        return np.flatnonzero(keep)
    kept = np.arange(len(rows))
    for clause, negate in ordered:
        hit = clause.run_window(ctx, rows[kept], False).mask
        kept = kept[~hit if negate else hit]
    return kept


def should_rows(
    ctx: SearchContext, shoulds: list[Query], rows: np.ndarray, required: int, narrow: bool
) -> np.ndarray:
    """Positions in ``rows`` matching at least ``required`` of ``shoulds`` (all of them
    when none is required). When ``narrow`` and one match is required, a clause is asked
    only about the rows no earlier clause matched."""
    if not shoulds:
        return np.arange(len(rows))
    if required <= 1 and narrow:
        pending = np.arange(len(rows))
        for clause in shoulds:
            hit = clause.run_window(ctx, rows[pending], False).mask
            pending = pending[~hit]
        if required == 0:
            return np.arange(len(rows))
        matched = np.ones(len(rows), dtype=bool)
        matched[pending] = False
        return np.flatnonzero(matched)
    count = np.zeros(len(rows), dtype=np.int32)
    for clause in shoulds:
        count += clause.run_window(ctx, rows, False).mask
    return np.flatnonzero(count >= required)


def domain_size(ctx: SearchContext) -> int:
    domain = ctx.domain
    assert domain is not None
    return int(np.count_nonzero(domain)) if domain.dtype == np.bool_ else len(domain)
