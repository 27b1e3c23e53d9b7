"""The query DSL: one small module per query type, found by name in a registry.

Parsing is structural and mapping-free (``Query.parse`` raises ``parsing_exception`` for a
malformed body, as OpenSearch's coordinating node does); execution is per index and
vectorised: :meth:`Query.execute` returns a :class:`Matches` whose boolean ``mask`` and
float32 ``scores`` cover every ordinal of the shard. Errors that depend on the mapping
are raised as ``query_shard_exception`` during execution and wrapped by the executor in
``search_phase_execution_exception``, again as OpenSearch does.

A new query type is a module with a ``Query`` subclass decorated by :func:`register`.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import pkgutil
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np
import orjson

from ..errors import ParsingError
from ..explanation import Explanation

if TYPE_CHECKING:
    from ..search_context import SearchContext

_FILTER_KEYS = "filter_keys"  # request_cache entry: id(query) -> (query, its filter_key)


@dataclass
class Matches:
    """Which ordinals match and with what score (``scores`` None = ``constant`` for all)."""

    mask: np.ndarray
    scores: np.ndarray | None = None
    constant: float = 1.0

    def score_array(self) -> np.ndarray:
        if self.scores is not None:
            return self.scores
        out = np.zeros(len(self.mask), dtype=np.float32)
        out[self.mask] = np.float32(self.constant)
        return out

    def boosted(self, boost: float) -> Matches:
        if boost == 1.0:
            return self
        if self.scores is None:
            return Matches(self.mask, None, float(np.float32(self.constant) * np.float32(boost)))
        return Matches(self.mask, (self.scores * np.float32(boost)).astype(np.float32), 0.0)


class Query:
    """Base of every query type.

    Boosts propagate down to the leaves as in Lucene (``BoostQuery`` multiplies the boost
    handed to ``createWeight``): a BM25 leaf folds the product of its ancestors' boosts
    into its term weight before the float32 arithmetic, which is what makes scores equal
    OpenSearch's to the last printed digit. Simple queries implement :meth:`execute`
    (unboosted) and get the product applied afterwards; boost-sensitive ones override
    :meth:`weighted`.
    """

    type_name: ClassVar[str] = ""
    # Relative cost of computing the match mask: 1 = postings, 2 = a column scan,
    # 3 = per-document arithmetic (distances, scripts). ``bool`` runs cheap clauses first
    # and lets expensive ones work only on the documents still in play.
    cost: int = 2  # a compound (bool) may take its clauses' cost per instance
    # Whether the query restricts its work to ``SearchContext.domain`` when one is set
    # (``bool`` then hands it the documents its other clauses left in play).
    uses_domain: ClassVar[builtins.bool] = False
    # Whether the filter-context mask never depends on ``SearchContext.domain`` (postings
    # and column lookups): computed inside a domain, it is still the whole shard's mask,
    # so the filter cache can keep it (the distance-step terms under a distance filter).
    domain_free: ClassVar[builtins.bool] = False
    # Whether nothing about a parsed query changes after parsing (execution state lives
    # in the SearchContext), so one parsed object can serve many requests.
    frozen: ClassVar[builtins.bool] = False
    boost: float = 1.0
    query_name: str | None = None
    parsed_body: Any = None  # the request body parsed into this query (None: built internally)

    @functools.cached_property
    def body_key(self) -> str | None:
        """Canonical JSON of the request body (the filter cache key); None for a query
        built internally or a body JSON cannot hold. Serialised when first asked for:
        most parsed queries (scoring clauses, LTR features) never are, and their bodies
        may hold vectors. The body is not changed after parsing (request bodies and
        template fills are fresh containers)."""
        return None if self.parsed_body is None else _canonical(self.parsed_body)

    @classmethod
    def parse(cls, body: Any) -> Query:
        raise NotImplementedError

    def execute(self, ctx: SearchContext, scoring: bool) -> Matches:
        raise NotImplementedError

    def weighted(self, ctx: SearchContext, scoring: bool, boost: float) -> Matches:
        """Execute with ``boost`` (ancestors' product times our own) folded in."""
        matches = self.execute(ctx, scoring)
        return matches.boosted(boost) if scoring else matches

    def run(self, ctx: SearchContext, scoring: bool, boost: float = 1.0) -> Matches:
        """Execute (boosts, the per-refresh filter cache) and remember named matches."""
        effective = float(np.float32(boost) * np.float32(self.boost))
        key = None if scoring or self.has_named() else self.cached_filter_key(ctx)
        cached = ctx.cached_filter(key) if key is not None else None
        if cached is not None:
            matches = Matches(cached, None, 1.0)
        else:
            matches = self.weighted(ctx, scoring, effective)
            if key is not None and (ctx.domain is None or self.ignores_domain()):
                ctx.store_filter(key, matches.mask)
        if self.query_name is not None:
            ctx.named_matches.setdefault(self.query_name, matches)
        return matches

    def run_window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float = 1.0
    ) -> Matches:
        """Matches of ``ordinals`` only: arrays aligned with ``ordinals``, not the shard.

        What a rescore window or an LTR feature pass needs: a query that implements
        :meth:`window` touches only those documents (a 200-document window costs 200
        documents' work at any index size) and returns exactly the values :meth:`run`
        gives them. ``ordinals`` are distinct, in any order, and may include deleted
        documents (which never match). A query with a ``_name`` below it runs over the
        shard, so the named matches it records stay whole.
        """
        effective = float(np.float32(boost) * np.float32(self.boost))
        if self.has_named():
            return self.window_fallback(ctx, ordinals, scoring, boost)
        key = None if scoring else self.cached_filter_key(ctx)
        cached = ctx.cached_filter(key) if key is not None else None
        if cached is not None:
            return Matches(cached[ordinals], None, 1.0)
        return self.window(ctx, ordinals, scoring, effective)

    def window(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        """:meth:`weighted` for ``ordinals`` only; by default the whole-shard execution
        with ``SearchContext.domain`` set to them, cut to their rows."""
        saved = ctx.domain
        ctx.domain = ordinals
        try:
            matches = self.weighted(ctx, scoring, boost)
        finally:
            ctx.domain = saved
        return _rows(matches, ordinals)

    def window_fallback(
        self, ctx: SearchContext, ordinals: np.ndarray, scoring: bool, boost: float
    ) -> Matches:
        """:meth:`run` over the shard (domain: ``ordinals``), cut to their rows."""
        saved = ctx.domain
        ctx.domain = ordinals
        try:
            matches = self.run(ctx, scoring, boost)
        finally:
            ctx.domain = saved
        return _rows(matches, ordinals)

    def filter_key(self, ctx: SearchContext) -> Any:
        """A key under which the match mask may be cached per refresh, or None.

        Only queries whose matches depend on nothing but the shard's contents qualify
        (not ``now``-relative dates, not lookups into other documents).
        """
        return None

    def cached_filter_key(self, ctx: SearchContext) -> Any:
        """:meth:`filter_key`, computed once per request and query node.

        Every level of a nested ``bool`` asks for its key and a parent's key holds its
        children's: unmemoised, a deep hard filter recomputes the keys of its leaves once
        per ancestor. Within a request a key is fixed (lookups resolve once per
        ``request_cache``); the memo holds the node, so its ``id`` is not reused.
        """
        memo = ctx.request_cache.setdefault(_FILTER_KEYS, {})
        hit = memo.get(id(self))
        if hit is None:
            hit = memo[id(self)] = (self, self.filter_key(ctx))
        return hit[1]

    def shareable(self) -> builtins.bool:
        """Whether this parsed tree may serve every request with the same body."""
        return self.frozen

    def ignores_domain(self) -> builtins.bool:
        """Whether the filter-context mask is the same with or without a domain."""
        return self.domain_free

    def has_named(self) -> builtins.bool:
        """Whether this query or a sub-query has a ``_name`` (cached masks would skip them)."""
        return self.query_name is not None or any(c.has_named() for c in self.children())

    def body_filter_key(self) -> Any:
        """The request body as a cache key (None for queries built internally)."""
        return None if self.body_key is None else (self.type_name, self.body_key)

    def explain_doc(self, ctx: SearchContext, ordinal: int, boost: float = 1.0) -> Explanation:
        """Why document ``ordinal`` scores what it does, in Lucene's wording."""
        effective = float(np.float32(boost) * np.float32(self.boost))
        return self.explanation(ctx, ordinal, effective)

    def explanation(self, ctx: SearchContext, ordinal: int, boost: float) -> Explanation:
        matches = self.weighted(ctx, True, boost)
        if not matches.mask[ordinal]:
            return Explanation.no_match(f"{self.type_name} query does not match this document")
        legacy = self.explain(ctx, ordinal, matches)
        return Explanation(float(legacy["value"]), str(legacy["description"]))

    def explain(self, ctx: SearchContext, ordinal: int, matches: Matches) -> dict[str, Any]:
        """An OpenSearch-style explanation of one document's score."""
        score = float(matches.score_array()[ordinal])
        return {"value": score, "description": f"{self.type_name} query score", "details": []}

    def children(self) -> list[Query]:
        """Sub-queries (for walks such as finding named queries or ``knn`` clauses)."""
        return []

    def lucene_string(self) -> str:
        """How Lucene's ``Query.toString`` prints this query (explanation texts)."""
        return self.type_name


def _rows(matches: Matches, ordinals: np.ndarray) -> Matches:
    scores = matches.scores[ordinals] if matches.scores is not None else None
    return Matches(matches.mask[ordinals], scores, matches.constant)


QUERY_TYPES: dict[str, type[Query]] = {}
Q = TypeVar("Q", bound=type[Query])


def register(*names: str) -> Callable[[Q], Q]:
    def wrap(cls: Q) -> Q:
        cls.type_name = names[0]
        for name in names:
            QUERY_TYPES[name] = cls
        return cls

    return wrap


def parse_query(body: Any, where: str = "query") -> Query:
    """``{"<type>": {...}}`` -> a Query; unknown types name the ones we know."""
    _load_all()
    if not isinstance(body, dict):
        raise ParsingError(f"[{where}] query malformed, no start_object after query name")
    if len(body) != 1:
        if not body:
            raise ParsingError(f"[{where}] query malformed, empty clause found")
        keys = list(body)
        raise ParsingError(
            f"[{keys[0]}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]"
        )
    ((name, spec),) = body.items()
    cls = QUERY_TYPES.get(name)
    if cls is None:
        raise ParsingError(
            f"unknown query [{name}]; the embedded engine knows {sorted(QUERY_TYPES)}",
            line=1,
            col=len(name) + 3,
        )
    if not _may_share(cls):  # its key is only serialised if it is asked for
        query = cls.parse(spec)
        query.parsed_body = body
        return query
    key = _canonical(body)
    if key is not None and key in _SHARED:
        _SHARED.move_to_end(key)
        return _SHARED[key]
    query = cls.parse(spec)
    query.parsed_body = body
    query.body_key = key
    if key is not None and query.shareable() and query.children():
        _SHARED[key] = query
        while len(_SHARED) > SHARED_PARSES:
            _SHARED.popitem(last=False)
    return query


# Parsed compound filters by canonical body, shared by every request that sends the same
# one: the recommend template repeats its hard filter in each candidate source, and
# parsing ~70 clauses was a large part of a request. Only trees of types whose parsed
# state never changes (``Query.frozen``) are shared.
SHARED_PARSES = 256
_SHARED: OrderedDict[str, Query] = OrderedDict()


def _may_share(cls: type[Query]) -> builtins.bool:
    """Whether a query of type ``cls`` can be in ``_SHARED`` (so a body of that type is
    looked up there before it is parsed): a type whose instances may be shareable."""
    return cls.frozen or cls.shareable is not Query.shareable


def parse_common(query: Query, spec: dict[str, Any], allowed: set[str], type_name: str) -> None:
    """Read ``boost`` and ``_name`` and reject unknown keys with OpenSearch's wording."""
    for key in spec:
        if key not in allowed and key not in ("boost", "_name"):
            raise ParsingError(f"[{type_name}] query does not support [{key}]")
    if "boost" in spec:
        query.boost = parse_boost(spec["boost"], type_name)
    if "_name" in spec:
        query.query_name = str(spec["_name"])


def _canonical(body: Any) -> str | None:
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # integers beyond 64 bits: such bodies are simply not cached
        return None


def parse_boost(value: Any, type_name: str) -> float:
    """A ``boost`` as Java reads it: a float (strings such as ``"5"`` are accepted)."""
    if isinstance(value, builtins.bool):  # the ``bool`` submodule shadows the builtin here
        raise ParsingError(f"[{type_name}] query does not support [boost] as a boolean")
    try:
        return float(np.float32(float(value)))
    except (TypeError, ValueError):
        raise ParsingError(f"[{type_name}] failed to parse [boost] value [{value}]") from None


def single_field(spec: Any, type_name: str) -> tuple[str, Any, dict[str, Any]]:
    """``{"field": value}`` or ``{"field": {...}, "boost": ..}`` -> (field, value, extra keys)."""
    if not isinstance(spec, dict):
        raise ParsingError(f"[{type_name}] query malformed, no start_object after query name")
    extra = {k: v for k, v in spec.items() if k in ("boost", "_name")}
    fields = [k for k in spec if k not in ("boost", "_name")]
    if len(fields) != 1:
        if not fields:
            raise ParsingError(f"[{type_name}] query doesn't have a field")
        raise ParsingError(
            f"[{type_name}] query doesn't support multiple fields, found [{fields[0]}] and [{fields[1]}]"
        )
    return fields[0], spec[fields[0]], extra


_loaded = False


def _load_all() -> None:
    """Import every module of this package once so their ``@register`` calls run."""
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True
