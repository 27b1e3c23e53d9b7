"""``_search`` and ``_count``: run the query per index, merge, fetch.

The phases mirror OpenSearch's: a query phase per index (vectorised over the shard's
columns; aggregations collect here, before ``post_filter``), a merge of the per-index
top hits (by score, or by the ``sort`` keys; ties broken by index, then ordinal, like
shard then Lucene doc id), and a fetch phase that builds the page's hits only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .aggs import ReduceContext, collect_all, reduce_all
from .errors import (
    IllegalArgumentError,
    OpenSearchError,
    ParsingError,
    SearchPhaseExecutionError,
    wrap_shard_failure,
)
from .explanation import java_float
from .features import FetchedHit
from .fetch import FetchSpec, PageRow, build_hits, load_sources
from .queries import Query, parse_query
from .search_after import after_mask, merge_sorted, shard_top
from .search_context import SearchContext
from .search_request import DEFAULT_TRACK_TOTAL_HITS, ParsedSearch
from .sort import shard_keys

if TYPE_CHECKING:
    from .engine import Engine
    from .index import Index


@dataclass
class ShardHits:
    """What one index contributes: matching ordinals with their scores."""

    index: Index
    ctx: SearchContext
    ordinals: np.ndarray
    scores: np.ndarray
    total: int
    extras: dict[str, Any] = field(default_factory=dict)


def run_query(
    engine: Engine,
    index: Index,
    search: ParsedSearch,
    now_ms: int,
    alias_filter: Query | None = None,
) -> ShardHits:
    ctx = SearchContext(engine, index, now_ms)
    try:
        return _query_phase(ctx, search, alias_filter)
    except (ParsingError, IllegalArgumentError) as err:
        raise wrap_shard_failure(index.name, err) from None
    except OpenSearchError as err:
        # a terms lookup into a missing index fails before the shards run, as on a cluster
        if err.error_type in ("search_phase_execution_exception", "index_not_found_exception"):
            raise
        raise wrap_shard_failure(index.name, err) from None


def _query_phase(ctx: SearchContext, search: ParsedSearch, alias_filter: Query | None) -> ShardHits:
    scoring = search.needs_scores
    query = search.query
    matches = query.run(ctx, scoring) if query is not None else ctx.everything(1.0)
    mask = matches.mask & ctx.live
    if alias_filter is not None:
        mask &= alias_filter.run(ctx, False).mask
    scores = matches.score_array() if scoring else np.zeros(ctx.maxdoc, dtype=np.float32)
    boost = _index_boost(ctx.index, search.indices_boost)
    if boost is not None:
        scores = (scores * np.float32(boost)).astype(np.float32)
    if search.min_score is not None:
        mask &= scores >= np.float32(search.min_score)
    extras: dict[str, Any] = {}
    if search.terminate_after is not None:
        hits = np.flatnonzero(mask)
        extras["terminated_early"] = len(hits) > search.terminate_after
        if extras["terminated_early"]:
            mask = ctx.mask_of(hits[: search.terminate_after])
    if search.aggs:
        extras["aggs"] = collect_all(search.aggs, ctx, mask, scores if scoring else None)
    if search.post_filter is not None:
        mask &= search.post_filter.run(ctx, False).mask
    ordinals = np.flatnonzero(mask)
    total = len(ordinals)
    if search.sort is not None or search.search_after is not None:
        sort = search.sort or _score_sort()
        keys = shard_keys(ctx, sort, ordinals, scores[ordinals])
        if search.search_after is not None:
            keep = after_mask(ctx, sort, keys, search.search_after, ordinals)
            ordinals = ordinals[keep]
            keys = shard_keys(ctx, sort, ordinals, scores[ordinals])
        extras["sort_keys"] = keys
    return ShardHits(ctx.index, ctx, ordinals, scores[ordinals].astype(np.float32), total, extras)


def _score_sort() -> list[Any]:
    from .sort import SortField

    return [SortField("_score", "desc")]


def _index_boost(index: Index, boosts: dict[str, float]) -> float | None:
    if not boosts:
        return None
    for name in (index.name, *index.aliases):
        if name in boosts:
            return boosts[name]
    return None


def check_window(indices: list[Index], search: ParsedSearch) -> None:
    window = search.from_ + search.size
    for index in indices:
        limit = index.setting_int("index.max_result_window", 10_000)
        if window > limit:
            raise IllegalArgumentError(
                f"Result window is too large, from + size must be less than or equal to: [{limit}] "
                f"but was [{window}]. See the scroll api for a more efficient way to request large "
                "data sets. This limit can be set by changing the [index.max_result_window] index "
                "level setting."
            )


def execute_search(
    engine: Engine,
    indices: list[Index],
    body: dict[str, Any],
    params: dict[str, str],
    alias_filters: dict[str, Query] | None = None,
    verbatim_source: bool = False,
) -> dict[str, Any]:
    """A search response; ``verbatim_source`` puts unfiltered ``_source`` bytes in the hits
    (``codec.RawJson``, for REST responses), else hits carry parsed dicts."""
    started = time.perf_counter()
    search = ParsedSearch(body, params)
    search.verbatim_source = verbatim_source
    check_window(indices, search)
    now_ms = int(time.time() * 1000)
    shards, failures = _query_all(engine, indices, search, now_ms, alias_filters or {}, params)
    hooks = search.hooks()
    for feature, spec in hooks:
        for shard in shards:
            feature.after_query(spec, shard, search)
    window = search.from_ + search.size
    rows = _merge(shards, search, window, hooks)
    hits = _fetch_page(engine, shards, rows[search.from_ : window], search, hooks)
    response: dict[str, Any] = {"took": 0, "timed_out": False}
    if search.terminate_after is not None:
        response["terminated_early"] = any(s.extras.get("terminated_early") for s in shards)
    n = len(shards) + len(failures)
    response["_shards"] = {
        "total": n,
        "successful": len(shards),
        "skipped": 0,
        "failed": len(failures),
    }
    if failures:
        response["_shards"]["failures"] = failures
    total = sum(s.total for s in shards)
    max_score = _max_score(shards, search, rows)
    response["hits"] = {**_total(total, search), "max_score": max_score, "hits": hits}
    if search.aggs:
        rctx = ReduceContext(lambda r, s: build_hits(engine, r, s), typed_keys=search.typed_keys)
        response["aggregations"] = reduce_all(search.aggs, [s.extras["aggs"] for s in shards], rctx)
    for feature, feature_spec in hooks:
        feature.finish(feature_spec, response, search)
    response["took"] = int((time.perf_counter() - started) * 1000)
    return response


def _query_all(
    engine: Engine,
    indices: list[Index],
    search: ParsedSearch,
    now_ms: int,
    filters: dict[str, Query],
    params: dict[str, str],
) -> tuple[list[ShardHits], list[dict[str, Any]]]:
    """Run the query phase on every index; some may fail while others answer.

    As on a cluster, the search succeeds with the answering shards and lists the failed
    ones under ``_shards.failures`` (unless ``allow_partial_search_results=false``); when
    every shard fails the request fails with "all shards failed".
    """
    shards: list[ShardHits] = []
    failures: list[dict[str, Any]] = []
    first: SearchPhaseExecutionError | None = None
    for index in sorted(indices, key=lambda i: i.name):
        try:
            shards.append(run_query(engine, index, search, now_ms, filters.get(index.name)))
        except SearchPhaseExecutionError as err:
            first = first or err
            failures.extend(err.metadata.get("failed_shards", []))
    if first is not None and (not shards or params.get("allow_partial_search_results") == "false"):
        raise first
    return shards, failures


def _fetch_page(
    engine: Engine,
    shards: list[ShardHits],
    page: list[tuple[int, int, float, list[Any] | None]],
    search: ParsedSearch,
    hooks: list[Any],
) -> list[dict[str, Any]]:
    """The page's hits, then the features' additions (``fields._ltrlog`` ...)."""
    sort = search.sort
    show_scores = sort is None or search.track_scores or any(s.field == "_score" for s in sort)
    rows = [PageRow(shards[pos].ctx, o, s if show_scores else None, v) for pos, o, s, v in page]
    hits = build_hits(engine, rows, fetch_spec(search))
    fetched = [
        FetchedHit(shards[pos], o, hit) for (pos, o, _s, _v), hit in zip(page, hits, strict=True)
    ]
    for feature, feature_spec in hooks:
        feature.fetch(feature_spec, fetched, search)
    return hits


def fetch(
    engine: Engine,
    shards: list[ShardHits],
    page: list[tuple[int, int, float]],
    search: ParsedSearch,
) -> list[dict[str, Any]]:
    """Hits of (shard position, ordinal, score) rows with the request's fetch options
    (for features that build their own pages, such as collapse's inner hits)."""
    rows = [PageRow(shards[pos].ctx, ordinal, score) for pos, ordinal, score in page]
    return build_hits(engine, rows, fetch_spec(search))


def fetch_spec(search: ParsedSearch) -> FetchSpec:
    return FetchSpec(
        source=search.source,
        version=search.version,
        seq_no_primary_term=search.seq_no_primary_term,
        docvalue_fields=search.docvalue_fields,
        fields=search.fields,
        explain=search.explain,
        named_scores=search.named_scores,
        query=search.query,
        verbatim_source=search.verbatim_source,
    )


def _merge(
    shards: list[ShardHits], search: ParsedSearch, window: int, hooks: list[Any]
) -> list[tuple[int, int, float, list[Any] | None]]:
    for feature, spec in hooks:
        merged = feature.merge(spec, shards, search, window)
        if merged is not None:  # (pos, ordinal, score) rows, or with sort values (collapse)
            return [(r[0], r[1], r[2], r[3] if len(r) > 3 else None) for r in merged]
    if search.sort is not None or search.search_after is not None:
        sort = search.sort or _score_sort()
        tops = [shard_top(s.extras["sort_keys"], s.ordinals, window) for s in shards]
        rows = merge_sorted(sort, shards, tops, window)
        if search.sort is None:
            return [(pos, o, s, None) for pos, o, s, _v in rows]
        return [(pos, o, s, v) for pos, o, s, v in rows]
    return [(pos, o, s, None) for pos, o, s in _merge_by_score(shards, window)]


def _merge_by_score(shards: list[ShardHits], window: int) -> list[tuple[int, int, float]]:
    """(shard position, ordinal, score) of the best ``window`` hits over all shards."""
    if not shards or window == 0:
        return []
    shard_pos = np.concatenate(
        [np.full(len(s.ordinals), i, dtype=np.int64) for i, s in enumerate(shards)]
    )
    ords = np.concatenate([s.ordinals for s in shards]).astype(np.int64)
    scores = np.concatenate([s.scores for s in shards]).astype(np.float32)
    if len(scores) > window * 4:
        cut = np.argpartition(-scores, window - 1)[:window]
        threshold = scores[cut].min()
        keep = scores >= threshold
        shard_pos, ords, scores = shard_pos[keep], ords[keep], scores[keep]
    order = np.lexsort((ords, shard_pos, -scores))[:window]
    return [(int(shard_pos[i]), int(ords[i]), float(scores[i])) for i in order]


def _max_score(
    shards: list[ShardHits], search: ParsedSearch, rows: list[tuple[int, int, float, Any]]
) -> float | None:
    if search.size == 0 and search.sort is None:
        return None
    if search.sort is not None and not search.track_scores:
        first = search.sort[0]
        if first.field == "_score" and first.reverse and rows:
            return java_float(rows[0][2])
        return None
    best = [float(s.scores.max()) for s in shards if len(s.scores)]
    return java_float(max(best)) if best else None


def _total(total: int, search: ParsedSearch) -> dict[str, Any]:
    track = search.track_total_hits
    if track is False:
        return {"total": -1} if search.rest_total_hits_as_int else {}
    if track is True:
        value, relation = total, "eq"
    else:
        value, relation = (total, "eq") if total <= track else (track, "gte")
    if search.rest_total_hits_as_int:
        return {"total": value}
    return {"total": {"value": value, "relation": relation}}


def execute_count(
    engine: Engine,
    indices: list[Index],
    body: dict[str, Any],
    params: dict[str, str],
    alias_filters: dict[str, Query] | None = None,
) -> dict[str, Any]:
    for key in body:
        if key != "query":
            raise ParsingError(f"request does not support [{key}]")
    if "q" in params:
        raise IllegalArgumentError(
            "the [q] query-string parameter is not supported by the embedded engine; send a query body"
        )
    query = parse_query(body["query"]) if "query" in body else None
    min_score = params.get("min_score")
    search = ParsedSearch(
        {
            **({"query": body["query"]} if query else {}),
            **({"min_score": float(min_score)} if min_score else {}),
        },
        {k: v for k, v in params.items() if k == "terminate_after"},
    )
    search.count_only = True
    now_ms = int(time.time() * 1000)
    filters = alias_filters or {}
    count = 0
    terminated = False
    for index in indices:
        shard = run_query(engine, index, search, now_ms, filters.get(index.name))
        count += shard.total
        terminated |= bool(shard.extras.get("terminated_early"))
    n = len(indices)
    out: dict[str, Any] = {"count": count}
    if search.terminate_after is not None:
        out["terminated_early"] = terminated
    out["_shards"] = {"total": n, "successful": n, "skipped": 0, "failed": 0}
    return out


__all__ = [
    "DEFAULT_TRACK_TOTAL_HITS",
    "OpenSearchError",
    "ParsedSearch",
    "ShardHits",
    "execute_count",
    "execute_search",
    "fetch",
    "load_sources",
]
