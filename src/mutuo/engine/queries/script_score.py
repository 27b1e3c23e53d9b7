"""``script_score`` with the k-NN plugin's ``knn_score`` script (exact vector scoring).

Only ``{"lang": "knn", "source": "knn_score"}`` runs: the engine has no Painless, and a
script it cannot run is refused with an error instead of being approximated. The
script's score replaces the inner query's (``knn_score`` does not read ``_score``):

* l2 ``1 / (1 + squared L2)``, l1 ``1 / (1 + L1)``, linf ``1 / (1 + Linf)``;
* innerproduct ``ip + 1`` (ip >= 0) or ``1 / (1 - ip)``;
* cosinesimil ``max((1 + cos) / 2, 0)`` on float fields (indices created on/after
  2.19), ``1 + cos`` on byte fields;
* a matching doc without a vector scores 0.

When ``SearchContext.domain`` is set (a rescore window, an LTR feature pass), distances
are computed for those ordinals only: a 200-doc window costs 200 distances.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..columns import VectorColumn
from ..errors import IllegalArgumentError, ParsingError, QueryShardError
from ..fields import VECTOR
from ..search_context import SearchContext
from ..vector_spaces import raw_values, scores_from_raw
from . import Matches, Query, parse_common, parse_query, register
from .match_all import MatchAll

_SPACE_NAMES = {
    "l2": "l2",
    "cosinesimil": "cosine",
    "l1": "l1",
    "linf": "l-inf",
    "innerproduct": "innerproduct",
    "hamming": "hamming",
}


@register("script_score")
class ScriptScore(Query):
    cost = 3  # per-document distances: bool hands it only the documents still in play

    def __init__(self, query: Query, script: dict[str, Any]) -> None:
        self.query = query
        self.script = script
        self.min_score: float | None = None

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[script_score] query malformed, no start_object after query name")
        missing = [key for key in ("query", "script") if key not in body]
        if missing:
            raise IllegalArgumentError(f"Required [{', '.join(missing)}]")
        script = body["script"]
        if isinstance(script, str):
            script = {"source": script}
        if not isinstance(script, dict):
            raise ParsingError("[script] must be an object or a string")
        query = cls(parse_query(body["query"], "query"), script)
        parse_common(query, body, {"query", "script", "min_score"}, "script_score")
        if body.get("min_score") is not None:
            query.min_score = float(body["min_score"])
        return query

    def children(self) -> list[Query]:
        return [self.query]

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        program = _compile(ctx, self.script)
        inner = self.query.run(ctx, False)
        mask = inner.mask & ctx.live
        domain = ctx.domain_mask()
        targets = mask if domain is None else mask & domain
        ords = np.flatnonzero(targets)
        scores = np.zeros(ctx.maxdoc, dtype=np.float32)
        scores[ords] = program.scores(ords)
        if self.min_score is not None:  # compared with the boosted score (MinScoreScorer)
            mask &= scores * np.float32(self.boost) >= np.float32(self.min_score)
        return Matches(mask, scores, 0.0)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        mask, scores = self._window_scores(ctx, _compile(ctx, self.script), ordinals, {})
        if self.min_score is not None:
            mask &= scores * np.float32(self.boost) >= np.float32(self.min_score)
        matches = Matches(mask, scores, 0.0)
        return matches.boosted(boost) if scoring else matches

    def lone_script(self, ctx: SearchContext) -> KnnScoreScript | None:
        """The compiled script when this query can be scored with others over one window
        (:meth:`window_from_rows`): no ``min_score`` and no ``_name`` here or below."""
        if self.min_score is not None or self.has_named():
            return None
        return _compile(ctx, self.script)

    def window_from_rows(
        self,
        ctx: SearchContext,
        program: KnnScoreScript,
        ordinals: np.ndarray,
        boost: float,
        vectors: dict[int, tuple[np.ndarray, np.ndarray]],
    ) -> Matches:
        """:meth:`window` (scoring, no ``min_score``) with the window's vectors shared:
        ``vectors`` maps a column's id to (which ordinals have a vector, their rows), read
        once per column for every query of the window on it."""
        mask, scores = self._window_scores(ctx, program, ordinals, vectors)
        return Matches(mask, scores, 0.0).boosted(boost)

    def _window_scores(
        self,
        ctx: SearchContext,
        program: KnnScoreScript,
        ordinals: np.ndarray,
        vectors: dict[int, tuple[np.ndarray, np.ndarray]],
    ) -> tuple[np.ndarray, np.ndarray]:
        """(which of ``ordinals`` the sub-query matches, their script scores)."""
        live = ctx.live[ordinals]
        if type(self.query) is MatchAll and self.query.query_name is None:
            mask = live  # what its window (or its cached whole-shard mask) gives
        else:
            mask = self.query.run_window(ctx, ordinals, False).mask & live
        scores = np.zeros(len(ordinals), dtype=np.float32)
        column = program.column
        if column is not None and mask.any():
            key = id(column)
            if key not in vectors:
                has = column.exists()[ordinals]
                vectors[key] = (has, column.matrix.view()[ordinals[has]])
            has, rows = vectors[key]
            if not mask.all():
                rows = rows[mask[has]]
            scores[mask] = program.scores(ordinals[mask], rows)
        return mask, scores


class KnnScoreScript:
    """The compiled ``knn_score`` script of one request on one index."""

    def __init__(self, ctx: SearchContext, params: dict[str, Any]) -> None:
        field = str(_param(ctx, params, "field"))
        space = str(_param(ctx, params, "space_type"))
        query_value = _param(ctx, params, "query_value")
        if space not in _SPACE_NAMES:
            if space == "hammingbit":
                raise _error(ctx, "the [hammingbit] space is not supported by the embedded engine")
            raise _error(ctx, "Invalid space type. Please refer to the available space types.")
        mapper = ctx.mapper(field)
        name = _SPACE_NAMES[space]
        if mapper is None or mapper.kind != VECTOR:
            raise _error(
                ctx, f"Incompatible field_type for {name} space. The field type must be knn_vector."
            )
        spec = mapper.vector
        if space == "hamming":
            raise _error(
                ctx,
                f"Incompatible field_type for hamming space. The data type should be [BINARY] but "
                f"got {spec.data_type.upper()}",
            )
        self.vector = _query_vector(ctx, query_value, spec.dimension)
        if space == "cosinesimil" and not np.any(self.vector):
            raise _error(ctx, "zero vector is not supported when space type is [cosinesimil]")
        self.space = space
        self.byte_cosine = space == "cosinesimil" and spec.data_type == "byte"
        column = ctx.shard.columns.get(mapper.path)
        self.column = column if isinstance(column, VectorColumn) else None

    def scores(self, ords: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Scores of ``ords``; ``rows``, when given, are their vectors already read (the
        rows of the ordinals that have one, in order)."""
        out = np.zeros(len(ords), dtype=np.float32)
        if self.column is None or not len(ords):
            return out
        has = self.column.exists()[ords]
        if rows is None:
            rows = self.column.matrix.view()[ords[has]]
        raw = raw_values(self.space, rows, self.vector)
        if self.byte_cosine:
            out[has] = np.float32(1) + raw
        else:
            out[has] = scores_from_raw(self.space, raw)
        return out


