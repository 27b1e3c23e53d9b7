"""``collapse``: one hit per value of a keyword or numeric field, with ``inner_hits``.

As in OpenSearch, collapsing happens per index first (the best hit of each group, the
top ``max(from + size, rescore windows)`` groups kept), then rescore (3.8+) re-scores
those group heads, then the merge keeps the best head per group across indices and pages
by groups. ``hits.total`` still counts documents. Each hit gets ``fields.<field>:
[value]`` (``[null]`` for the group of docs without a value); ``inner_hits`` run one
search per returned group: the request's query restricted to the group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..columns import KeywordColumn, NumericColumn
from ..errors import IllegalArgumentError, OpenSearchError, ParsingError, wrap_shard_failure
from ..fields import KEYWORD, NUMBER
from ..search_after import merge_sorted, shard_top
from ..sort import ShardKeys, SortField
from . import FetchedHit, SearchFeature, register_feature

if TYPE_CHECKING:
    from ..search import ParsedSearch, ShardHits

DEFAULT_INNER_SIZE = 3
_KEYS = {"field", "inner_hits", "max_concurrent_group_searches"}
_INNER_KEYS = {
    "name",
    "from",
    "size",
    "sort",
    "_source",
    "version",
    "seq_no_primary_term",
    "explain",
    "docvalue_fields",
    "fields",
    "track_scores",
}


@dataclass
class CollapseSpec:
    field: str
    inner_hits: list[dict[str, Any]]
    shards: list[ShardHits] = dataclass_field(default_factory=list)


@register_feature
class Collapse(SearchFeature):
    key = "collapse"
    order = 40  # before rescore: rescore sees the group heads

    def parse(self, value: Any, search: ParsedSearch) -> CollapseSpec:
        if not isinstance(value, dict):
            raise ParsingError("[collapse] must be an object")
        for key in value:
            if key not in _KEYS:
                raise ParsingError(f"[collapse] unknown field [{key}]")
        if not isinstance(value.get("field"), str):
            raise ParsingError("[collapse] requires [field]")
        limit = value.get("max_concurrent_group_searches", 1)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
            raise IllegalArgumentError(f"maxConcurrentGroupRequests must be positive, got {limit}")
        inner = value.get("inner_hits") or []
        inner = inner if isinstance(inner, list) else [inner]
        for item in inner:
            if not isinstance(item, dict):
                raise ParsingError("[inner_hits] must be an object")
            unknown = set(item) - _INNER_KEYS
            if unknown:
                raise ParsingError(
                    f"[inner_hits] option [{sorted(unknown)[0]}] is not supported by the embedded engine"
                )
        _check_search_after(value["field"], search)
        return CollapseSpec(value["field"], inner)

    def after_query(self, spec: Any, shard: ShardHits, search: ParsedSearch) -> None:
        collapse: CollapseSpec = spec
        try:
            values = _group_values(shard, collapse.field)
        except OpenSearchError as err:
            raise wrap_shard_failure(shard.index.name, err) from None
        keys = shard.extras.get("sort_keys")
        if keys is not None:  # rank by the request's sort (or search_after's score sort)
            order = shard_top(keys, shard.ordinals, len(shard.ordinals))
        else:
            order = np.lexsort((shard.ordinals, -shard.scores))
        rescore = search.features.get("rescore") or []
        keep = max([search.from_ + search.size, *(e.window_size for e in rescore)])
        heads = order[_first_per_group(values(shard.ordinals[order]))][:keep]
        shard.ordinals, shard.scores = shard.ordinals[heads], shard.scores[heads]
        if keys is not None:
            shard.extras["sort_keys"] = _slice_keys(keys, heads)
        shard.extras["collapse_values"] = dict(
            zip(shard.ordinals.tolist(), values.python(shard.ordinals), strict=True)
        )

    def merge(
        self, spec: Any, shards: list[ShardHits], search: ParsedSearch, window: int
    ) -> list[tuple[int, int, float, list[Any] | None]] | None:
        collapse: CollapseSpec = spec
        collapse.shards = shards
        seen: set[Any] = set()
        out: list[tuple[int, int, float, list[Any] | None]] = []
        for pos, ordinal, score, values in _ranked_heads(shards, search):
            group = _hashable(shards[pos].extras["collapse_values"][ordinal])
            if group in seen:
                continue
            seen.add(group)
            out.append((pos, ordinal, score, values))
            if len(out) == window:
                break
        return out

    def fetch(self, spec: Any, hits: list[FetchedHit], search: ParsedSearch) -> None:
        collapse: CollapseSpec = spec
        for item in hits:
            value = item.shard.extras["collapse_values"][item.ordinal]
            item.hit.setdefault("fields", {})[collapse.field] = [value]
            if collapse.inner_hits:
                item.hit["inner_hits"] = {
                    inner.get("name", collapse.field): _inner_hits(collapse, inner, value, search)
                    for inner in collapse.inner_hits
                }


def _check_search_after(name: str, search: ParsedSearch) -> None:
    """With ``search_after`` the only sort may be the collapse field (3.3+)."""
    if search.search_after is None:
        return
    sort = search.sort or []
    if len(sort) != 1 or sort[0].field != name:
        raise IllegalArgumentError(
            "collapse field and sort field must be the same when use `collapse` in conjunction "
            "with `search_after`"
        )


class _Values:
    """The collapse key of each ordinal of one shard, vectorised."""

    def __init__(self, keys: np.ndarray, has: np.ndarray, to_python: Any) -> None:
        self.keys = keys
        self.has = has
        self._to_python = to_python

    def __call__(self, ords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.keys[ords], self.has[ords]

    def python(self, ords: np.ndarray) -> list[Any]:
        has = self.has[ords]
        return [
            self._to_python(k) if h else None for k, h in zip(self.keys[ords], has, strict=True)
        ]


def _group_values(shard: ShardHits, name: str) -> _Values:
    ctx = shard.ctx
    mapper = ctx.mapper(name)
    if mapper is None:
        raise IllegalArgumentError(f"no mapping found for `{name}` in order to collapse on")
    if mapper.kind not in (KEYWORD, NUMBER):
        raise IllegalArgumentError(
            f"unknown type for collapse field `{name}`, only keywords and numbers are accepted"
        )
    if not mapper.has_doc_values:
        raise IllegalArgumentError(f"cannot collapse on field `{name}` without `doc_values`")
    column = ctx.shard.columns.get(mapper.path)
    ords = shard.ordinals
    if isinstance(column, KeywordColumn):
        multi = [o for o in ords.tolist() if o in column.multi]
        _single_valued(multi)
        first = column.first.view()
        terms = column.terms
        return _Values(first, first >= 0, lambda tid: terms[int(tid)])
    if isinstance(column, NumericColumn):
        values, has = column.values.view(), column.has.view()
        _single_valued(np.flatnonzero(has[ords] & (values[ords] != column.max_values.view()[ords])))
        convert = int if mapper.is_integer else float
        return _Values(values, has, convert)
    empty = np.zeros(ctx.maxdoc, dtype=np.int64)
    return _Values(empty, empty.astype(bool), lambda _k: None)


def _single_valued(multi: Any) -> None:
    if len(multi):
        raise OpenSearchError(
            f"failed to collapse {int(multi[0])}, the collapse field must be single valued",
            error_type="illegal_state_exception",
        )


def _first_per_group(key_has: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Positions (in rank order) of the first hit of each group."""
    keys, has = key_has
    firsts = []
    valued = np.flatnonzero(has)
    if len(valued):
        _unique, first = np.unique(keys[valued], return_index=True)
        firsts.append(valued[first])
    missing = np.flatnonzero(~has)
    if len(missing):
        firsts.append(missing[:1])
    return np.sort(np.concatenate(firsts)) if firsts else np.empty(0, dtype=np.int64)


