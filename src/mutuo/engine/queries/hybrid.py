"""``hybrid``: neural-search's compound query whose sub-queries are scored separately.

The query only makes sense at the top of a request that runs through a search pipeline
with a ``normalization-processor`` or ``score-ranker-processor``: the hybrid feature
(:mod:`..features.hybrid`) claims it, this query then runs every sub-query on its own and
leaves their matches in ``ctx.request_cache["hybrid"]``, and the feature normalises and
combines the per-sub-query top lists after the query phase. The query's own matches are
the union of its sub-queries' (what ``hits.total`` counts).

Anywhere else (inside ``bool``, ``function_score``...) it fails at the query phase with
neural-search's error, as in OpenSearch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import IllegalArgumentError, ParsingError, wrap_shard_failure
from ..search_context import SearchContext
from . import Matches, Query, parse_query, register
from .bool import Bool
from .knn import Knn

MAX_SUB_QUERIES = 5
TOP_LEVEL_ERROR = (
    "hybrid query must be a top level query and cannot be wrapped into other queries. To use "
    "scoring wrapper queries (function_score, script_score, etc.) with hybrid sub-queries, "
    "replace the hybrid clause with a bool query using should clauses containing the same "
    "sub-queries"
)
CACHE_KEY = "hybrid"


@register("hybrid")
class Hybrid(Query):
    def __init__(self, queries: list[Query], pagination_depth: int | None) -> None:
        self.queries = queries
        self.pagination_depth = pagination_depth
        self.claimed = False  # set by the hybrid feature when a pipeline combines the results

    @classmethod
    def parse(cls, body: Any) -> Query:
        if not isinstance(body, dict):
            raise ParsingError("[hybrid] query malformed, no start_object after query name")
        queries: list[Query] = []
        filter_query: Query | None = None
        depth: int | None = None
        name: str | None = None
        for key, value in body.items():
            if key == "queries":
                items = value if isinstance(value, list) else [value]
                if len(items) > MAX_SUB_QUERIES:
                    raise ParsingError(
                        "Number of sub-queries exceeds maximum supported by [hybrid] query"
                    )
                queries = [parse_query(item, "queries") for item in items]
            elif key == "filter":
                if not isinstance(value, dict):
                    raise ParsingError("[hybrid] query's [filter] field must be a query object")
                filter_query = parse_query(value, "filter")
            elif key == "pagination_depth":
                depth = _int(value)
            elif key == "boost":
                if float(value) != 1.0:
                    raise ParsingError("[hybrid] query does not support [boost]")
            elif key == "_name":
                name = str(value)
            else:
                raise ParsingError("Field is not supported by [hybrid] query")
        if not queries:
            raise ParsingError("[hybrid] requires 'queries' field with at least one clause")
        if filter_query is not None:
            queries = [_with_filter(q, filter_query) for q in queries]
        query = cls(queries, depth)
        query.query_name = name
        return query

    def children(self) -> list[Query]:
        return list(self.queries)

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        if not self.claimed:
            raise wrap_shard_failure(ctx.index.name, IllegalArgumentError(TOP_LEVEL_ERROR))
        if any(isinstance(q, Hybrid) for q in self.queries):
            raise wrap_shard_failure(
                ctx.index.name,
                IllegalArgumentError("hybrid query cannot be nested in another hybrid query"),
            )
        matches = [q.run(ctx, True) for q in self.queries]
        ctx.request_cache[CACHE_KEY] = matches
        mask = np.zeros(ctx.maxdoc, dtype=bool)
        for m in matches:
            mask |= m.mask
        # the union is what hits.total counts; scores come from the pipeline's combination
        return Matches(mask & ctx.live, None, 0.0)


def _with_filter(query: Query, filter_query: Query) -> Query:
    """``QueryBuilder.filter``: knn merges it into its efficient filter, others get a bool."""
    if isinstance(query, Knn):
        return query.with_filter(filter_query)
    wrapped = Bool()
    wrapped.must = [query]
    wrapped.filter = [filter_query]
    return wrapped


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ParsingError("[hybrid] failed to parse field [pagination_depth]")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ParsingError("[hybrid] failed to parse field [pagination_depth]") from None
