"""``ext.ltr_log``: log the feature values of the returned hits (the LTR plugin's logging).

``{"ext": {"ltr_log": {"log_specs": [{"name": "log1", "named_query": "logged",
"missing_as_zero": false}, {"rescore_index": 0}]}}}``

Each spec names an ``sltr`` query: one with that ``_name`` in the main query (typically in
``bool.filter``), or the ``rescore_query`` at ``rescore_index``. In the fetch phase every
returned hit gets ``fields._ltrlog``, a one-element list holding a map from log name to the
full feature list in ordinal order: ``{"name": f, "value": v}``, where a feature that did
not match has only its ``name`` (or ``value: 0.0`` with ``missing_as_zero``). Values are
the raw feature scores (no normaliser, no ``sltr`` boost).

As in the plugin, specs by ``named_query`` are only honoured when the query has named
queries at all (the plugin skips logging otherwise, e.g. for inner hits), and rescore
specs need ``rescore`` contexts: the rescore feature exposes its parsed ``rescore_query``
objects through :func:`rescore_queries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import IllegalArgumentError, OpenSearchError, ParsingError, SearchPhaseExecutionError
from ..ltr.parsing import as_bool, as_int, as_str, check_fields, check_object
from ..queries import Query
from ..queries.sltr import StoredLtrQuery
from . import FetchedHit, SearchFeature, register_ext

if TYPE_CHECKING:
    from ..search import ParsedSearch

_LUCENE_NAMES = {
    "term": "TermQuery",
    "terms": "TermInSetQuery",
    "match": "TermQuery",
    "bool": "BooleanQuery",
    "match_all": "MatchAllDocsQuery",
    "match_none": "MatchNoDocsQuery",
    "ids": "TermInSetQuery",
    "exists": "FieldExistsQuery",
    "range": "IndexOrDocValuesQuery",
    "function_score": "FunctionScoreQuery",
    "constant_score": "ConstantScoreQuery",
}


@dataclass
class LogSpec:
    name: str
    named_query: str | None
    rescore_index: int | None
    missing_as_zero: bool


@register_ext
class LtrLog(SearchFeature):
    key = "ltr_log"

    def parse(self, value: Any, search: ParsedSearch) -> list[LogSpec]:
        obj = check_object(value, "ltr_log")
        check_fields(obj, "ltr_log", ("log_specs",))
        raw = obj.get("log_specs")
        specs = [_spec(s) for s in (raw if isinstance(raw, list) else [raw] if raw else [])]
        if not specs:
            raise ParsingError("[ltr_log] should define at least one [log_specs]")
        return specs

    def fetch(self, spec: list[LogSpec], hits: list[FetchedHit], search: ParsedSearch) -> None:
        if not hits:
            return
        try:
            targets = _targets(spec, search)
            if targets:
                _log(targets, hits)
        except OpenSearchError as exc:
            raise _fetch_failure(hits[0], exc) from None


def _spec(value: Any) -> LogSpec:
    obj = check_object(value, "spec")
    check_fields(obj, "spec", ("name", "named_query", "rescore_index", "missing_as_zero"))
    named = as_str(obj["named_query"], "spec", "named_query") if "named_query" in obj else None
    index = (
        as_int(obj["rescore_index"], "spec", "rescore_index") if "rescore_index" in obj else None
    )
    if named is None and index is None:
        raise ParsingError("Either [named_query] or [rescore_index] must be set.")
    if index is not None and index < 0:
        raise ParsingError("[rescore_index] must be a non-negative integer.")
    name = as_str(obj["name"], "spec", "name") if "name" in obj else None
    default_name = named if named is not None else f"rescore[{index}]"
    missing_as_zero = as_bool(obj.get("missing_as_zero", False), "spec", "missing_as_zero")
    return LogSpec(name or default_name, named, index, missing_as_zero)


def named_queries(query: Query | None) -> dict[str, Query]:
    """Every query with a ``_name`` in the tree (what OpenSearch calls named filters)."""
    found: dict[str, Query] = {}
    stack = [query] if query is not None else []
    while stack:
        node = stack.pop()
        if node.query_name is not None:
            found.setdefault(node.query_name, node)
        stack.extend(reversed(node.children()))
    return found


def rescore_queries(search: ParsedSearch) -> list[Query | None]:
    """The parsed ``rescore_query`` of each rescore context, in order (None: not a query rescorer)."""
    contexts = search.features.get("rescore") or []
    return [getattr(context, "rescore_query", None) for context in contexts]


def _targets(specs: list[LogSpec], search: ParsedSearch) -> list[tuple[LogSpec, StoredLtrQuery]]:
    named = named_queries(search.query)
    rescorers = rescore_queries(search)
    by_name = [s for s in specs if s.named_query is not None]
    if not named and (by_name or not rescorers):
        return []  # the plugin logs nothing when no named query (or no rescore) is visible
    targets = []
    for spec in by_name:
        query = named.get(spec.named_query or "")
        if query is None:
            raise IllegalArgumentError(f"No query named [{spec.named_query}] found")
        if not isinstance(query, StoredLtrQuery):
            lucene = _LUCENE_NAMES.get(query.type_name, f"{query.type_name}Query")
            raise IllegalArgumentError(
                f"Query named [{spec.named_query}] must be a [sltr] query [{lucene}] found"
            )
        targets.append((spec, query))
    for spec in (s for s in specs if s.rescore_index is not None):
        index = spec.rescore_index or 0
        if index >= len(rescorers):
            raise IllegalArgumentError(
                f"rescore index [{index}] is out of bounds, only [{len(rescorers)}] rescore "
                "context(s) are available"
            )
        rescorer = rescorers[index]
        if not isinstance(rescorer, StoredLtrQuery):
            found = "QueryRescoreContext" if rescorer is not None else "RescoreContext"
            raise IllegalArgumentError(
                f"Expected a [sltr] query but found a [{found}] at index [{index}]"
            )
        targets.append((spec, rescorer))
    return targets


def _log(targets: list[tuple[LogSpec, StoredLtrQuery]], hits: list[FetchedHit]) -> None:
    by_shard: dict[int, list[FetchedHit]] = {}
    for hit in hits:
        by_shard.setdefault(id(hit.shard), []).append(hit)
    for shard_hits in by_shard.values():
        ctx = shard_hits[0].shard.ctx
        ordinals = np.array([h.ordinal for h in shard_hits], dtype=np.int64)
        for spec, query in targets:
            names, matrix = query.logged_features(ctx, ordinals)
            for row, hit in enumerate(shard_hits):
                entries = _entries(names, matrix.values[row], matrix.matched[row], spec)
                logs = hit.hit.setdefault("fields", {}).setdefault("_ltrlog", [{}])
                logs[0][spec.name] = entries


def _entries(
    names: list[str], values: np.ndarray, matched: np.ndarray, spec: LogSpec
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, value, hit in zip(names, values, matched, strict=True):
        if hit:
            out.append({"name": name, "value": np.float32(value)})
        elif spec.missing_as_zero:
            out.append({"name": name, "value": np.float32(0.0)})
        else:
            out.append({"name": name})
    return out


def _fetch_failure(hit: FetchedHit, cause: OpenSearchError) -> SearchPhaseExecutionError:
    failure = {
        "shard": 0,
        "index": hit.shard.index.name,
        "node": "embedded",
        "reason": cause.to_dict(),
    }
    return SearchPhaseExecutionError(
        "all shards failed",
        status=cause.status if cause.status < 500 else 500,
        caused_by=cause,
        phase="fetch",
        grouped=True,
        failed_shards=[failure],
    )
