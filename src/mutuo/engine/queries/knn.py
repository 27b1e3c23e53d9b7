"""``knn``: the k-NN plugin's vector query (top-k or radial), with efficient filtering.

Per index (one shard, one segment) the query matches **at most k** documents with the
space's score translation (:mod:`..vector_spaces`) times ``boost``. How the candidates
are found follows ``KNNWeight.searchLeaf``:

1. a ``filter`` is evaluated first; no filtered docs -> no hits;
2. exact search when the filtered set is small: ``C <= k``, or
   ``index.knn.advanced.filtered_exact_search_threshold`` >= C when that setting is set,
   else ``C x dimension <= 2,048,000``;
3. otherwise HNSW search with the filter as a faiss ``IDSelector``;
4. exact fallback when a filtered HNSW search returned fewer than k although C >= k
   (unless ``index.knn.faiss.efficient_filter.disable_exact_search``).

Radial search (``max_distance``/``min_score``) is exact over the (filtered) vectors.
Inside ``bool`` the query is just a clause whose matches are its k candidates, so
sibling ``filter``/``must`` clauses post-filter them, as in OpenSearch. A rescore
window (``SearchContext.domain``) does not shrink the work: which docs are in the top k
depends on every vector.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .. import settings as settings_mod
from ..columns import VectorColumn
from ..errors import IllegalArgumentError, ParsingError, QueryShardError, XContentParseError
from ..explanation import Explanation
from ..fields import VECTOR
from ..search_context import SearchContext
from ..vector_spaces import exact_scores, raw_values, scores_from_raw, top_k, within_radius
from ..vectors import DEFAULT_EF_SEARCH, FieldGraph, graphs_of, knn_enabled
from . import Matches, Query, parse_query, register
from .knn_explain import ANN, explain_knn
from .knn_options import K_MAX, KEYS, check_rescore, method_parameters, number, query_vector

MAX_DISTANCE_COMPUTATIONS = 2_048_000


@register("knn")
class Knn(Query):
    cost = 3  # bool runs it after cheaper clauses (its top k never depends on a domain)

    def __init__(self, field: str, vector: np.ndarray) -> None:
        self.field = field
        self.vector = vector
        self._prepared_by_space: dict[str, np.ndarray] = {}
        # checked against the mapping per index; computed once
        self._zero = not vector.any()
        self._bytes = bool(
            (vector == np.round(vector)).all() and vector.min() >= -128 and vector.max() <= 127
        )
        self.k: int | None = None
        self.min_score: float | None = None
        self.max_distance: float | None = None
        self.filter: Query | None = None
        self.ef_search: int | None = None
        self.ignore_unmapped = False

    # -- parsing -----------------------------------------------------------------------

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict) or not body:
            raise ParsingError("[knn] query malformed, no start_object after query name")
        if len(body) > 1:
            first, second = list(body)[:2]
            raise ParsingError(
                f"[knn] query doesn't support multiple fields, found [{first}] and [{second}]"
            )
        ((field, spec),) = body.items()
        if not isinstance(spec, dict):
            return cls(field, query_vector(spec))
        for key in spec:
            if key not in KEYS:
                raise XContentParseError(f"[knn] unknown field [{key}]")
        query = cls(field, query_vector(spec.get("vector")))
        query._read_options(spec)
        query._validate()
        return query

    def _read_options(self, spec: dict[str, Any]) -> None:
        self.k = number(spec, "k", int)
        self.min_score = number(spec, "min_score", float)
        self.max_distance = number(spec, "max_distance", float)
        if "boost" in spec:
            self.boost = float(spec["boost"])
        if "_name" in spec:
            self.query_name = str(spec["_name"])
        if spec.get("filter") is not None:
            self.filter = parse_query(spec["filter"], "filter")
        self.ef_search = method_parameters(spec.get("method_parameters"))
        self.ignore_unmapped = bool(spec.get("ignore_unmapped", False))
        if spec.get("expand_nested_docs"):
            raise IllegalArgumentError(
                "[knn] [expand_nested_docs] needs nested fields, which the embedded engine does "
                "not support"
            )
        check_rescore(spec.get("rescore"), self.max_distance, self.min_score)

    def _validate(self) -> None:
        given = [v is not None for v in (self.k, self.min_score, self.max_distance)]
        if sum(given) != 1:
            raise IllegalArgumentError(
                "[knn] requires exactly one of k, distance or score to be set"
            )
        if self.k is not None and not 0 < self.k <= K_MAX:
            raise IllegalArgumentError(f"[knn] requires k to be in the range (0, {K_MAX}]")
        if self.min_score is not None and self.min_score <= 0:
            raise IllegalArgumentError("[knn] requires minScore to be greater than 0")

    def children(self) -> list[Query]:
        return [self.filter] if self.filter is not None else []

    def with_filter(self, extra: Query) -> Knn:
        """This query with ``extra`` AND-ed into its efficient filter (hybrid ``filter``)."""
        from .bool import Bool

        merged = copy.copy(self)
        combined = Bool()
        combined.filter = [f for f in (self.filter, extra) if f is not None]
        merged.filter = combined
        return merged

    # -- execution ---------------------------------------------------------------------

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        """The boost applied to the k scores before they are spread over the shard (the
        same float32 products as boosting the dense array, without touching every doc)."""
        return self._matches(ctx, boost if scoring else 1.0)

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        return self._matches(ctx, 1.0)

    def _matches(self, ctx: SearchContext, boost: float) -> Matches:
        mapper = ctx.mapper(self.field)
        if mapper is None and self.ignore_unmapped:
            return ctx.none()
        if mapper is None or mapper.kind != VECTOR:
            raise _shard_error(ctx, f"Field '{self.field}' is not knn_vector type.")
        spec = mapper.vector
        if not knn_enabled(ctx.index):
            raise _shard_error(ctx, f"Field '{self.field}' is not built for ANN search.")
        self._check_vector(ctx, spec.dimension, spec.space_type, spec.data_type)
        column = ctx.shard.columns.get(mapper.path)
        if not isinstance(column, VectorColumn):
            return ctx.none()
        if self.k is None:
            graph = _graph_of(ctx, mapper.path)
            candidates = self._candidates(ctx, column)
            ords, scores = self._radial(
                ctx, mapper.path, column, candidates, spec.space_type, graph
            )
        else:
            ords, scores = self._top_k(ctx, mapper.path, column, spec.space_type)
        if boost != 1.0:
            scores = (scores * np.float32(boost)).astype(np.float32)
        dense = np.zeros(ctx.maxdoc, dtype=np.float32)
        dense[ords] = scores
        return Matches(ctx.mask_of(ords), dense, 0.0)

    def _candidates(self, ctx: SearchContext, column: VectorColumn) -> np.ndarray:
        """Live docs with a vector that pass the efficient filter."""
        candidates = ctx.live & column.exists()
        if self.filter is not None:
            candidates &= self.filter.run(ctx, False).mask
        return candidates

    def _check_vector(self, ctx: SearchContext, dimension: int, space: str, data_type: str) -> None:
        if len(self.vector) != dimension:
            raise _shard_error(
                ctx,
                f"Query vector has invalid dimension: {len(self.vector)}. Dimension should be: "
                f"{dimension}",
            )
        if space == "cosinesimil" and self._zero:
            raise _shard_error(ctx, "zero vector is not supported when space type is [cosinesimil]")
        if data_type == "byte" and not self._bytes:
            raise _shard_error(
                ctx,
                "[data_type] field was set as [byte] in index mapping. But, KNN vector values are "
                "floats instead of byte integers",
            )
        if self.max_distance is not None and self.max_distance < 0 and space != "innerproduct":
            raise _shard_error(
                ctx, f"[knn] requires distance to be non-negative for space type: {space}"
            )
        if self.min_score is not None and self.min_score > 1 and space != "innerproduct":
            raise _shard_error(
                ctx, f"[knn] requires score to be in the range [0, 1] for space type: {space}"
            )

    def _top_k(
        self, ctx: SearchContext, path: str, column: VectorColumn, space: str
    ) -> tuple[np.ndarray, np.ndarray]:
        assert self.k is not None
        k = self.k
        settings = ctx.index.settings
        graph = _graph_of(ctx, path)
        threshold = settings_mod.get_int(settings, "index.knn.advanced.approximate_threshold", 0)
        if graph is None or graph.live_count < threshold:  # no native graph: exact search
            self._trace(ctx, "Exact since no native engine files are available")
            return self._exact(ctx, path, column, self._candidates(ctx, column), space, k, graph)
        if self.filter is None:
            ords, raw = graph.search(self._prepared(graph), k, self._ef_search(ctx, path), None)
            self._trace(ctx, ANN, ords, raw)
            return ords, scores_from_raw(space, raw)
        candidates = self._candidates(ctx, column)
        cardinality = int(np.count_nonzero(candidates))
        if cardinality == 0:
            return _EMPTY_ORDS, _EMPTY_SCORES
        reason = exact_reason(settings, cardinality, k, len(self.vector))
        if reason is not None:
            self._trace(ctx, reason)
            return self._exact(ctx, path, column, candidates, space, k, graph)
        ords, raw = graph.search(self._prepared(graph), k, self._ef_search(ctx, path), candidates)
        fallback = not settings_mod.get_bool(
            settings, "index.knn.faiss.efficient_filter.disable_exact_search"
        )
        if len(ords) < k <= cardinality and fallback:
            self._trace(
                ctx,
                f"Exact since the number of documents returned are less than K = {k} and there "
                f"are more than K filtered Ids = {cardinality}",
            )
            return self._exact(ctx, path, column, candidates, space, k, graph)
        self._trace(ctx, ANN, ords, raw)
        return ords, scores_from_raw(space, raw)

    def _trace(
        self,
        ctx: SearchContext,
        leaf: str,
        ords: np.ndarray | None = None,
        raw: np.ndarray | None = None,
    ) -> None:
        """How the top k were found, for ``explain`` (the plugin's KnnExplanation)."""
        ctx.request_cache[("knn", id(self))] = (leaf, ords, raw)

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        matches = self.weighted(ctx, True, boost)
        if not matches.mask[ordinal]:
            return Explanation.no_match("No matching documents found")
        mapper = ctx.mapper(self.field)
        assert mapper is not None
        leaf, ords, raw = ctx.request_cache.get(("knn", id(self)), ("Exact", None, None))
        found = np.flatnonzero(ords == ordinal) if ords is not None else _EMPTY_ORDS
        return explain_knn(
            float(matches.score_array()[ordinal]),
            mapper.vector,
            self.max_distance if self.min_score is None else self.min_score,
            self.k is None,
            leaf,
            float(raw[found[0]]) if len(found) and raw is not None else None,
        )

    def _exact(
        self,
        ctx: SearchContext,
        path: str,
        column: VectorColumn,
        candidates: np.ndarray,
        space: str,
        k: int,
        graph: FieldGraph | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Brute force over the candidates (faiss on the graph's vectors when there is one)."""
        ords = np.flatnonzero(candidates)
        if graph is not None:
            scores = scores_from_raw(space, self._exact_raw(ctx, path, graph, ords))
        else:
            scores = exact_scores(space, column.matrix.view()[ords], self.vector)
        return top_k(scores, ords, k)

    def _radial(
        self,
        ctx: SearchContext,
        path: str,
        column: VectorColumn,
        candidates: np.ndarray,
        space: str,
        graph: FieldGraph | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        ords = np.flatnonzero(candidates)
        if graph is not None:
            raw = self._exact_raw(ctx, path, graph, ords)
        else:
            raw = raw_values(space, column.matrix.view()[ords], self.vector)
        keep = within_radius(space, raw, self.max_distance, self.min_score)
        limit = ctx.index.setting_int("index.max_result_window", 10_000)
        return top_k(scores_from_raw(space, raw[keep]), ords[keep], limit)

    def _exact_raw(
        self, ctx: SearchContext, path: str, graph: FieldGraph, ords: np.ndarray
    ) -> np.ndarray:
        """Raw values of ``ords`` for this query vector, each computed once per request.

        The recommend template's main and reserved candidate sources search one field with
        one vector over nearly the same filtered documents: the second reads the first's
        values back. Faiss computes each (query, document) value on its own, whatever the
        other ordinals asked with it, so a value read back is the value computed again
        (``tests/engine/test_knn_exact_cache.py``)."""
        prepared = self._prepared(graph)
        return ctx.per_ordinal(
            ("knn_exact_raw", path, prepared.tobytes()),
            ords,
            lambda fresh: graph.exact_raw(prepared, fresh),
            np.float32,
        )

    def _prepared(self, graph: FieldGraph) -> np.ndarray:
        """The query vector as the graph takes it, computed once per space type."""
        space = graph.spec.space_type
        prepared = self._prepared_by_space.get(space)
        if prepared is None:
            prepared = self._prepared_by_space[space] = graph.prepare(self.vector)
        return prepared

    def _ef_search(self, ctx: SearchContext, path: str) -> int:
        if self.ef_search is not None:
            return self.ef_search
        setting = ctx.index.settings.get("index.knn.algo_param.ef_search")
        if setting is not None:
            return int(setting)
        mapper = ctx.mapper(path)
        if mapper is not None and mapper.vector.ef_search is not None:
            return mapper.vector.ef_search
        return DEFAULT_EF_SEARCH


_EMPTY_ORDS = np.empty(0, dtype=np.int64)
_EMPTY_SCORES = np.empty(0, dtype=np.float32)


def _graph_of(ctx: SearchContext, path: str) -> FieldGraph | None:
    """The field's graph, built by this first query that targets it (``vectors.py``)."""
    state = graphs_of(ctx.engine).for_index(ctx.index)
    return state.ensure(path) if state is not None else None


def exact_reason(settings: dict[str, Any], cardinality: int, k: int, dimension: int) -> str | None:
    """``KNNWeight.isFilteredExactSearchPreferred``, with the reason ``explain`` prints."""
    if cardinality <= k:
        return f"Exact since filteredIds = {cardinality} is less than or equal to K = {k}"
    threshold = settings.get("index.knn.advanced.filtered_exact_search_threshold")
    if threshold is not None and int(threshold) != -1:
        if int(threshold) >= cardinality:
            return (
                f"Exact since filtered threshold value = {threshold} is greater than or equal to "
                f"estimated distance computations = {cardinality}"
            )
        return None
    if cardinality * dimension <= MAX_DISTANCE_COMPUTATIONS:
        return (
            f"Exact since max distance computation = {MAX_DISTANCE_COMPUTATIONS} is greater than "
            f"or equal to estimated distance computations = {cardinality * dimension}"
        )
    return None


def _shard_error(ctx: SearchContext, message: str) -> QueryShardError:
    return QueryShardError(
        f"failed to create query: {message}",
        caused_by=IllegalArgumentError(message),
        index=ctx.index.name,
        index_uuid=ctx.index.uuid,
    )
