"""What a query sees while it runs against one index: columns, statistics, caches."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from . import dates
from .columns import Column, KeywordColumn, NumericColumn, TextColumn
from .errors import QueryShardError
from .fields import BOOLEAN, DATE, KEYWORD, NUMBER, TEXT, FieldMapper
from .queries import Matches
from .similarity import Similarity, similarity_for

if TYPE_CHECKING:
    from .engine import Engine
    from .index import Index

# Filter masks kept per shard and refresh generation (like Lucene's query cache).
FILTER_CACHE_ENTRIES = 256


class SearchContext:
    def __init__(self, engine: Engine, index: Index, now_ms: int | None = None) -> None:
        self.engine = engine
        self.index = index
        self.shard = index.shard
        self.mapping = index.mapping
        self.maxdoc = index.shard.maxdoc
        self.live = index.shard.live_mask()
        self.now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
        self.named_matches: dict[str, Matches] = {}
        self.request_cache: dict[Any, Any] = {}  # per-request memo (e.g. terms lookups)
        self.cache = index.shard.cache
        # When set, only these ordinals' results are needed (a rescore window, an LTR
        # feature pass, the documents still in play inside a ``bool``): queries may skip
        # work elsewhere, but still return arrays that cover every ordinal (values
        # outside the domain are unspecified). A boolean mask or an array of ordinals.
        self.domain: np.ndarray | None = None

    # -- fields ----------------------------------------------------------------------

    def mapper(self, field: str) -> FieldMapper | None:
        return self.mapping.resolve(field)

    def column(self, field: str) -> Column | None:
        mapper = self.mapping.resolve(field)
        if mapper is None:
            return None
        return self.shard.column(mapper.path)

    @property
    def similarity(self) -> Similarity:
        """The index's default similarity (``index.similarity.default`` or BM25)."""
        return self.similarity_of("")

    def similarity_of(self, field: str) -> Similarity:
        """The similarity a field scores with (its mapping's ``similarity`` or the default)."""
        mapper = self.mapper(field)
        name = mapper.params.get("similarity") if mapper is not None else None
        key = ("similarity", name or "default")
        cached = self.request_cache.get(key)
        if cached is None:
            try:
                cached = similarity_for(self.index.settings, str(name or "default"))
            except ValueError as exc:
                raise QueryShardError(str(exc), index=self.index.name) from None
            self.request_cache[key] = cached
        return cached

    def ordinal_memo(self, key: Any, dtype: Any = np.float64) -> np.ndarray:
        """This request's values under ``key`` by ordinal (NaN: not computed yet)."""
        known = self.request_cache.get(key)
        if known is None:
            known = self.request_cache[key] = np.full(self.maxdoc, np.nan, dtype=dtype)
        return known

    def per_ordinal(
        self,
        key: Any,
        rows: np.ndarray,
        compute: Callable[[np.ndarray], np.ndarray],
        dtype: Any = np.float64,
    ) -> np.ndarray:
        """``compute(rows)``, each ordinal's value computed once per request under ``key``
        (:meth:`ordinal_memo`). Only for values that depend on the ordinal alone, never on
        the other ordinals asked with it: a value read back must be the one computed again."""
        known = self.ordinal_memo(key, dtype)
        values = known[rows]
        missing = np.flatnonzero(np.isnan(values))
        if len(missing):
            fresh = rows[missing]
            values[missing] = known[fresh] = compute(fresh)
        return values

    # -- building blocks -------------------------------------------------------------

    def none(self) -> Matches:
        return Matches(np.zeros(self.maxdoc, dtype=bool), None, 0.0)

    def everything(self, score: float = 1.0) -> Matches:
        return Matches(self.live.copy(), None, score)

    def mask_of(self, ordinals: np.ndarray) -> np.ndarray:
        mask = np.zeros(self.maxdoc, dtype=bool)
        if len(ordinals):
            mask[ordinals] = True
        return mask

    def domain_mask(self) -> np.ndarray | None:
        """``domain`` as a boolean mask (None when every ordinal matters)."""
        if self.domain is None:
            return None
        if self.domain.dtype == np.bool_:
            return self.domain
        return self.mask_of(self.domain)

    def domain_hits(self, mask: np.ndarray) -> np.ndarray:
        """The ordinals of ``mask`` inside ``domain``, ascending (all of ``mask`` without one).

        With a window of ordinals this touches only the window, not every document.
        """
        if self.domain is None:
            return np.flatnonzero(mask)
        if self.domain.dtype == np.bool_:
            return np.flatnonzero(mask & self.domain)
        ordinals = np.unique(self.domain)
        return ordinals[mask[ordinals]]

    def domain_ordinals(self) -> np.ndarray:
        """The ordinals worth computing: the live ones inside ``domain``."""
        mask = self.domain_mask()
        return np.flatnonzero(self.live if mask is None else (mask & self.live))

    # -- filter cache ----------------------------------------------------------------

    def cached_filter(self, key: Any) -> np.ndarray | None:
        cache = self.cache.get("filters")
        if cache is None:
            return None
        mask = cache.get(key)
        if mask is not None:
            cache.move_to_end(key)
        return mask

    def store_filter(self, key: Any, mask: np.ndarray) -> None:
        cache = self.cache.get("filters")
        if cache is None:
            cache = self.cache["filters"] = OrderedDict()
        frozen = mask.copy()
        frozen.flags.writeable = False
        cache[key] = frozen
        while len(cache) > FILTER_CACHE_ENTRIES:
            cache.popitem(last=False)

    # -- term lookups ------------------------------------------------------------------

    def term_mask(self, field: str, value: Any) -> np.ndarray:
        """Docs whose ``field`` holds exactly ``value`` (term semantics, no analysis)."""
        if field == "_id":
            ordinal = self.shard.id_to_ord.get(str(value))
            return self.mask_of(np.array([ordinal] if ordinal is not None else [], dtype=np.int64))
        if field == "_index":
            return self.live.copy() if str(value) == self.index.name else self.none().mask
        mapper = self.mapper(field)
        if mapper is None or not mapper.indexed:
            if mapper is not None and not mapper.has_doc_values:
                raise QueryShardError(
                    f"Cannot search on field [{field}] since it is not indexed.",
                    index=self.index.name,
                )
            if mapper is None:
                return self.none().mask
        column = self.shard.column(mapper.path)
        if column is None:
            return self.none().mask
        if isinstance(column, KeywordColumn):
            return self.mask_of(column.docs(_keyword_value(value)))
        if isinstance(column, TextColumn):
            docs, _freqs = column.postings(str(value))
            return self.mask_of(docs)
        if isinstance(column, NumericColumn):
            target = self.parse_numeric(mapper, value)
            return column.match_any(lambda v: v == target, self.maxdoc)
        raise QueryShardError(
            f"Field [{field}] of type [{mapper.type}] does not support term queries",
            index=self.index.name,
        )

    def parse_numeric(
        self, mapper: FieldMapper, value: Any, round_up: bool = False, fmt: str | None = None
    ) -> Any:
        """A query value for a numeric, date or boolean field, in the column's units."""
        try:
            if mapper.kind == DATE:
                date_fmt = dates.date_format(fmt) if fmt else mapper.date_format
                return dates.parse_date_math(value, date_fmt, self.now_ms, round_up=round_up)
            if mapper.kind == BOOLEAN:
                if value in (True, "true"):
                    return 1
                if value in (False, "false", ""):
                    return 0
                raise ValueError(f"Can't parse boolean value [{value}], expected [true] or [false]")
            return mapper._number(value)
        except (ValueError, TypeError) as exc:
            raise QueryShardError(
                f"failed to create query: {exc}", index=self.index.name, index_uuid=self.index.uuid
            ) from None

    def kind(self, field: str) -> str | None:
        mapper = self.mapper(field)
        return None if mapper is None else mapper.kind

    @staticmethod
    def is_kind(mapper: FieldMapper | None, *kinds: str) -> bool:
        return mapper is not None and mapper.kind in kinds

    TERM_KINDS = (KEYWORD, TEXT, NUMBER, DATE, BOOLEAN)


def _keyword_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
