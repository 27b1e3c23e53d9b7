"""The searchable in-memory state of one index (a single shard, a single segment).

Writes are queued as pending operations and become visible at :meth:`Shard.refresh`,
exactly like OpenSearch's near-real-time search: until then, searches see the previous
state while GETs (served from the store) are real-time. Each refresh bumps
``generation`` so that caches (filters, statistics) keyed on it stay correct.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .columns import (
    Column,
    GeoColumn,
    Growable,
    KeywordColumn,
    NumericColumn,
    TextColumn,
    VectorColumn,
)
from .fields import BOOLEAN, DATE, GEO_POINT, KEYWORD, NUMBER, TEXT, VECTOR, FieldMapper
from .mapping import Mapping

# Compact when at least this share of ordinals is deleted (and enough of them to matter).
COMPACT_RATIO = 0.35
COMPACT_MIN_DELETED = 512


@dataclass(slots=True)
class PendingOp:
    doc_id: str
    seq_no: int
    version: int
    values: dict[str, list[Any]] | None  # None = delete


RefreshListener = Callable[["Shard", np.ndarray, np.ndarray], None]


class Shard:
    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.ids: list[str] = []
        self.id_to_ord: dict[str, int] = {}
        self.live = Growable(np.bool_, False)
        self.seq_nos = Growable(np.int64, -1)
        self.versions = Growable(np.int64, 0)
        self.columns: dict[str, Column] = {}
        self.pending: list[PendingOp] = []
        self.generation = 0
        self.num_deleted = 0
        self.changes_since_snapshot = 0  # applied operations not yet in a snapshot
        self.cache: dict[Any, Any] = {}  # per-generation caches (filters, stats)
        # called after each refresh with (new ordinals, deleted ordinals) and after
        # compaction; the vector structures subscribe here
        self.listeners: list[RefreshListener] = []
        self.compact_listeners: list[Callable[[Shard, np.ndarray, np.ndarray], None]] = []

    @property
    def maxdoc(self) -> int:
        return len(self.ids)

    @property
    def num_docs(self) -> int:
        return len(self.id_to_ord)

    def live_mask(self) -> np.ndarray:
        return self.live.view()

    # -- writes ------------------------------------------------------------------------

    def enqueue(self, op: PendingOp) -> None:
        self.pending.append(op)

    def refresh(self) -> bool:
        """Apply pending operations; True when anything changed."""
        if not self.pending:
            return False
        ops, self.pending = self.pending, []
        self.changes_since_snapshot += len(ops)
        start = self.maxdoc
        deleted: list[int] = []
        added: list[tuple[int, dict[str, list[Any]]]] = []
        new_seq: list[int] = []
        new_ver: list[int] = []
        for op in ops:
            old = self.id_to_ord.pop(op.doc_id, None)
            if old is not None:
                deleted.append(old)
            if op.values is None:
                continue
            ordinal = len(self.ids)
            self.ids.append(op.doc_id)
            self.id_to_ord[op.doc_id] = ordinal
            added.append((ordinal, op.values))
            new_seq.append(op.seq_no)
            new_ver.append(op.version)
        n = self.maxdoc
        for arr in (self.live, self.seq_nos, self.versions):
            arr.resize(n)
        self.live.view()[start:n] = True
        self.seq_nos.view()[start:n] = new_seq
        self.versions.view()[start:n] = new_ver
        for column in self.columns.values():
            column.resize(n)
        self._index_fields(added, n)
        dead = np.asarray(sorted(set(deleted)), dtype=np.int64)
        if len(dead):
            self.live.view()[dead] = False
            self.num_deleted += len(dead)
            for column in self.columns.values():
                column.delete(dead)
        self.generation += 1
        self.cache.clear()
        new_ords = np.arange(start, n, dtype=np.int64)
        for listener in self.listeners:
            listener(self, new_ords, dead)
        if self.num_deleted >= COMPACT_MIN_DELETED and self.num_deleted >= COMPACT_RATIO * n:
            self.compact()
        return True

    def _index_fields(self, added: list[tuple[int, dict[str, list[Any]]]], maxdoc: int) -> None:
        by_field: dict[str, tuple[list[int], list[list[Any]]]] = {}
        for ordinal, values in added:
            for path, vals in values.items():
                entry = by_field.get(path)
                if entry is None:
                    entry = by_field[path] = ([], [])
                entry[0].append(ordinal)
                entry[1].append(vals)
        for path, (ords, vals) in by_field.items():
            column = self.column(path, create=True)
            if column is None:
                continue
            column.resize(maxdoc)
            column.add_batch(np.asarray(ords, dtype=np.int64), vals)

    def column(self, path: str, create: bool = False) -> Column | None:
        column = self.columns.get(path)
        if column is not None or not create:
            return column
        mapper = self.mapping.fields.get(path)
        if mapper is None:
            return None
        column = make_column(mapper)
        if column is not None:
            column.resize(self.maxdoc)
            self.columns[path] = column
        return column

    def compact(self) -> None:
        """Drop deleted ordinals and renumber (a merge); order of live docs is kept."""
        keep = self.live.view().copy()
        remap = np.full(self.maxdoc, -1, dtype=np.int64)
        remap[keep] = np.arange(int(keep.sum()))
        self.ids = [doc_id for doc_id, k in zip(self.ids, keep.tolist(), strict=True) if k]
        self.id_to_ord = {doc_id: i for i, doc_id in enumerate(self.ids)}
        for arr in (self.live, self.seq_nos, self.versions):
            arr.compact(keep)
        for column in self.columns.values():
            column.compact(keep, remap)
        self.num_deleted = 0
        self.generation += 1
        self.cache.clear()
        for listener in self.compact_listeners:
            listener(self, keep, remap)


def make_column(mapper: FieldMapper) -> Column | None:
    if not mapper.indexed and not mapper.has_doc_values and mapper.kind != VECTOR:
        return None
    kind = mapper.kind
    if kind == KEYWORD:
        return KeywordColumn()
    if kind == TEXT:
        return TextColumn(mapper.analyzer)
    if kind in (NUMBER, DATE, BOOLEAN):
        return NumericColumn(
            integer=kind != NUMBER or mapper.is_integer, unsigned=mapper.type == "unsigned_long"
        )
    if kind == GEO_POINT:
        return GeoColumn()
    if kind == VECTOR:
        return VectorColumn(mapper.vector.dimension)
    return None
