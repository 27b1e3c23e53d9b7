"""The phase results processors of a search pipeline, applied to a ``hybrid`` query.

neural-search runs between the query and fetch phases: every shard returns, per
sub-query, its top N docs (N = ``pagination_depth``, else ``size``); the processor
normalises each sub-query's scores over the union of those lists, combines them per
document (a sub-query that missed the doc contributes 0.0), and the coordinator sorts
by the combined score and applies ``from``/``size``. ``hits.total`` counts the docs that
matched at least one sub-query; ``max_score`` is the best combined score (0.0 when there
is none); ``min_score`` applies to the combined score.

The body key ``search_pipeline`` carries the pipeline resolved by the ``_search``
endpoint (:func:`..api.search_pipelines.run_search`); without a hybrid query the
processors pass the request through, as in OpenSearch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import IllegalArgumentError, QueryShardError, wrap_shard_failure
from ..pipelines import PhaseProcessor, ResolvedPipeline
from ..queries.hybrid import CACHE_KEY, Hybrid
from . import SearchFeature, register_feature

if TYPE_CHECKING:
    from ..search import ParsedSearch, ShardHits

NO_PIPELINE_ERROR = (
    "a [hybrid] query needs a search pipeline with a [normalization-processor] or "
    "[score-ranker-processor] (set [search_pipeline] or [index.search.default_pipeline]); "
    "the embedded engine does not return neural-search's raw unnormalised hybrid format"
)
_UNSUPPORTED = ("sort", "search_after", "collapse")


@dataclass
class HybridShard:
    """One index's per-sub-query top lists: (ordinals, scores), each sorted by score."""

    lists: list[tuple[np.ndarray, np.ndarray]]


@dataclass
class HybridSpec:
    processor: PhaseProcessor
    query: Hybrid
    min_score: float | None
    max_score: float = 0.0


@register_feature
class SearchPipelineFeature(SearchFeature):
    key = "search_pipeline"
    order = 10  # first: rescore and others see the hybrid lists

    def parse(self, value: Any, search: ParsedSearch) -> HybridSpec | None:
        if not isinstance(value, ResolvedPipeline):
            raise IllegalArgumentError(
                "[search_pipeline] was not resolved: run the search through the _search endpoint"
            )
        query = search.query
        if not isinstance(query, Hybrid):
            return None
        pipeline = value.pipeline
        if pipeline is None or pipeline.phase is None:
            raise IllegalArgumentError(NO_PIPELINE_ERROR)
        for key in _UNSUPPORTED:
            if key in search.body:
                raise IllegalArgumentError(
                    f"[{key}] with a [hybrid] query is not supported by the embedded engine"
                )
        query.claimed = True
        spec = HybridSpec(pipeline.phase, query, search.min_score)
        search.min_score = None  # applies to the combined score, after normalisation
        return spec

    def after_query(self, spec: Any, shard: ShardHits, search: ParsedSearch) -> None:
        if spec is None:
            return
        hybrid: HybridSpec = spec
        ctx = shard.ctx
        matches = ctx.request_cache.pop(CACHE_KEY, None)
        if matches is None:
            return
        depth = hybrid.query.pagination_depth
        try:
            n = _retrieval_size(depth, search, shard)
        except QueryShardError as err:
            raise wrap_shard_failure(shard.index.name, err) from None
        lists = []
        for m in matches:
            ords = np.flatnonzero(m.mask & ctx.live)
            scores = m.score_array()[ords].astype(np.float32)
            order = np.lexsort((ords, -scores))[:n]
            lists.append((ords[order], scores[order]))
        shard.extras["hybrid"] = HybridShard(lists)

    def merge(
        self, spec: Any, shards: list[ShardHits], search: ParsedSearch, window: int
    ) -> list[tuple[int, int, float]] | None:
        if spec is None:
            return None
        hybrid: HybridSpec = spec
        parts = [s.extras.get("hybrid") for s in shards]
        present = [(pos, p) for pos, p in enumerate(parts) if p is not None]
        processor = hybrid.processor
        normalized = processor.normalization.normalize(
            [[scores for _o, scores in p.lists] for _pos, p in present],
            [[ords for ords, _s in p.lists] for _pos, p in present],
        )
        merged: list[tuple[float, int, int]] = []
        for (pos, part), shard_scores in zip(present, normalized, strict=True):
            ords, combined = _combine(part, shard_scores, processor)
            if hybrid.min_score is not None:
                keep = combined >= np.float32(hybrid.min_score)
                if not keep.all():
                    shards[pos].total = int(keep.sum())
                ords, combined = ords[keep], combined[keep]
            merged.extend(zip((-combined).tolist(), [pos] * len(ords), ords.tolist(), strict=True))
        merged.sort()
        hybrid.max_score = -merged[0][0] if merged else 0.0
        return [(pos, ordinal, -neg) for neg, pos, ordinal in merged]

    def finish(self, spec: Any, response: dict[str, Any], search: ParsedSearch) -> None:
        if spec is not None and "hits" in response:
            response["hits"]["max_score"] = spec.max_score


def _retrieval_size(depth: int | None, search: ParsedSearch, shard: ShardHits) -> int:
    if depth is not None:
        limit = shard.index.setting_int("index.max_result_window", 10_000)
        if depth < 0:
            raise _shard_error(shard, "pagination_depth should be greater than 0")
        if depth > limit:
            raise _shard_error(
                shard,
                "pagination_depth should be less than or equal to index.max_result_window setting",
            )
        return depth
    if search.from_ > 0:
        raise wrap_shard_failure(
            shard.index.name,
            IllegalArgumentError("pagination_depth param is missing in the search request"),
        )
    return search.size


def _shard_error(shard: ShardHits, message: str) -> QueryShardError:
    return QueryShardError(
        f"failed to create query: {message}",
        caused_by=IllegalArgumentError(message),
        index=shard.index.name,
        index_uuid=shard.index.uuid,
    )


def _combine(
    part: HybridShard, normalized: list[np.ndarray], processor: PhaseProcessor
) -> tuple[np.ndarray, np.ndarray]:
    """Per document of one shard: its normalised score per sub-query, combined."""
    all_ords = [ords for ords, _s in part.lists]
    docs = np.unique(np.concatenate(all_ords)) if all_ords else np.empty(0, dtype=np.int64)
    matrix = np.zeros((len(docs), len(part.lists)), dtype=np.float32)
    for j, ords in enumerate(all_ords):
        matrix[np.searchsorted(docs, ords), j] = normalized[j]
    return docs, processor.combination.combine(matrix)
