"""``_search`` and ``_count``: parse the request, run the query per index, merge, fetch.

The phases mirror OpenSearch's: a query phase per index (vectorised over the shard's
columns), a merge of the per-index top hits (ties broken by index, then ordinal, like
shard then Lucene doc id), and a fetch phase that loads ``_source`` for the page only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import codec
from .errors import (
    IllegalArgumentError,
    OpenSearchError,
    ParsingError,
    QueryShardError,
    wrap_shard_failure,
)
from .features import FetchedHit, SearchFeature, features
from .queries import Query, parse_query
from .search_context import SearchContext
from .source_filter import filter_source, from_params, parse_spec

if TYPE_CHECKING:
    from .engine import Engine
    from .index import Index

DEFAULT_SIZE = 10
DEFAULT_TRACK_TOTAL_HITS = 10_000

# Top-level search body keys and whether the engine implements them yet.
SUPPORTED_KEYS = {
    "query",
    "from",
    "size",
    "_source",
    "track_total_hits",
    "min_score",
    "timeout",
    "version",
    "seq_no_primary_term",
    "explain",
    "stored_fields",
}


class ParsedSearch:
    """A validated search body (plus URL parameters, which win over the body)."""

    def __init__(self, body: dict[str, Any], params: dict[str, str]) -> None:
        registry = features()
        self.features: dict[str, Any] = {}
        for key in body:
            if key in SUPPORTED_KEYS:
                continue
            if key in registry:
                continue
            if key in _KNOWN_KEYS:
                raise ParsingError(
                    f"search request key [{key}] is not supported by the embedded engine"
                )
            raise ParsingError(f"Unknown key for a {_token(body[key])} in [{key}].", line=1, col=2)
        self.body = body
        self.query: Query | None = parse_query(body["query"]) if "query" in body else None
        self.from_ = _int(params.get("from", body.get("from", 0)), "from")
        self.size = _int(params.get("size", body.get("size", DEFAULT_SIZE)), "size")
        if self.from_ < 0:
            raise IllegalArgumentError(f"[from] parameter cannot be negative, found [{self.from_}]")
        if self.size < 0:
            raise IllegalArgumentError(f"[size] parameter cannot be negative, found [{self.size}]")
        self.source = parse_spec(body.get("_source"))
        if any(k in params for k in ("_source", "_source_includes", "_source_excludes")):
            self.source = from_params(params, body.get("_source"))
        self.track_total_hits = _track_total_hits(
            params.get("track_total_hits", body.get("track_total_hits"))
        )
        self.rest_total_hits_as_int = params.get("rest_total_hits_as_int") in ("", "true")
        accurate = isinstance(self.track_total_hits, bool) or self.track_total_hits in (
            DEFAULT_TRACK_TOTAL_HITS,
            -1,
        )  # an int limit of 1 is not ``True``
        if self.rest_total_hits_as_int and not accurate:
            raise IllegalArgumentError(
                "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not "
                f"accurate, got {self.track_total_hits}"
            )
        self.min_score = body.get("min_score")
        self.version = _flag(params.get("version", body.get("version", False)))
        self.seq_no_primary_term = _flag(
            params.get("seq_no_primary_term", body.get("seq_no_primary_term", False))
        )
        self.explain = _flag(params.get("explain", body.get("explain", False)))
        # feature keys are parsed last: they may read the core options above
        for key in sorted(k for k in body if k in registry):
            self.features[key] = registry[key].parse(body[key], self)

    def hooks(self) -> list[tuple[SearchFeature, Any]]:
        """The features of this request with their specs, in hook order."""
        registry = features()
        return sorted(
            ((registry[k], spec) for k, spec in self.features.items()), key=lambda p: p[0].order
        )


_KNOWN_KEYS = {
    "sort",
    "aggs",
    "aggregations",
    "post_filter",
    "search_after",
    "rescore",
    "collapse",
    "highlight",
    "suggest",
    "ext",
    "knn",
    "docvalue_fields",
    "fields",
    "script_fields",
    "track_scores",
    "terminate_after",
    "indices_boost",
    "profile",
    "search_pipeline",
    "stats",
    "pit",
    "slice",
    "runtime_mappings",
    "derived",
}


def _token(value: Any) -> str:
    if isinstance(value, dict):
        return "START_OBJECT"
    if isinstance(value, list):
        return "START_ARRAY"
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, bool):
        return "VALUE_BOOLEAN"
    return "VALUE_NUMBER"


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise IllegalArgumentError(
            f"Failed to parse int parameter [{name}] with value [{value}]"
        ) from None


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "")


def _track_total_hits(value: Any) -> bool | int:
    if value is None:
        return DEFAULT_TRACK_TOTAL_HITS
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text == "true":
        return True
    if text == "false":
        return False
    try:
        number = int(text)
    except ValueError:
        raise IllegalArgumentError(
            f"Failed to parse value [{value}] as only [true] or [false] are allowed."
        ) from None
    if number == -1:
        return True
    if number < 0:
        raise IllegalArgumentError(
            f"[track_total_hits] parameter must be positive or equals to -1, got {number}"
        )
    return number


@dataclass
class ShardHits:
    """What one index contributes: matching ordinals with their scores."""

    index: Index
    ctx: SearchContext
    ordinals: np.ndarray
    scores: np.ndarray
    total: int
    extras: dict[str, Any] = field(default_factory=dict)


def run_query(engine: Engine, index: Index, search: ParsedSearch, now_ms: int) -> ShardHits:
    ctx = SearchContext(engine, index, now_ms)
    try:
        if search.query is None:
            matches = ctx.everything(1.0)
        else:
            matches = search.query.run(ctx, scoring=True)
        mask = matches.mask & ctx.live
        scores = matches.score_array()
        if search.min_score is not None:
            mask &= scores >= np.float32(search.min_score)
    except QueryShardError as err:
        raise wrap_shard_failure(index.name, err) from None
    ordinals = np.flatnonzero(mask)
    return ShardHits(index, ctx, ordinals, scores[ordinals].astype(np.float32), len(ordinals))


def execute_search(
    engine: Engine, indices: list[Index], body: dict[str, Any], params: dict[str, str]
) -> dict[str, Any]:
    started = time.perf_counter()
    search = ParsedSearch(body, params)
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
    now_ms = int(time.time() * 1000)
    shards = [
        run_query(engine, index, search, now_ms) for index in sorted(indices, key=lambda i: i.name)
    ]
    hooks = search.hooks()
    for feature, spec in hooks:
        for shard in shards:
            feature.after_query(spec, shard, search)
    merged = next(
        (
            m
            for feature, spec in hooks
            if (m := feature.merge(spec, shards, search, window)) is not None
        ),
        None,
    )
    if merged is None:
        merged = _merge_by_score(shards, window)
    total = sum(s.total for s in shards)  # after the merge: a feature may narrow it
    page = merged[search.from_ : window]
    hits = fetch(engine, shards, page, search)
    fetched = [
        FetchedHit(shards[pos], ordinal, hit)
        for (pos, ordinal, _s), hit in zip(page, hits, strict=True)
    ]
    for feature, spec in hooks:
        feature.fetch(spec, fetched, search)
    max_score = max((float(s.scores.max()) for s in shards if len(s.scores)), default=None)
    response = {
        "took": int((time.perf_counter() - started) * 1000),
        "timed_out": False,
        "_shards": {"total": len(shards), "successful": len(shards), "skipped": 0, "failed": 0},
        "hits": {**_total(total, search), "max_score": max_score, "hits": hits},
    }
    for feature, spec in hooks:
        feature.finish(spec, response, search)
    return response


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


def load_sources(
    engine: Engine, index: Index, ordinals: list[int]
) -> dict[int, dict[str, Any] | None]:
    """``_source`` of the given ordinals as the search saw them (see Index.shadow_sources)."""
    out: dict[int, dict[str, Any] | None] = {}
    wanted: dict[str, int] = {}
    for ordinal in ordinals:
        if ordinal in index.shadow_sources:
            raw = index.shadow_sources[ordinal]
            out[ordinal] = codec.loads(raw) if raw else None
        else:
            wanted[index.shard.ids[ordinal]] = ordinal
    if wanted:
        rows = engine.store.sources(index.uuid, list(wanted))
        for doc_id, ordinal in wanted.items():
            raw = rows.get(doc_id)
            out[ordinal] = codec.loads(raw) if raw else None
    return out


def fetch(
    engine: Engine,
    shards: list[ShardHits],
    page: list[tuple[int, int, float]],
    search: ParsedSearch,
) -> list[dict[str, Any]]:
    by_shard: dict[int, list[int]] = {}
    for pos, ordinal, _score in page:
        by_shard.setdefault(pos, []).append(ordinal)
    fetch_source, includes, excludes = search.source
    sources: dict[tuple[int, int], dict[str, Any] | None] = {}
    if fetch_source:
        for pos, ords in by_shard.items():
            for ordinal, src in load_sources(engine, shards[pos].index, ords).items():
                sources[(pos, ordinal)] = src
    hits = []
    for pos, ordinal, score in page:
        shard = shards[pos]
        index = shard.index
        hit: dict[str, Any] = {"_index": index.name, "_id": index.shard.ids[ordinal]}
        if search.version:
            hit["_version"] = int(index.shard.versions.view()[ordinal])
        if search.seq_no_primary_term:
            hit["_seq_no"] = int(index.shard.seq_nos.view()[ordinal])
            hit["_primary_term"] = 1
        hit["_score"] = score
        if fetch_source and index.mapping.source_enabled:
            src = sources.get((pos, ordinal))
            if src is not None:
                hit["_source"] = filter_source(src, includes, excludes)
        hits.append(hit)
    return hits


def execute_count(
    engine: Engine, indices: list[Index], body: dict[str, Any], params: dict[str, str]
) -> dict[str, Any]:
    for key in body:
        if key not in ("query",):
            raise ParsingError(f"request does not support [{key}]")
    if "q" in params:
        raise IllegalArgumentError(
            "the [q] query-string parameter is not supported by the embedded engine; send a query body"
        )
    query = parse_query(body["query"]) if "query" in body else None
    now_ms = int(time.time() * 1000)
    count = 0
    for index in indices:
        ctx = SearchContext(engine, index, now_ms)
        try:
            matches = query.run(ctx, scoring=False) if query else ctx.everything()
        except QueryShardError as err:
            raise wrap_shard_failure(index.name, err) from None
        count += int(np.count_nonzero(matches.mask & ctx.live))
    n = len(indices)
    return {"count": count, "_shards": {"total": n, "successful": n, "skipped": 0, "failed": 0}}


__all__ = ["OpenSearchError", "ParsedSearch", "execute_count", "execute_search"]