def _slice_keys(keys: ShardKeys, heads: np.ndarray) -> ShardKeys:
    """Sort keys of the kept group heads (positions index the new, shorter ordinals)."""

    def reindexed(render: Callable[[np.ndarray], list[Any]]) -> Callable[[np.ndarray], list[Any]]:
        return lambda idx: render(heads[idx])

    return ShardKeys([p[heads] for p in keys.positions], [reindexed(r) for r in keys.render])


def _ranked_heads(
    shards: list[ShardHits], search: ParsedSearch
) -> list[tuple[int, int, float, list[Any] | None]]:
    """Every kept head of every index, in the request's order (with its sort values)."""
    if shards and all("sort_keys" in s.extras for s in shards):
        sort = search.sort or [SortField("_score", "desc")]
        size = sum(len(s.ordinals) for s in shards)
        tops = [shard_top(s.extras["sort_keys"], s.ordinals, size) for s in shards]
        rows = merge_sorted(sort, shards, tops, size)
        return [(p, o, s, v if search.sort is not None else None) for p, o, s, v in rows]
    ranked = sorted(
        (-float(score), pos, int(ordinal))
        for pos, shard in enumerate(shards)
        for ordinal, score in zip(shard.ordinals.tolist(), shard.scores.tolist(), strict=True)
    )
    return [(pos, ordinal, -neg, None) for neg, pos, ordinal in ranked]


def _hashable(value: Any) -> Any:
    return ("__null__",) if value is None else value


def _inner_hits(
    spec: CollapseSpec, inner: dict[str, Any], value: Any, search: ParsedSearch
) -> dict[str, Any]:
    """One group's inner hits: the request's query restricted to the group, searched again."""
    from ..search import execute_search

    group = (
        {"bool": {"must_not": [{"exists": {"field": spec.field}}]}}
        if value is None
        else {"term": {spec.field: value}}
    )
    body: dict[str, Any] = {
        "query": {
            "bool": {"must": [search.body.get("query", {"match_all": {}})], "filter": [group]}
        },
        "from": inner.get("from", 0),
        "size": inner.get("size", DEFAULT_INNER_SIZE),
    }
    body.update({k: v for k, v in inner.items() if k not in ("name", "from", "size")})
    params = {"rest_total_hits_as_int": "true"} if search.rest_total_hits_as_int else {}
    engine = spec.shards[0].ctx.engine
    result = execute_search(engine, [s.index for s in spec.shards], body, params)
    return {"hits": result["hits"]}
