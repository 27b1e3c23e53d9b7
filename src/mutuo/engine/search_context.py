"""What a query sees while it runs against one index: columns, statistics, caches."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from . import dates
from .columns import Column, KeywordColumn, NumericColumn, TextColumn
from .errors import QueryShardError
from .fields import BOOLEAN, DATE, KEYWORD, NUMBER, TEXT, FieldMapper
from .queries import Matches
from .similarity import BM25

if TYPE_CHECKING:
    from .engine import Engine
    from .index import Index


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
        self.similarity = _similarity(index)
        # When set, only these ordinals' results are needed (a rescore window, an LTR
        # feature pass): queries may skip work elsewhere, but still return arrays that
        # cover every ordinal (values outside the domain are unspecified).
        self.domain: np.ndarray | None = None

    # -- fields ----------------------------------------------------------------------

    def mapper(self, field: str) -> FieldMapper | None:
        return self.mapping.resolve(field)

    def column(self, field: str) -> Column | None:
        mapper = self.mapping.resolve(field)
        if mapper is None:
            return None
        return self.shard.column(mapper.path)

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


def _similarity(index: Index) -> BM25:
    k1 = index.settings.get("index.similarity.default.k1")
    b = index.settings.get("index.similarity.default.b")
    return BM25(k1=float(k1) if k1 is not None else 1.2, b=float(b) if b is not None else 0.75)