def _compile(ctx: SearchContext, script: dict[str, Any]) -> KnnScoreScript:
    for key in script:
        if key not in ("source", "lang", "params", "id", "options"):
            raise ParsingError(f"[script] unknown field [{key}]")
    if "id" in script:
        raise _error(ctx, "stored scripts cannot be used in [script_score] by the embedded engine")
    lang = script.get("lang", "painless")
    if lang != "knn":
        raise _error(
            ctx,
            f"script lang [{lang}] is not supported by the embedded engine; only lang [knn] with "
            "source [knn_score] (the k-NN plugin's score script) can run",
        )
    source = script.get("source")
    if source != "knn_score":
        raise _error(ctx, f"Unknown script name {source}")
    params = script.get("params") or {}
    if not isinstance(params, dict):
        raise _error(ctx, "[params] must be an object")
    return KnnScoreScript(ctx, params)


def _param(ctx: SearchContext, params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value is None:
        raise _error(ctx, f"Missing parameter [{name}]")
    return value


def _query_vector(ctx: SearchContext, value: Any, dimension: int) -> np.ndarray:
    # parsed JSON holds exact ints and floats; ``map(type)`` checks a 384-d vector in C
    if not isinstance(value, list) or not set(map(type, value)) <= {int, float}:
        raise _error(ctx, "[query_value] must be an array of numbers")
    if len(value) != dimension:
        raise _error(
            ctx, f"Object's length={len(value)} does not match the expected length={dimension}."
        )
    return np.asarray(value, dtype=np.float32)


def _error(ctx: SearchContext, message: str) -> QueryShardError:
    return QueryShardError(
        f"failed to create query: {message}",
        caused_by=IllegalArgumentError(message),
        index=ctx.index.name,
        index_uuid=ctx.index.uuid,
    )
